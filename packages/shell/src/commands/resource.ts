import type { Command } from "../command.js";
import { ExitStatus, writeLine } from "../command.js";
import { RESOURCE_VERBS } from "../crm/session/resource.js";
import { joinArgs, runBatch, takeJson } from "../crm/session/script.js";

export const command: Command = {
  name: "resource",
  summary: "start, stop, move, ban, clear, clean up resources and change their attributes",
  usage: [
    "Usage: hacrm resource VERB RESOURCE [ARGS...] [--json]",
    "",
    "  start|stop|promote|demote|manage|unmanage RSC   set target-role / is-managed",
    "  maintenance RSC [on|off]",
    "  move|migrate RSC NODE    prefer NODE (leaves constraint cli-prefer-RSC: 'clear' removes it)",
    "  ban RSC NODE             keep RSC off NODE (leaves cli-ban-RSC-on-NODE)",
    "  clear RSC [NODE]         remove the move/ban constraints",
    "  cleanup RSC [NODE]       forget the operation history",
    "  meta|param|utilization RSC set|delete|show NAME [VALUE]",
    "  list                     resources with their agent and target-role",
    "",
    `Verbs: ${RESOURCE_VERBS.join(", ")}. With CIB_file=PATH, works on that file.`,
  ].join("\n"),
  async run(args, io) {
    const { json, rest } = takeJson(args);
    if (rest.length === 0) {
      writeLine(io.stderr, this.usage);
      return ExitStatus.usage;
    }
    await runBatch(io, "top", `resource ${joinArgs(rest)}`, "<command line>", json);
    return ExitStatus.ok;
  },
};
