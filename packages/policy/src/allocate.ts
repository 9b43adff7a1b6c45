import type { Colocation, NodeScore, PNode, Rsc, WorkingSet } from "./model.js";
import { applyColocation, dependentColocations, hasInfluence, mergeDependent } from "./colocation.js";
import { canRunAny, scoreOn } from "./scoring.js";
import { addScores, INFINITY } from "./scores.js";
import { stoppedForQuorum } from "./quorum.js";
import { canHost } from "./unpack-nodes.js";
import { allPrimitives, topOf } from "./unpack-resources.js";
import { setPromotionRoles, type PromotionDetail } from "./promotable.js";
import { banInsufficientCapacity, compareCapacity, consume, usesUtilization } from "./utilization.js";

interface CloneState {
  counts: Map<string, number>;
}

/** Allocation context: per-clone instance counts while distributing. */
export class Allocator {
  private readonly cloneState = new Map<Rsc, CloneState>();
  /** A clone's colocation dependents, pulled into the instance being allocated. */
  private readonly parentDependents = new Map<Rsc, Colocation[]>();
  /** Promotion scores computed for promotable clones, for --show-scores. */
  readonly promotion: PromotionDetail[] = [];
  constructor(private readonly ws: WorkingSet) {}

  /** Allocate every top-level resource in Pacemaker's order. */
  run(): void {
    for (const r of this.sortedResources()) this.allocate(r);
  }

  sortedResources(): Rsc[] {
    const ws = this.ws;
    const sortNodes = [...ws.nodes].sort((a, b) => (a.uname < b.uname ? -1 : a.uname > b.uname ? 1 : 0));
    const weights = new Map<Rsc, Map<string, number>>();
    for (const r of ws.resources) weights.set(r, this.sortWeights(r));
    const current = (r: Rsc): number => {
      const node = currentNode(r);
      if (!node) return -INFINITY;
      return weights.get(r)!.get(node.id) ?? -INFINITY;
    };
    const indexed = ws.resources.map((r, i) => ({ r, i }));
    indexed.sort((a, b) => {
      if (a.r.priority !== b.r.priority) return b.r.priority - a.r.priority;
      // Only utilization-aware placement sorts further, by score where each resource runs, then by scores.
      if (!usesUtilization(ws) && a.i !== b.i) return a.i - b.i;
      const ca = current(a.r);
      const cb = current(b.r);
      if (ca !== cb) return cb - ca;
      const wa = weights.get(a.r)!;
      const wb = weights.get(b.r)!;
      for (const n of sortNodes) {
        const x = wa.get(n.id) ?? -INFINITY;
        const y = wb.get(n.id) ?? -INFINITY;
        if (x !== y) return y - x;
      }
      return a.i - b.i;
    });
    return indexed.map((x) => x.r);
  }

  private sortWeights(r: Rsc): Map<string, number> {
    const base = r.kind === "group" ? (r.children[0] ?? r) : r;
    const out = new Map<string, number>();
    for (const [nid, e] of base.allowed) {
      const n = this.ws.nodesById.get(nid);
      out.set(nid, n && canHost(n) ? e.score : -INFINITY);
    }
    for (const c of base.withPrimaries) {
      const f = c.score / INFINITY;
      for (const [nid, w] of out) {
        const s = scoreOn(c.primary, nid);
        if (f < 0 && s < 0) continue;
        out.set(nid, clampAdd(w, Math.trunc(s * f)));
      }
    }
    return out;
  }

  /** Allocate a resource (dispatching to its top-level container). Returns its node. */
  allocate(r: Rsc): PNode | undefined {
    const top = topOf(r);
    if (top.kind === "clone") this.allocateClone(top);
    else if (top.kind === "group") this.allocateGroup(top, undefined);
    else this.allocatePrimitive(top, undefined);
    return r.allocatedTo;
  }

