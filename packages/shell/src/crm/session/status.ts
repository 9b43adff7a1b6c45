import { walk, type XmlElement } from "@hacrm/cib";
import { formatScores, schedule, type PNode, type Rsc, type WorkingSet } from "@hacrm/policy";
import { findResource, section } from "../lang/doc.js";

/**
 * Read-only views of a CIB, as crm_mon and crm_resource print them: the cluster
 * status, where a resource runs, its constraints and operations, a node's state.
 * Offline they read the file's status section; live, the cluster's.
 */

/** The scheduler's view of the CIB (what runs where, node states); undefined when it cannot be read. */
function workingSet(cib: XmlElement, now: Date): WorkingSet | undefined {
  try {
    return schedule(cib, Math.floor(now.getTime() / 1000)).workingSet;
  } catch {
    return undefined;
  }
}

function nodeLines(ws: WorkingSet): string[] {
  const out = ["Node List:"];
  for (const n of ws.nodes) {
    if (n.unclean) out.push(`  * Node ${n.uname}: UNCLEAN (offline)`);
    else if (n.online && n.standby) out.push(`  * Node ${n.uname}: standby`);
    else if (n.online && n.maintenance) out.push(`  * Node ${n.uname}: maintenance`);
  }
  const online = ws.nodes.filter((n) => n.online && !n.standby && !n.maintenance && !n.unclean);
  const offline = ws.nodes.filter((n) => !n.online && !n.unclean);
  if (online.length > 0) out.push(`  * Online: [ ${online.map((n) => n.uname).join(" ")} ]`);
  if (offline.length > 0) out.push(`  * OFFLINE: [ ${offline.map((n) => n.uname).join(" ")} ]`);
  return out;
}

function state(p: Rsc, withNodes: boolean): string {
  if (p.runningOn.length === 0) return "Stopped";
  const role = p.failed
    ? "FAILED"
    : p.role === "Promoted"
      ? "Promoted"
      : p.role === "Unpromoted"
        ? "Unpromoted"
        : "Started";
  return withNodes ? `${role} ${p.runningOn.map((n) => n.uname).join(" ")}` : role;
}

function rscLines(r: Rsc, indent: string, withNodes: boolean, nodes: PNode[]): string[] {
  if (r.kind === "primitive") {
    return [`${indent}* ${r.id}\t(${r.agent}):\t ${state(r, withNodes)}${r.managed ? "" : " (unmanaged)"}`];
  }
  if (r.kind === "group") {
    return [
      `${indent}* Resource Group: ${r.id}:`,
      ...r.children.flatMap((c) => rscLines(c, `${indent}  `, withNodes, nodes)),
    ];
  }
  const first = r.children[0];
  const flags = [r.promotable ? "promotable" : "", r.unique ? "unique" : ""].filter(Boolean).join(", ");
  const out = [`${indent}* Clone Set: ${r.id} [${first?.baseId ?? ""}]${flags ? ` (${flags})` : ""}:`];
  const byRole = new Map<string, string[]>();
  const used = new Set<string>();
  for (const inst of r.children) {
    const prims = inst.kind === "primitive" ? [inst] : inst.children;
    const p = prims[0];
    if (!p || p.runningOn.length === 0) continue;
    const role = state(p, false);
    for (const n of p.runningOn) {
      byRole.set(role, [...(byRole.get(role) ?? []), n.uname]);
      used.add(n.uname);
    }
  }
  for (const [role, on] of byRole) out.push(`${indent}  * ${role}: [ ${on.join(" ")} ]`);
  const stopped = nodes.filter((n) => !used.has(n.uname)).map((n) => n.uname);
  if (stopped.length > 0) out.push(`${indent}  * Stopped: [ ${stopped.join(" ")} ]`);
  return out;
}

function allPrimitives(r: Rsc): Rsc[] {
  return r.kind === "primitive" ? [r] : r.children.flatMap(allPrimitives);
}

