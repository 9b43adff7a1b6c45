/**
 * hacrmd runs as root; a debugger attached to it runs code as root, and
 * Node's inspector listens on 127.0.0.1, where any local user can reach it.
 * This module is hacrmd-cli's first import so that it runs before anything
 * else: it takes SIGUSR1 away from Node (whose default is to open the
 * inspector), closes an inspector that NODE_OPTIONS or a command-line flag
 * opened, and records why so that hacrmd refuses to start.
 *
 * Not covered: `--inspect-brk` / `--inspect-wait` stop before any of hacrmd's
 * code runs; only whoever sets root's environment or command line can pass
 * them (docs/security.md).
 */
import inspector from "node:inspector";

// A listener replaces Node's own SIGUSR1 action (start the inspector). The
// daemon installs its real handler (log level) later; until then, nothing.
const placeholder = (): void => undefined;
process.on("SIGUSR1", placeholder);

const debugFlag = /^--(inspect|debug)/;
const fromOptions = (process.env["NODE_OPTIONS"] ?? "").split(/\s+/).filter((f) => debugFlag.test(f));
const fromArgv = process.execArgv.filter((f) => debugFlag.test(f));
const wasOpen = inspector.url() !== undefined;
if (wasOpen) inspector.close();
// Agents and other children must not inherit it either.
delete process.env["NODE_OPTIONS"];

/** Why a debugger was requested, or null. hacrmd refuses to run when it is not null. */
export const debuggerRequested: string | null =
  fromOptions.length > 0
    ? `NODE_OPTIONS asks for a debugger (${fromOptions.join(" ")})`
    : fromArgv.length > 0
      ? `node was started with ${fromArgv.join(" ")}`
      : wasOpen
        ? "the inspector was open"
        : null;

/** Called once the daemon's own SIGUSR1 handler is in place. */
export function releaseSigusr1Placeholder(): void {
  process.off("SIGUSR1", placeholder);
}
