/**
 * View computation, pure. Every node gossips its connectivity row (whom it
 * hears); from the fresh rows it knows, a node builds the graph of two-way
 * links, takes its connected component and splits it into cliques with one
 * deterministic greedy rule (lowest node id first). Nodes that know the same
 * rows compute the same cliques, so asymmetric links settle on views where
 * every member hears every other member.
 */
import type { MemberRef, Row, ViewDesc } from "./types.js";

export function edgeSet(rows: Map<number, Row>): (a: number, b: number) => boolean {
  return (a, b) => {
    const ra = rows.get(a);
    const rb = rows.get(b);
    return ra !== undefined && rb !== undefined && ra.heard.includes(b) && rb.heard.includes(a);
  };
}

/** Nodes reachable from `self` over two-way links, sorted by id. */
export function componentOf(self: number, rows: Map<number, Row>): number[] {
  const edge = edgeSet(rows);
  const seen = new Set<number>([self]);
  const queue = [self];
  while (queue.length > 0) {
    const a = queue.shift() as number;
    for (const b of rows.keys()) {
      if (!seen.has(b) && edge(a, b)) {
        seen.add(b);
        queue.push(b);
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The clique of `self` in the greedy clique partition of its component.
 * `senior` (the members of an installed view, see `seniorMembers`) are
 * taken first, so a node that just (re)started and hears only some of them
 * yet cannot split an existing view; then the others by id.
 */
export function cliqueOf(self: number, rows: Map<number, Row>, senior: number[] = []): number[] {
  const edge = edgeSet(rows);
  const component = componentOf(self, rows);
  const first = component.filter((n) => senior.includes(n));
  const left = [...first, ...component.filter((n) => !senior.includes(n))];
  while (left.length > 0) {
    const clique: number[] = [];
    for (const n of left) if (clique.every((c) => edge(c, n))) clique.push(n);
    if (clique.includes(self)) return clique;
    for (const c of clique) left.splice(left.indexOf(c), 1);
  }
  return [self];
}

/**
 * The members taken first when splitting into cliques: of the installed views
 * known (this node's and those its peers report), the one with the most
 * members that are still current (same incarnation as now known); ties go to
 * the higher ring. Nodes that know the same views choose the same.
 */
export function seniorMembers(views: (ViewDesc | null)[], current: (m: MemberRef) => boolean): number[] {
  let best: { ids: number[]; seq: number; rep: number } | null = null;
  for (const v of views) {
    if (!v) continue;
    const ids = v.members.filter(current).map((m) => m.id);
    const better =
      !best ||
      ids.length > best.ids.length ||
      (ids.length === best.ids.length && (v.seq > best.seq || (v.seq === best.seq && v.rep < best.rep)));
    if (better) best = { ids, seq: v.seq, rep: v.rep };
  }
  return best?.ids ?? [];
}

export function sameMembers(a: MemberRef[], b: MemberRef[]): boolean {
  return a.length === b.length && a.every((m, i) => m.id === b[i]?.id && m.inc === b[i]?.inc);
}

export function sameView(a: ViewDesc | null, b: ViewDesc | null): boolean {
  if (a === null || b === null) return a === b;
  return a.seq === b.seq && a.rep === b.rep && sameMembers(a.members, b.members);
}

export function ringId(v: { seq: number; rep: number }): string {
  return `${v.rep}.${v.seq}`;
}

/**
 * The view a node proposes for `members`. Ring ids stay unique because a node
 * never proposes two member sets under one sequence number: it stays in (or
 * adopts) a view some member installed with exactly these members; else it
 * joins the highest proposal for these members above everything it has
 * proposed itself (`ringSeq`); else it starts a new ring above all of that.
 */
export function targetView(
  members: MemberRef[],
  installed: (ViewDesc | null)[],
  proposals: ViewDesc[],
  mine: ViewDesc,
  ringSeq: number,
): ViewDesc {
  let maxInstalled = 0;
  for (const v of installed) if (v && v.seq > maxInstalled) maxInstalled = v.seq;
  for (const v of installed) {
    if (v && v.seq === maxInstalled && sameMembers(v.members, members)) return v;
  }
  let best: ViewDesc | null = null;
  for (const p of [mine, ...proposals]) {
    const allowed = p === mine || p.seq > ringSeq;
    if (allowed && p.seq > maxInstalled && sameMembers(p.members, members) && (!best || p.seq > best.seq))
      best = p;
  }
  if (best) return best;
  const rep = members.reduce((a, m) => Math.min(a, m.id), Infinity);
  return { seq: Math.max(ringSeq, maxInstalled) + 1, rep, members };
}
