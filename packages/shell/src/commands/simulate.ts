import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseBoolean, parseXml, serializeXml, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import {
  applyTransition,
  formatScores,
  formatSimulation,
  graphToDot,
  injectNode,
  injectOp,
  injectQuorum,
  parseOpSpec,
  schedule,
  statusPlacement,
  type ScheduleResult,
} from "@hacrm/policy";
import { ExitStatus, writeLine, type Command, type CommandIo } from "../command.js";
import { askDaemon, socketPath } from "../daemon-client.js";

const usage = `Usage: hacrm simulate [--xml-file FILE] [--json] [--show-scores] [--save-graph FILE [--dot]]
                      [--node-up N] [--node-down N] [--node-fail N] [--op-inject OP] [--op-fail OP]
                      [--quorum BOOL] [--date DATE] [--save-output FILE]

Run the policy engine once on a CIB file (default: $CIB_file, else the running
cluster's CIB from the local hacrmd) and print what
it would do, like crm_simulate -S: the current status, the transition
summary and the status after the transition.

  --xml-file FILE    CIB to read (or set CIB_file; neither: the live cluster's)
  --json             print {"actions": [...], "placement": [...]} only
  --show-scores      print every resource's score on every node, with its parts
  --save-graph FILE  write the transition graph as JSON (Graphviz with --dot)
  --dot              with --save-graph: write Graphviz dot instead of JSON
  --now SECONDS      evaluation time when the CIB has no execution-date

What-if events, as crm_simulate takes them (each may repeat):
  --node-up NODE     the node joins the cluster
  --node-down NODE   the node leaves cleanly
  --node-fail NODE   the node is lost while expected up (it needs fencing)
  --op-inject OP     record an operation result first: RSC_TASK_INTERVALMS@NODE=RC,
                     e.g. web_monitor_10000@node1=7 (a failed monitor)
  --op-fail OP       make that action of the transition fail with RC; the status
                     after the transition and --save-output show the result
  --quorum BOOL      the cluster has quorum (true) or not (false)
  --date DATE        evaluate rules and failure-timeout at DATE (ISO 8601, e.g.
                     2024-05-01T12:00:00Z, or seconds since the epoch)
  --save-output FILE write the CIB after the injections and the transition; run
                     hacrm simulate on it to see what the cluster does next`;

/** `--date`: ISO 8601 (a date, or date and time, UTC unless an offset is given) or epoch seconds. */
export function parseDate(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  const ms = iso ? Date.parse(t.replace(" ", "T") + (iso[4] || !iso[1] ? "" : "Z")) : NaN;
  if (Number.isNaN(ms))
    throw new HacrmError({
      code: "DATE_INVALID",
      where: `--date ${text}`,
      message: "not an ISO 8601 date",
      hint: "e.g. 2024-05-01, 2024-05-01T12:00:00Z or seconds since the epoch",
    });
  return Math.floor(ms / 1000);
}

/** Apply the what-if injections in crm_simulate's order: quorum, nodes, then operations. */
function inject(
  cib: XmlElement,
  v: { [k: string]: string | string[] | boolean | undefined },
  now: number,
): XmlElement {
  let out = cib;
  const list = (k: string): string[] => (v[k] as string[] | undefined) ?? [];
  if (typeof v.quorum === "string") {
    const q = parseBoolean(v.quorum);
    if (!q.ok) throw new HacrmError({ code: "USAGE", where: `--quorum ${v.quorum}`, message: q.why });
    out = injectQuorum(out, q.value);
  }
  for (const n of list("node-up")) out = injectNode(out, n, "up");
  for (const n of list("node-down")) out = injectNode(out, n, "down");
  for (const n of list("node-fail")) out = injectNode(out, n, "fail");
  for (const o of list("op-inject")) out = injectOp(out, parseOpSpec(o), now);
  return out;
}

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
      "node-up": { type: "string", short: "u", multiple: true },
      "node-down": { type: "string", short: "d", multiple: true },
      "node-fail": { type: "string", short: "f", multiple: true },
      "op-inject": { type: "string", short: "i", multiple: true },
      "op-fail": { type: "string", short: "F", multiple: true },
      quorum: { type: "string", short: "q" },
      date: { type: "string" },
      "set-datetime": { type: "string", short: "t" },
      "save-output": { type: "string", short: "O" },
    },
    allowPositionals: false,
  });
  const named = values["xml-file"] ?? io.env.CIB_file;
  let file: string;
  let text: string;
  if (!named) {
    // The running cluster's CIB, from the local hacrmd.
    const socket = socketPath(undefined, io.env);
    file = `live CIB (${socket})`;
    text = (await askDaemon<{ ok: true; xml: string }>(socket, { cmd: "cib-query" })).xml;
  } else {
    file = named;
    try {
      text = await readFile(path.resolve(io.cwd, file), "utf8");
    } catch (err) {
      throw new HacrmError({
        code: "CIB_UNREADABLE",
        where: file,
        message: `cannot read: ${(err as Error).message}`,
      });
    }
  }
  const date = values.date ?? values["set-datetime"];
  let nowSec = values.now !== undefined ? Number(values.now) : Math.floor(Date.now() / 1000);
  let cib = parseXml(text, file);
  if (date !== undefined) {
    // An explicit date wins over the CIB's own execution-date, as with crm_simulate.
    nowSec = parseDate(date);
    cib = { ...cib, attrs: { ...cib.attrs, "execution-date": String(nowSec) } };
  }
  cib = inject(cib, values, nowSec);
  const res = schedule(cib, nowSec);
  for (const w of res.workingSet.warnings) writeLine(io.stderr, `warning: ${w}`);
  const opFail = (values["op-fail"] ?? []).map(parseOpSpec);
  if (opFail.length > 0 || values["save-output"]) {
    const after = applyTransition(cib, res, opFail, nowSec);
    if (values["save-output"])
      await writeFile(path.resolve(io.cwd, values["save-output"]), serializeXml(after) + "\n");
    // A failed action changes where things end up: read that from the status the transition left.
    if (opFail.length > 0) res.placement = statusPlacement(schedule(after, nowSec));
  }
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