  private allocateGroup(g: Rsc, prefer: PNode | undefined): PNode | undefined {
    if (!g.provisional || g.allocating) return g.allocatedTo;
    g.allocating = true;
    let first = true;
    for (const m of g.children) {
      this.allocatePrimitive(m, first ? prefer : undefined);
      first = false;
    }
    g.allocatedTo = g.children[0]?.allocatedTo;
    g.nextRole = g.allocatedTo ? "Started" : "Stopped";
    g.provisional = false;
    g.allocating = false;
    return g.allocatedTo;
  }

  allocatePrimitive(p: Rsc, prefer: PNode | undefined): PNode | undefined {
    if (!p.provisional) return p.allocatedTo;
    if (p.allocating) return undefined;
    p.allocating = true;
    const ws = this.ws;
    for (const c of dependentColocations(p)) {
      const archive =
        c.dependentRole === "Promoted" || (c.score < INFINITY && c.score > -INFINITY)
          ? snapshot(p.allowed)
          : undefined;
      this.allocatePrimary(c.primary);
      applyColocation(ws, p, c);
      if (archive && !canRunAny(ws, p.allowed)) p.allowed = archive;
    }
    this.pullDependents(p, [...p.withDependents, ...(this.parentDependents.get(p) ?? [])], false);
    this.parentDependents.delete(p);
    if (p.managed) banInsufficientCapacity(ws, p);
    this.assign(p, prefer);
    p.allocating = false;
    return p.allocatedTo;
  }

  private assign(p: Rsc, prefer: PNode | undefined): void {
    const ws = this.ws;
    let chosen: PNode | undefined;
    if (!p.managed) {
      chosen = p.runningOn[0];
    } else if (p.targetRole === "Stopped" || (ws.options.stopAllResources && !p.orphan) || p.orphan) {
      chosen = undefined;
    } else if (stoppedForQuorum(ws, p)) {
      chosen = undefined;
    } else {
      chosen = this.chooseNode(p, prefer);
    }
    p.allocatedTo = chosen;
    p.provisional = false;
    if (chosen) {
      chosen.numResources++;
      if (usesUtilization(ws)) consume(chosen, p, 1);
      p.nextRole = p.role === "Promoted" && !p.managed ? "Promoted" : "Started";
    } else p.nextRole = "Stopped";
  }

  private chooseNode(p: Rsc, prefer: PNode | undefined): PNode | undefined {
    const ws = this.ws;
    const current = p.runningOn.length === 1 ? p.runningOn[0] : undefined;
    let best: PNode | undefined;
    let bestScore = -INFINITY;
    for (const [nid, e] of p.allowed) {
      const n = ws.nodesById.get(nid);
      if (!n || !canHost(n) || e.score < 0) continue;
      if (!best || better(ws.options.placementStrategy, n, e.score, best, bestScore, current)) {
        best = n;
        bestScore = e.score;
      }
    }
    if (!best) return undefined;
    if (prefer && prefer !== best) {
      const s = p.allowed.get(prefer.id);
      if (s && s.score >= bestScore && canHost(prefer)) return prefer;
    }
    const uniqueInst = p.parent?.kind === "clone" && p.parent.unique;
    if (!uniqueInst && current && current !== best && bestScore > 0 && canHost(current)) {
      if (scoreOn(p, current.id) === bestScore) return current;
    }
    return best;
  }

  /** A colocation's primary is placed before its dependent, whether clone or not. */
  private allocatePrimary(primary: Rsc): void {
    if (primary.kind === "clone") this.allocateClone(primary);
    else this.allocate(primary);
  }

  /** Dependents with influence pull their node preferences into `r`'s, scaled by the colocation score. */
  private pullDependents(r: Rsc, colocations: Iterable<Colocation>, onlyPositive: boolean): void {
    for (const c of colocations) {
      if (!hasInfluence(c)) continue;
      const source = `colocation ${c.id}: ${c.dependent.id} prefers`;
      r.allowed = mergeDependent(this.ws, c.dependent, r.allowed, c.score / INFINITY, source, onlyPositive);
    }
  }

