import type { Command } from "./command.js";

/**
 * Every `hacrm` subcommand, loaded lazily so `hacrm --help` stays fast. One
 * file per command under `commands/`; add a line here when one lands.
 */
export const commandLoaders: Record<string, () => Promise<Command>> = {
  cib: async () => (await import("./commands/cib.js")).command,
  verify: async () => (await import("./commands/verify.js")).command,
  attribute: async () => (await import("./commands/attribute.js")).command,
  ra: async () => (await import("./commands/ra.js")).command,
  configure: async () => (await import("./commands/configure.js")).command,
  resource: async () => (await import("./commands/resource.js")).command,
  node: async () => (await import("./commands/node.js")).command,
  property: async () => (await import("./commands/property.js")).command,
  simulate: async () => (await import("./commands/simulate.js")).command,
  membership: async () => (await import("./commands/membership.js")).command,
  quorum: async () => (await import("./commands/quorum.js")).command,
  keygen: async () => (await import("./commands/keygen.js")).command,
  status: async () => (await import("./commands/status.js")).command,
};