/** crm_mon's one-shot view: summary, nodes, resources. */
export function clusterStatus(cib: XmlElement, now: Date, label: string): string {
  const ws = workingSet(cib, now);
  const nodes = section(cib, "nodes").children.length;
  const instances = ws ? ws.resources.flatMap(allPrimitives).length : 0;
  const written = cib.attrs["cib-last-written"];
  const out = [
    "Cluster Summary:",
    `  * Stack: hacrm${label === "live" ? "" : ` (offline: ${label})`}`,
    `  * Current DC: ${cib.attrs["dc-uuid"] && label === "live" ? cib.attrs["dc-uuid"] : "NONE"}`,
    `  * Last change:  ${written ?? ""}${cib.attrs["update-client"] ? ` via ${cib.attrs["update-client"]}` : ""}`,
    `  * ${nodes} node${nodes === 1 ? "" : "s"} configured`,
    `  * ${instances} resource instance${instances === 1 ? "" : "s"} configured`,
    "",
  ];
  if (!ws) return [...out, "The scheduler cannot read this CIB: run 'hacrm verify'."].join("\n");
  out.push(...nodeLines(ws), "", "Full List of Resources:");
  if (ws.resources.length === 0) out.push("  * No resources");
  for (const r of ws.resources) out.push(...rscLines(r, "  ", true, ws.nodes));
  return out.join("\n");
}

/** `resource status` without a name: the resource list without nodes, as crmsh prints it. */
export function resourceList(cib: XmlElement, now: Date): string {
  const ws = workingSet(cib, now);
  if (!ws) return "The scheduler cannot read this CIB: run 'hacrm verify'.";
  const out = ["Full List of Resources:"];
  if (ws.resources.length === 0) out.push("  * No resources");
  for (const r of ws.resources) out.push(...rscLines(r, "  ", false, ws.nodes));
  return out.join("\n");
}

function findRsc(ws: WorkingSet, id: string): Rsc | undefined {
  const seek = (r: Rsc): Rsc | undefined =>
    r.id === id || (r.kind === "primitive" && r.baseId === id && r.parent?.kind !== "clone")
      ? r
      : r.children.map(seek).find((x) => x !== undefined);
  return ws.resources.map(seek).find((x) => x !== undefined);
}

/** Where a resource runs: crm_resource --locate's lines. */
export function locate(cib: XmlElement, now: Date, id: string): string[] {
  const ws = workingSet(cib, now);
  const r = ws ? findRsc(ws, id) : undefined;
  const nodes: { node: PNode; promoted: boolean }[] = [];
  for (const p of r ? allPrimitives(r) : [])
    for (const n of p.runningOn) nodes.push({ node: n, promoted: p.role === "Promoted" });
  if (nodes.length === 0) return [`resource ${id} is NOT running`];
  return nodes.map((n) => `resource ${id} is running on: ${n.node.uname}${n.promoted ? " Promoted" : ""}`);
}

/** The nodes a resource runs on (for --json and tests). */
export function runningNodes(cib: XmlElement, now: Date, id: string): string[] {
  const ws = workingSet(cib, now);
  const r = ws ? findRsc(ws, id) : undefined;
  return [...new Set((r ? allPrimitives(r) : []).flatMap((p) => p.runningOn.map((n) => n.uname)))];
}

/** Every resource's allocation score on every node. */
export function scores(cib: XmlElement, now: Date): string {
  return formatScores(schedule(cib, Math.floor(now.getTime() / 1000)));
}

function score(c: XmlElement): string {
  return c.attrs["score"] ?? (c.attrs["score-attribute"] ? `attribute ${c.attrs["score-attribute"]}` : "0");
}

/** The resources a colocation names, as (dependent, primary) pairs; sets chain member to member. */
function colocationPairs(c: XmlElement): [string, string][] {
  if (c.attrs["rsc"] && c.attrs["with-rsc"]) return [[c.attrs["rsc"], c.attrs["with-rsc"]]];
  const sets = c.children.filter((s) => s.name === "resource_set");
  const refs = sets.map((s) =>
    s.children.filter((x) => x.name === "resource_ref").map((x) => x.attrs["id"] ?? ""),
  );
  const pairs: [string, string][] = [];
  // Between sets: every member of a later set is placed with the earlier set.
  for (let k = 1; k < refs.length; k++)
    for (const d of refs[k - 1] ?? []) for (const p of refs[k] ?? []) pairs.push([d, p]);
  for (const members of refs)
    for (let k = 1; k < members.length; k++) pairs.push([members[k] ?? "", members[k - 1] ?? ""]);
  return pairs;
}