  private allocateClone(c: Rsc): void {
    if (!c.provisional || c.allocating) return;
    c.allocating = true;
    const ws = this.ws;
    for (const col of c.withPrimaries) {
      this.allocatePrimary(col.primary);
    }
    this.pullDependents(c, c.withDependents, true);
    this.distribute(c);
    if (c.promotable) this.promotion.push(...setPromotionRoles(ws, c));
    c.allocatedTo = undefined;
    c.nextRole = c.children.some((i) => i.allocatedTo) ? "Started" : "Stopped";
    c.provisional = false;
    c.allocating = false;
  }

  private distribute(c: Rsc): void {
    const ws = this.ws;
    const state: CloneState = { counts: new Map() };
    this.cloneState.set(c, state);
    const available = ws.nodes.filter((n) => canHost(n) && scoreOn(c, n.id) >= 0).length;
    const max = c.cloneMax;
    const perNode = c.cloneNodeMax;
    const loopMax = available > 0 ? Math.max(1, Math.floor(max / available)) : 1;
    const instances = sortInstances(c, (inst, node) => configuredScore(firstPrim(inst), node.id) >= 0);
    let allocated = 0;
    for (const inst of instances) {
      if (allocated >= max) break;
      const prims = allPrimitives(inst);
      const running = inst.kind === "group" ? prims[0]?.runningOn : inst.runningOn;
      if (!running || running.length !== 1 || prims.some((p) => p.failed)) continue;
      const node = running[0]!;
      if ((state.counts.get(node.id) ?? 0) >= Math.min(loopMax, perNode)) continue;
      if (!this.canRunInstance(c, inst, node, perNode)) continue;
      if (this.allocateInstance(c, inst, node, perNode)) allocated++;
    }
    for (const inst of instances) {
      if (!inst.provisional) continue;
      if (allocated >= max) {
        this.stopInstance(inst);
        continue;
      }
      if (this.allocateInstance(c, inst, undefined, perNode)) allocated++;
    }
  }

  /** Fewer instances than nodes able to run resources: the clone's positive colocations bind each instance. */
  private allColoc(c: Rsc): boolean {
    let available = 0;
    for (const nid of c.allowed.keys()) {
      const n = this.ws.nodesById.get(nid);
      if (n && canHost(n)) available++;
    }
    return c.cloneMax < available;
  }

  private stopInstance(inst: Rsc): void {
    for (const p of [inst, ...allPrimitives(inst)]) {
      if (!p.provisional) continue;
      if (p.kind === "primitive" && !p.managed) {
        this.assign(p, undefined);
        continue;
      }
      p.allocatedTo = undefined;
      p.nextRole = "Stopped";
      p.provisional = false;
    }
  }

  private canRunInstance(c: Rsc, _inst: Rsc, node: PNode, perNode: number): boolean {
    if (!canHost(node)) return false;
    if (scoreOn(c, node.id) < 0) return false;
    const count = this.cloneState.get(c)?.counts.get(node.id) ?? 0;
    return count < perNode;
  }

