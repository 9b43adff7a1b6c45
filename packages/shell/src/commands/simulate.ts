import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseXml } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { formatScores, formatSimulation, graphToDot, schedule, type ScheduleResult } from "@hacrm/policy";
import { ExitStatus, writeLine, type Command, type CommandIo } from "../command.js";

const usage = `Usage: hacrm simulate [--xml-file FILE] [--json] [--show-scores] [--save-graph FILE [--dot]]

Run the policy engine once on a CIB file (default: $CIB_file) and print what
it would do, like crm_simulate -S: the current status, the transition
summary and the status after the transition.

  --xml-file FILE    CIB to read (or set CIB_file)
  --json             print {"actions": [...], "placement": [...]} only
  --show-scores      print every resource's score on every node, with its parts
  --save-graph FILE  write the transition graph as JSON (Graphviz with --dot)
  --dot              with --save-graph: write Graphviz dot instead of JSON
  --now SECONDS      evaluation time when the CIB has no execution-date`;

/** The JSON contract of design.md and the scheduler conformance corpus. */
export function toJsonContract(res: ScheduleResult): { actions: object[]; placement: object[] } {
  const actions = res.actions.map((a) => {
    const o: Record<string, unknown> = { action: a.action };
    if (a.resource !== undefined) o.resource = a.resource;
    if (a.node !== undefined) o.node = a.node;
    if (a.from !== undefined) o.from = a.from;
    if (a.to !== undefined) o.to = a.to;
    if (a.blocked) o.blocked = true;
    return o;
  });
  return {
    actions,
    placement: res.placement.map((p) => ({ resource: p.resource, role: p.role, node: p.node })),
  };
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "xml-file": { type: "string", short: "x" },
      json: { type: "boolean" },
      "show-scores": { type: "boolean", short: "s" },
      "save-graph": { type: "string", short: "G" },
      dot: { type: "boolean" },
      now: { type: "string" },
      simulate: { type: "boolean", short: "S" },
    },
    allowPositionals: false,
  });
  const file = values["xml-file"] ?? io.env.CIB_file;
  if (!file) {
    writeLine(io.stderr, "hacrm simulate: no CIB given (use --xml-file FILE or set CIB_file)");
    return ExitStatus.usage;
  }
  const full = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (err) {
    throw new HacrmError({
      code: "CIB_UNREADABLE",
      where: file,
      message: `cannot read: ${(err as Error).message}`,
    });
  }
  const nowSec = values.now !== undefined ? Number(values.now) : Math.floor(Date.now() / 1000);
  const res = schedule(parseXml(text, file), nowSec);
  if (values["save-graph"]) {
    const out = values.dot ? graphToDot(res.graph) : JSON.stringify(res.graph, null, 1) + "\n";
    await writeFile(path.resolve(io.cwd, values["save-graph"]), out);
  }
  if (values.json) {
    io.stdout.write(JSON.stringify(toJsonContract(res)) + "\n");
    return ExitStatus.ok;
  }
  if (values["show-scores"]) io.stdout.write(formatScores(res) + "\n");
  io.stdout.write(formatSimulation(res));
  return ExitStatus.ok;
}

export const command: Command = {
  name: "simulate",
  summary: "run the policy engine on a CIB and show the transition (like crm_simulate -S)",
  usage,
  run,
};