/** crm_resource --constraints: locations of the resource, what is placed with it, what it is placed with. */
export function constraints(cib: XmlElement, id: string): string[] {
  const cons = section(cib, "constraints").children;
  const out: string[] = [];
  const locations = (rsc: string, indent: string): string[] => {
    const lines: string[] = [];
    for (const c of cons) {
      if (c.name !== "rsc_location" || c.attrs["rsc"] !== rsc) continue;
      const where = c.attrs["node"] ? `Node ${c.attrs["node"]}` : "Rule";
      lines.push(`${indent}  * ${where} (score=${score(c)}, id=${c.attrs["id"] ?? ""}, rsc=${rsc})`);
    }
    return lines.length > 0 ? [`${indent}* Locations:`, ...lines] : [];
  };
  const own = locations(id, "");
  if (own.length > 0) out.push("Locations:", ...own.slice(1));
  const withMe: string[] = [];
  const iWith: string[] = [];
  for (const c of cons) {
    if (c.name !== "rsc_colocation") continue;
    for (const [dep, prim] of colocationPairs(c)) {
      const line = (other: string): string => `  * ${other} (score=${score(c)}, id=${c.attrs["id"] ?? ""})`;
      if (prim === id && dep !== id) withMe.push(line(dep));
      if (dep === id && prim !== id) iWith.push(line(prim), ...locations(prim, "    "));
    }
  }
  if (withMe.length > 0) out.push(`Resources colocated with ${id}:`, ...withMe);
  if (iWith.length > 0) out.push(`Resources ${id} is colocated with:`, ...iWith);
  return out;
}

export interface OperationRecord {
  resource: string;
  node: string;
  id: string;
  call: string;
  rc: string;
  lastRcChange?: string;
  exec?: string;
}

/** The operation history of the status section (a resource's, a node's, or all). */
export function operations(cib: XmlElement, rsc?: string, node?: string): OperationRecord[] {
  const status = cib.children.find((c) => c.name === "status");
  const out: OperationRecord[] = [];
  for (const ns of status?.children ?? []) {
    const uname = ns.attrs["uname"] ?? ns.attrs["id"] ?? "";
    if (node !== undefined && uname !== node) continue;
    for (const lr of walk(ns)) {
      if (lr.name !== "lrm_resource") continue;
      const id = lr.attrs["id"] ?? "";
      if (rsc !== undefined && id !== rsc && id.replace(/:\d+$/, "") !== rsc) continue;
      for (const op of lr.children.filter((c) => c.name === "lrm_rsc_op")) {
        const change = op.attrs["last-rc-change"];
        out.push({
          resource: id,
          node: uname,
          id: op.attrs["id"] ?? "",
          call: op.attrs["call-id"] ?? "",
          rc: op.attrs["rc-code"] ?? "",
          ...(change ? { lastRcChange: new Date(Number(change) * 1000).toUTCString() } : {}),
          ...(op.attrs["exec-time"] ? { exec: `${op.attrs["exec-time"]}ms` } : {}),
        });
      }
    }
  }
  return out;
}

export function operationLine(o: OperationRecord): string {
  const parts = [`node=${o.node}`, `call=${o.call}`, `rc=${o.rc}`];
  if (o.lastRcChange) parts.push(`last-rc-change='${o.lastRcChange}'`);
  if (o.exec) parts.push(`exec=${o.exec}`);
  return `${o.resource}: ${o.id} (${parts.join(", ")})`;
}

/** A node's type and attributes, as `crm node show` prints them (one line per attribute set). */
export function nodeShow(cib: XmlElement, el: XmlElement): string[] {
  const uname = el.attrs["uname"] ?? el.attrs["id"] ?? "";
  const id = el.attrs["id"] ?? uname;
  const state = cib.children
    .find((c) => c.name === "status")
    ?.children.find((c) => c.name === "node_state" && (c.attrs["uname"] === uname || c.attrs["id"] === id));
  const offline = state?.attrs["crmd"] === "offline" ? "(offline)" : "";
  const out = [`${uname}${id !== uname ? `(${id})` : ""}: ${el.attrs["type"] ?? "member"}${offline}`];
  for (const [k, v] of Object.entries(el.attrs))
    if (k !== "id" && k !== "uname" && k !== "type") out.push(`\t${k}: ${v}`);
  for (const s of el.children) {
    if (s.name !== "instance_attributes") continue;
    const pairs = s.children.filter((c) => c.name === "nvpair");
    out.push(`\t${pairs.map((p) => `${p.attrs["name"] ?? ""}=${p.attrs["value"] ?? ""}`).join(" ")}`);
  }
  return out;
}

/** The resource element named `id` (a configured resource or a clone instance's base id). */
export function hasResource(cib: XmlElement, id: string): boolean {
  return findResource(cib, id) !== undefined;
}
