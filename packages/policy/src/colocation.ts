import type { Colocation, NodeScore, PNode, Rsc, WorkingSet } from "./model.js";
import { canRunAny, scoreOn } from "./scoring.js";
import { addScores, INFINITY, scaleScore } from "./scores.js";
import { canHost } from "./unpack-nodes.js";

function firstMember(g: Rsc): Rsc | undefined {
  return g.children[0];
}

function lastMember(g: Rsc): Rsc | undefined {
  return g.children[g.children.length - 1];
}

/** Resolve group endpoints to members and register colocations on both resources. */
export function registerColocations(ws: WorkingSet): void {
  const all: Colocation[] = [];
  for (const c of ws.colocations) {
    const dependent = c.dependent.kind === "group" ? firstMember(c.dependent) : c.dependent;
    const primary =
      c.primary.kind === "group"
        ? c.score >= INFINITY
          ? lastMember(c.primary)
          : firstMember(c.primary)
        : c.primary;
    if (!dependent || !primary || dependent === primary) continue;
    all.push({ ...c, dependent, primary, configuredDependent: c.dependent, configuredPrimary: c.primary });
  }
  const visitGroups = (r: Rsc): void => {
    if (r.kind === "group") {
      for (let i = 1; i < r.children.length; i++) {
        all.push({
          id: `${r.id} (group)`,
          dependent: r.children[i]!,
          primary: r.children[i - 1]!,
          score: INFINITY,
          dependentRole: "Unknown",
          primaryRole: "Unknown",
          influence: true,
          nodeAttribute: "#uname",
        });
      }
    }
    for (const ch of r.children) visitGroups(ch);
  };
  for (const r of ws.resources) visitGroups(r);
  for (const c of all) {
    c.dependent.withPrimaries.push(c);
    c.primary.withDependents.push(c);
  }
  for (const r of ws.rscById.values()) {
    sortStable(r.withPrimaries, (a, b) =>
      cmpColocated(a.configuredPrimary ?? a.primary, b.configuredPrimary ?? b.primary),
    );
    sortStable(r.withDependents, (a, b) =>
      cmpColocated(a.configuredDependent ?? a.dependent, b.configuredDependent ?? b.dependent),
    );
  }
}

const VARIANT: Record<string, number> = { primitive: 0, group: 1, clone: 2 };

/** Order in which colocated resources are considered: priority, clones first, promotable first, id. */
function cmpColocated(a: Rsc, b: Rsc): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const va = VARIANT[a.kind] ?? 0;
  const vb = VARIANT[b.kind] ?? 0;
  if (va !== vb) return vb - va;
  if (a.promotable !== b.promotable) return a.promotable ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sortStable<T>(arr: T[], cmp: (a: T, b: T) => number): void {
  const idx = arr.map((v, i) => ({ v, i }));
  idx.sort((a, b) => cmp(a.v, b.v) || a.i - b.i);
  for (let i = 0; i < arr.length; i++) arr[i] = idx[i]!.v;
}

export function hasInfluence(c: Colocation): boolean {
  return c.influence || (c.primary.runningOn.length === 0 && !anyChildRunning(c.primary));
}

function anyChildRunning(r: Rsc): boolean {
  if (r.runningOn.length > 0) return true;
  return r.children.some(anyChildRunning);
}

function sameAttr(a: PNode, b: PNode, attr: string): boolean {
  if (attr === "#uname" || attr === "#id") return a === b;
  const va = a.attrs.get(attr);
  return va !== undefined && va === b.attrs.get(attr);
}

/** Colocations that apply to `r` as a dependent, including its clone's (for instances). */
export function dependentColocations(r: Rsc): Colocation[] {
  const parent = r.parent;
  if (parent?.kind === "clone") return [...r.withPrimaries, ...parent.withPrimaries];
  if (parent?.kind === "group" && parent.parent?.kind === "clone" && parent.children[0] === r) {
    return [...r.withPrimaries, ...parent.parent.withPrimaries];
  }
  return r.withPrimaries;
}

function isPromotableInstance(r: Rsc): boolean {
  let p = r.parent;
  while (p) {
    if (p.kind === "clone") return p.promotable;
    p = p.parent;
  }
  return false;
}

/** Nodes where the primary is (or will be) for this colocation; undefined when the primary is still unplaced. */
export function primaryNodes(c: Colocation): PNode[] | undefined {
  const p = c.primary;
  if (p.kind === "clone") {
    const out: PNode[] = [];
    for (const inst of p.children) {
      if (!inst.allocatedTo) continue;
      if (c.primaryRole !== "Unknown" && inst.nextRole !== c.primaryRole) continue;
      out.push(inst.allocatedTo);
    }
    return out;
  }
  if (p.provisional) return undefined;
  if (!p.allocatedTo) return [];
  if (c.primaryRole !== "Unknown" && p.nextRole !== c.primaryRole) return undefined;
  return [p.allocatedTo];
}

