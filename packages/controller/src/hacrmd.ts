import { parseArgs } from "node:util";

export const HACRMD_USAGE = `Usage: hacrmd [OPTIONS]

Run the hacrm cluster daemon on this node.

Options:
  --config FILE      cluster config in corosync.conf syntax (default /etc/hacrm/hacrm.conf)
  --node NAME        which nodelist entry this is (default: the entry whose address is local)
  --state-dir DIR    persistent state (default /var/lib/hacrm)
  --socket PATH      local control socket (default /run/hacrm/hacrmd.sock)
  --group NAME       group allowed to use the socket and read the state dir (default haclient)
  --pretty           human-readable logs instead of JSON lines
  -h, --help         show this help
  -V, --version      show the version

Signals: SIGTERM/SIGINT stop; SIGUSR1/SIGUSR2 raise/lower the log level;
SIGHUP is logged and ignored. No signal, option or NODE_OPTIONS opens a debugger.`;

export interface HacrmdOptions {
  config: string;
  node: string | undefined;
  stateDir: string;
  socket: string;
  group: string;
  pretty: boolean;
}

/** Parse hacrmd's command line; throws on unknown options. */
export function parseHacrmdArgs(argv: string[]): HacrmdOptions | "help" | "version" {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", default: "/etc/hacrm/hacrm.conf" },
      node: { type: "string" },
      "state-dir": { type: "string", default: "/var/lib/hacrm" },
      socket: { type: "string", default: "/run/hacrm/hacrmd.sock" },
      group: { type: "string", default: "haclient" },
      pretty: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", short: "V", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  if (values.version) return "version";
  return {
    config: values.config,
    node: values.node,
    stateDir: values["state-dir"],
    socket: values.socket,
    group: values.group,
    pretty: values.pretty,
  };
}
