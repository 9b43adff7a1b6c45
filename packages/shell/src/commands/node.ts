import type { Command } from "../command.js";
import { ExitStatus, writeLine } from "../command.js";
import { NODE_VERBS } from "../crm/session/node.js";
import { joinArgs, runBatch, takeJson } from "../crm/session/script.js";

export const command: Command = {
  name: "node",
  summary: "put nodes in standby or maintenance, set node attributes and utilization",
  usage: [
    "Usage: hacrm node VERB NODE [ARGS...] [--json]",
    "",
    "  standby|online NODE            standby=on|off in NODE-instance_attributes",
    "  maintenance|ready NODE         maintenance=true|false",
    "  attribute NODE set|delete|show NAME [VALUE]",
    "  utilization NODE set|delete|show NAME [VALUE]",
    "  list                           nodes with their attributes",
    "",
    `Verbs: ${NODE_VERBS.join(", ")}. With CIB_file=PATH, works on that file.`,
  ].join("\n"),
  async run(args, io) {
    const { json, rest } = takeJson(args);
    if (rest.length === 0) {
      writeLine(io.stderr, this.usage);
      return ExitStatus.usage;
    }
    await runBatch(io, "top", `node ${joinArgs(rest)}`, "<command line>", json);
    return ExitStatus.ok;
  },
};