/** Apply a colocation to the dependent's scores once its primary is placed. */
export function applyColocation(ws: WorkingSet, dep: Rsc, c: Colocation): void {
  if (c.dependentRole !== "Unknown") {
    if (isPromotableInstance(dep)) return;
    if (dep.nextRole !== c.dependentRole) return;
  }
  const nodes = primaryNodes(c);
  if (nodes === undefined) {
    if (c.primary.kind !== "clone" && c.primary.provisional) return;
    if (c.primaryRole !== "Unknown") return;
  }
  const paired = interleaved(dep, c);
  const list = paired ? pairedNode(ws, dep, nodes ?? []) : (nodes ?? []);
  const inactive = paired ? 0 : inactivePrimaries(c);
  for (const [nid, e] of dep.allowed) {
    const node = ws.nodesById.get(nid);
    if (!node) continue;
    if (inactive > 0) {
      const sub = -scaleScore(c.score, inactive);
      e.score = addScores(e.score, sub);
      e.parts.push({ source: `colocation ${c.id}: ${c.primary.id} inactive`, score: sub });
    }
    const matches = list.filter((n) => sameAttr(n, node, c.nodeAttribute)).length;
    if (matches > 0) {
      if (c.score < INFINITY) {
        const add = c.primary.kind === "clone" ? scaleScore(c.score, matches) : c.score;
        e.score = addScores(e.score, add);
        e.parts.push({ source: `colocation ${c.id} with ${c.primary.id}`, score: add });
      }
    } else if (c.score >= INFINITY) {
      e.score = -INFINITY;
      e.parts.push({ source: `colocation ${c.id}: ${c.primary.id} is not here`, score: -INFINITY });
    }
  }
}

/**
 * Pacemaker subtracts a positive advisory colocation's score on every node
 * for each primary (or primary clone instance) that will not be active: a
 * clone with stopped instances repels its dependents everywhere a little.
 */
function inactivePrimaries(c: Colocation): number {
  if (c.score <= 0 || c.score >= INFINITY || c.primaryRole !== "Unknown") return 0;
  const p = c.primary;
  if (p.kind === "clone") return p.children.filter((i) => !i.allocatedTo).length;
  return !p.provisional && !p.allocatedTo ? 1 : 0;
}

/** An instance of an interleaved clone colocated with another clone pairs with one of its instances. */
function interleaved(dep: Rsc, c: Colocation): boolean {
  return (
    c.dependent.kind === "clone" &&
    c.dependent.interleave &&
    c.primary.kind === "clone" &&
    dep !== c.dependent
  );
}

/**
 * The node of the primary instance an interleaved instance pairs with: the
 * first of the instance's nodes, best score first (then fewer assigned
 * resources, then node order), that holds a primary instance.
 */
function pairedNode(ws: WorkingSet, dep: Rsc, primaryAt: PNode[]): PNode[] {
  const candidates: { n: PNode; score: number }[] = [];
  for (const [nid, e] of dep.allowed) {
    const n = ws.nodesById.get(nid);
    if (n) candidates.push({ n, score: e.score });
  }
  candidates.sort(
    (a, b) => b.score - a.score || a.n.numResources - b.n.numResources || a.n.index - b.n.index,
  );
  const found = candidates.find((x) => primaryAt.includes(x.n));
  return found ? [found.n] : [];
}

/**
 * Pull a dependent's node preferences into `work` (the primary's scores),
 * scaled by factor, recursively through its own dependents. Rolls back if the
 * result would leave nowhere to run.
 */
export function mergeDependent(
  ws: WorkingSet,
  dep: Rsc,
  work: Map<string, NodeScore>,
  factor: number,
  label: string,
  onlyPositive = false,
  clipped: Set<string> = new Set(),
): Map<string, NodeScore> {
  if (dep.merging) return work;
  dep.merging = true;
  const next = new Map<string, NodeScore>();
  for (const [nid, e] of work) {
    const node = ws.nodesById.get(nid);
    // Nodes that cannot run anything count as -INFINITY for the dependent.
    const s = node && canHost(node) ? dependentScore(dep, nid) : -INFINITY;
    if ((factor < 0 && s < 0) || clipped.has(nid)) {
      next.set(nid, e);
      continue;
    }
    const add = scaleScore(s, factor);
    if (add === 0) {
      next.set(nid, e);
      continue;
    }
    let score = addScores(e.score, add);
    if (onlyPositive && score < 0 && e.score >= 0) {
      // Clones take only positive pulls from their dependents: a node they would push below
      // zero keeps one point, and further dependents no longer change it.
      if (e.score === 0) {
        next.set(nid, e);
        continue;
      }
      score = 1;
      clipped.add(nid);
    }
    next.set(nid, { score, parts: [...e.parts, { source: label, score: score - e.score }] });
  }
  let result = next;
  if (!canRunAny(ws, next)) result = work;
  else {
    for (const c of dep.withDependents) {
      if (!hasInfluence(c)) continue;
      // Pacemaker passes only the sign of the outer factor down, not its size.
      const f = (factor < 0 ? -1 : 1) * (c.score / INFINITY);
      if (f === 0) continue;
      result = mergeDependent(
        ws,
        c.dependent,
        result,
        f,
        `${label} via ${c.id} (${c.dependent.id})`,
        onlyPositive,
        clipped,
      );
    }
  }
  dep.merging = false;
  return result;
}

function dependentScore(dep: Rsc, nid: string): number {
  return scoreOn(dep, nid);
}