  private allocateInstance(c: Rsc, inst: Rsc, prefer: PNode | undefined, perNode: number): PNode | undefined {
    const prims = allPrimitives(inst);
    const backups = prims.map((p) => ({ p, allowed: snapshot(p.allowed) }));
    for (const p of [inst, ...prims]) {
      for (const [nid, e] of p.allowed) {
        const n = this.ws.nodesById.get(nid);
        if (n && !this.canRunInstance(c, inst, n, perNode) && e.score > -INFINITY) {
          p.allowed.set(nid, {
            score: -INFINITY,
            parts: [...e.parts, { source: `clone ${c.id} limit or ban`, score: -INFINITY }],
          });
        }
      }
    }
    const target = inst.kind === "group" ? inst.children[0] : inst;
    // The clone's dependents pull on the instance after its own colocations applied (see allocatePrimitive).
    // Positive pulls count on each instance only when not every node gets one (Pacemaker's all_coloc).
    if (target)
      this.parentDependents.set(
        target,
        c.withDependents.filter((col) => this.allColoc(c) || col.score < 0),
      );
    const chosen =
      inst.kind === "group" ? this.allocateGroup(inst, prefer) : this.allocatePrimitive(inst, prefer);
    if (prefer && chosen !== prefer) {
      for (const { p, allowed } of backups) {
        if (p.allocatedTo && !p.provisional) {
          p.allocatedTo.numResources--;
          if (usesUtilization(this.ws)) consume(p.allocatedTo, p, -1);
        }
        p.allowed = allowed;
        p.allocatedTo = undefined;
        p.provisional = true;
        p.nextRole = "Unknown";
      }
      inst.provisional = true;
      inst.allocatedTo = undefined;
      return undefined;
    }
    const node = inst.kind === "group" ? inst.children[0]?.allocatedTo : inst.allocatedTo;
    if (node) {
      const st = this.cloneState.get(c)!;
      st.counts.set(node.id, (st.counts.get(node.id) ?? 0) + 1);
    }
    return node;
  }
}

function better(
  strategy: string,
  n: PNode,
  s: number,
  best: PNode,
  bestScore: number,
  current: PNode | undefined,
): boolean {
  if (s !== bestScore) return s > bestScore;
  if (strategy === "balanced") {
    const c = compareCapacity(n, best);
    if (c !== 0) return c > 0;
  }
  if (strategy !== "minimal" && n.numResources !== best.numResources)
    return n.numResources < best.numResources;
  if (current === n) return true;
  if (current === best) return false;
  return n.index < best.index;
}

function snapshot(m: Map<string, NodeScore>): Map<string, NodeScore> {
  const out = new Map<string, NodeScore>();
  for (const [k, v] of m) out.set(k, { score: v.score, parts: [...v.parts] });
  return out;
}

function clampAdd(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return Math.max(-INFINITY, Math.min(INFINITY, a + b));
}

export function currentNode(r: Rsc): PNode | undefined {
  if (r.kind === "primitive") return r.runningOn[0];
  for (const c of r.children) {
    const n = currentNode(c);
    if (n) return n;
  }
  return undefined;
}

/** A resource's score on a node from configuration and history only (node availability left out). */
function configuredScore(r: Rsc, nodeId: string): number {
  const e = r.allowed.get(nodeId);
  if (!e) return -INFINITY;
  let total = 0;
  for (const p of e.parts) {
    if (p.source.startsWith("node ")) continue;
    total = addScores(total, p.score);
  }
  return total;
}

function firstPrim(inst: Rsc): Rsc {
  return inst.kind === "group" ? (inst.children[0] ?? inst) : inst;
}

/** Instance allocation order: allowed active instances first, then by priority, activity, failure, id. */
function sortInstances(c: Rsc, allowedOn: (inst: Rsc, node: PNode) => boolean): Rsc[] {
  const info = c.children.map((inst, i) => {
    const prims = allPrimitives(inst);
    const current = firstPrim(inst).runningOn[0];
    const active = prims.some((p) => p.runningOn.length > 0);
    const disallowed = !!current && !allowedOn(inst, current);
    const failed = prims.some((p) => p.failed);
    const hostable = !!current && canHost(current);
    return { inst, i, active, disallowed, failed, hostable, priority: inst.priority };
  });
  info.sort((a, b) => {
    if (a.disallowed !== b.disallowed) return a.disallowed ? 1 : -1;
    if (a.priority !== b.priority) return b.priority - a.priority;
    if (a.active !== b.active) return a.active ? -1 : 1;
    if (a.hostable !== b.hostable) return a.hostable ? -1 : 1;
    if (a.failed !== b.failed) return a.failed ? 1 : -1;
    return a.i - b.i;
  });
  return info.map((x) => x.inst);
}
