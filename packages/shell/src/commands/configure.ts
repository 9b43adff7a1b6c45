import type { Command } from "../command.js";
import { ExitStatus } from "../command.js";
import { joinArgs, readAll, runBatch, takeJson } from "../crm/session/script.js";

export const command: Command = {
  name: "configure",
  summary: "change the configuration in crmsh's configure language (offline on CIB_file)",
  usage: [
    "Usage: hacrm configure [COMMAND ...] [--json]",
    "",
    "  hacrm configure < script.crm     run a crm script (commits at the end, all or nothing)",
    "  hacrm configure primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.10",
    "  hacrm configure show [xml] [NAME...]",
    "  hacrm configure                  interactive, on a terminal",
    "",
    "With CIB_file=PATH the commands work on that CIB file (offline mode).",
  ].join("\n"),
  async run(args, io) {
    const { json, rest } = takeJson(args);
    if (rest.length > 0) {
      await runBatch(io, "configure", joinArgs(rest), "<command line>", json);
      return ExitStatus.ok;
    }
    await runBatch(io, "configure", await readAll(io.stdin), "<stdin>", json);
    return ExitStatus.ok;
  },
};
