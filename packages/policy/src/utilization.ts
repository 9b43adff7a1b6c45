import type { PNode, Rsc, WorkingSet } from "./model.js";
import { INFINITY } from "./scores.js";
import { canHost } from "./unpack-nodes.js";

/**
 * Utilization-aware placement (`placement-strategy` other than `default`):
 * a node takes a resource only while its remaining capacity (its
 * `<utilization>` minus what the resources assigned there so far use)
 * covers every attribute the resource needs. `balanced` then prefers the
 * node with more capacity left, `minimal` packs resources onto the first
 * nodes, `utilization` balances by resource count like `default`.
 */
export function usesUtilization(ws: WorkingSet): boolean {
  return ws.options.placementStrategy !== "default";
}

/** Whether the node still has room for `need`. */
export function hasCapacity(node: PNode, need: Map<string, number>): boolean {
  for (const [k, v] of need) {
    if (v <= 0) continue;
    const free = (node.capacity.get(k) ?? 0) - (node.used.get(k) ?? 0);
    if (free < v) return false;
  }
  return true;
}

/** Account for (sign 1) or release (sign -1) a resource's utilization on a node. */
export function consume(node: PNode, rsc: Rsc, sign: 1 | -1): void {
  for (const [k, v] of rsc.utilization) node.used.set(k, (node.used.get(k) ?? 0) + sign * v);
}

/** The unassigned primitives that must run with `p` (mandatory colocations, both ways), `p` included. */
function colocatedUnassigned(p: Rsc): Rsc[] {
  const out: Rsc[] = [];
  const seen = new Set<Rsc>();
  const stack = [p];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (seen.has(r)) continue;
    seen.add(r);
    if (r !== p && (!r.provisional || r.kind !== "primitive")) continue;
    out.push(r);
    for (const c of r.withPrimaries) if (c.score >= INFINITY) stack.push(c.primary);
    for (const c of r.withDependents) if (c.score >= INFINITY) stack.push(c.dependent);
  }
  return out;
}

function total(rscs: Rsc[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rscs) for (const [k, v] of r.utilization) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

/**
 * Ban the nodes that lack capacity: for `p` together with the unassigned
 * resources colocated with it when some node can take them all; otherwise
 * every node but the one with the most capacity left (which must still
 * take `p` alone), so that as many of them as fit follow it there.
 */
export function banInsufficientCapacity(ws: WorkingSet, p: Rsc): void {
  if (!usesUtilization(ws) || p.utilization.size === 0) return;
  const group = colocatedUnassigned(p);
  const together = total(group);
  const candidates: PNode[] = [];
  for (const [nid, e] of p.allowed) {
    const n = ws.nodesById.get(nid);
    if (n && canHost(n) && e.score >= 0) candidates.push(n);
  }
  candidates.sort((a, b) => a.index - b.index);
  let keep = (n: PNode): boolean => hasCapacity(n, together);
  if (!candidates.some(keep)) {
    let most: PNode | undefined;
    for (const n of candidates) if (!most || compareCapacity(n, most) > 0) most = n;
    keep =
      group.length > 1
        ? (n) => n === most && hasCapacity(n, p.utilization)
        : (n) => hasCapacity(n, p.utilization);
  }
  for (const [nid, e] of p.allowed) {
    const n = ws.nodesById.get(nid);
    if (!n || keep(n) || e.score <= -INFINITY) continue;
    e.score = -INFINITY;
    e.parts.push({ source: `node ${n.uname} has not enough capacity left`, score: -INFINITY });
  }
}

/** balanced: >0 when `a` has more capacity left than `b` (attribute by attribute). */
export function compareCapacity(a: PNode, b: PNode): number {
  let result = 0;
  const keys = new Set([...a.capacity.keys(), ...b.capacity.keys()]);
  for (const k of keys) {
    const fa = (a.capacity.get(k) ?? 0) - (a.used.get(k) ?? 0);
    const fb = (b.capacity.get(k) ?? 0) - (b.used.get(k) ?? 0);
    if (fa > fb) result++;
    else if (fa < fb) result--;
  }
  return result;
}
