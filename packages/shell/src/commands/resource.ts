import type { Command, CommandIo } from "../command.js";
import { ExitStatus, writeLine } from "../command.js";
import { RESOURCE_VERBS } from "../crm/session/resource.js";
import { joinArgs, runBatch, takeJson } from "../crm/session/script.js";
import { askDaemon, socketPath } from "../daemon-client.js";

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
    if (rest[0] === "cleanup" && rest[1] !== undefined && io.env["CIB_file"] === undefined)
      return cleanupLive(rest[1], rest[2], io);
    await runBatch(io, "top", `resource ${joinArgs(rest)}`, "<command line>", json);
    return ExitStatus.ok;
  },
};

/**
 * Live cleanup (no CIB_file): the running cluster forgets the resource's
 * operation history and fail counts (a `cleanup` write, docs/transitions.md);
 * the DC then probes it again.
 */
async function cleanupLive(resource: string, node: string | undefined, io: CommandIo): Promise<number> {
  const write = { op: "cleanup", resource, ...(node !== undefined ? { node } : {}) };
  const reply = await askDaemon<{
    ok: boolean;
    result: { ok: boolean; error?: { code: string; message: string } };
  }>(socketPath(undefined, io.env), { cmd: "cib-write", write });
  if (!reply.result.ok) {
    writeLine(
      io.stderr,
      `hacrm resource cleanup: ${reply.result.error?.code ?? "ERROR"}: ${reply.result.error?.message ?? ""}`,
    );
    return ExitStatus.invalid;
  }
  writeLine(io.stdout, `Cleaned up ${resource} on ${node ?? "all nodes"}`);
  return ExitStatus.ok;
}
