import type { ScheduleResult } from "./engine.js";
import { topoOrder } from "./graph.js";
import type { PNode, Rsc, WorkingSet } from "./model.js";
import type { PlacementEntry } from "./summary.js";
import { formatScore } from "./scores.js";

function nodeList(ws: WorkingSet): string[] {
  const groups: [string, (n: PNode) => boolean][] = [
    ["Online", (n) => n.online && !n.standby && !n.maintenance],
    ["OFFLINE", (n) => !n.online && !n.unclean],
  ];
  const out = ["  * Node List:"];
  for (const n of ws.nodes) {
    if (n.online && n.standby) out.push(`    * Node ${n.uname}: standby`);
    else if (n.online && n.maintenance) out.push(`    * Node ${n.uname}: maintenance`);
    else if (n.unclean) out.push(`    * Node ${n.uname}: UNCLEAN (offline)`);
  }
  for (const [label, pred] of groups) {
    const names = ws.nodes.filter(pred).map((n) => n.uname);
    if (names.length > 0) out.push(`    * ${label}: [ ${names.join(" ")} ]`);
  }
  return out;
}

type Where = Map<string, { role: string; nodes: string[] }>;

function currentWhere(ws: WorkingSet): Where {
  const m: Where = new Map();
  for (const p of ws.primitives) {
    if (p.runningOn.length === 0) continue;
    const role = p.failed ? "FAILED" : p.role === "Started" ? "Started" : p.role;
    m.set(p.id, { role, nodes: p.runningOn.map((n) => n.uname) });
  }
  return m;
}

function placedWhere(placement: PlacementEntry[]): Where {
  const m: Where = new Map();
  for (const e of placement) {
    const cur = m.get(e.resource) ?? { role: e.role === "Failed" ? "FAILED" : e.role, nodes: [] };
    cur.nodes.push(e.node);
    m.set(e.resource, cur);
  }
  return m;
}

function rscLines(r: Rsc, where: Where, indent: string): string[] {
  if (r.kind === "primitive") {
    const w = where.get(r.id);
    const state = w ? `${w.role} ${w.nodes.join(" ")}` : "Stopped";
    const flags = r.managed ? "" : " (unmanaged)";
    return [`${indent}* ${r.id}\t(${r.agent}):\t ${state}${flags}`];
  }
  if (r.kind === "group") {
    return [
      `${indent}* Resource Group: ${r.id}:`,
      ...r.children.flatMap((c) => rscLines(c, where, indent + "  ")),
    ];
  }
  const child = r.children[0];
  const flags = [r.promotable ? "promotable" : "", r.unique ? "unique" : ""].filter(Boolean).join(", ");
  const head = `${indent}* Clone Set: ${r.id} [${child?.baseId ?? ""}]${flags ? ` (${flags})` : ""}:`;
  return [head, ...r.children.flatMap((c) => rscLines(c, where, indent + "  "))];
}

function resourceList(ws: WorkingSet, where: Where): string[] {
  return ["  * Full List of Resources:", ...ws.resources.flatMap((r) => rscLines(r, where, "    "))];
}

/** crm_simulate -S style text: current status, transition summary, executed actions, revised status. */
export function formatSimulation(res: ScheduleResult): string {
  const ws = res.workingSet;
  const out: string[] = [
    "Current cluster status:",
    ...nodeList(ws),
    "",
    ...resourceList(ws, currentWhere(ws)),
    "",
  ];
  out.push("Transition Summary:");
  for (const a of res.actions) out.push(`  * ${a.text}`);
  out.push("", "Executing Cluster Transition:");
  for (const a of topoOrder(res.graph)) {
    if (a.pseudo) {
      out.push(`  * Pseudo action:   ${a.resource ?? ""}_${a.task}_0`);
      continue;
    }
    const task =
      a.task === "monitor" && a.intervalMs === 0
        ? "monitor"
        : a.intervalMs
          ? `monitor=${a.intervalMs}`
          : a.task;
    out.push(`  * Resource action: ${(a.resource ?? "").padEnd(15)} ${task} on ${a.node ?? ""}`);
  }
  // Not out.push(...lines): a spread call puts every line on the stack (177k resources overflowed it).
  const revised = [
    "",
    "Revised Cluster Status:",
    ...nodeList(ws),
    "",
    ...resourceList(ws, placedWhere(res.placement)),
  ];
  for (const line of revised) out.push(line);
  return out.join("\n") + "\n";
}

/** Every primitive's allocation score on every node, with the parts it came from. */
export function formatScores(res: ScheduleResult): string {
  const out: string[] = ["Allocation scores (score = sum of parts; -INFINITY wins):"];
  let last = "";
  for (const s of res.scores) {
    if (s.resource !== last) {
      out.push(`  ${s.resource}:`);
      last = s.resource;
    }
    out.push(`    ${s.node.padEnd(12)} ${formatScore(s.score).padStart(10)}`);
    if (s.parts.length === 0) out.push(`      ${"".padStart(10)}  (no preference: every node starts at 0)`);
    for (const p of s.parts) out.push(`      ${formatScore(p.score).padStart(10)}  ${p.source}`);
  }
  if (res.promotion.length > 0) {
    out.push("", "Promotion scores:");
    for (const p of res.promotion) {
      out.push(`  ${p.instance} on ${p.node}: ${formatScore(p.score)}`);
      for (const part of p.parts) out.push(`      ${formatScore(part.score).padStart(10)}  ${part.source}`);
    }
  }
  return out.join("\n") + "\n";
}
