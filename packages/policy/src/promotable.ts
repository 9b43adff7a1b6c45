import type { Colocation, NodeScore, PNode, Rsc, WorkingSet } from "./model.js";
import { hasInfluence, mergeDependent, primaryNodes } from "./colocation.js";
import { addPart } from "./scoring.js";
import { addScores, INFINITY, scoreOr } from "./scores.js";
import { allPrimitives } from "./unpack-resources.js";
import { canHost } from "./unpack-nodes.js";
import { mayPromoteWithoutQuorum, quorumLost } from "./quorum.js";
import { consume } from "./utilization.js";

/** Promotion score of one instance on its node, with the parts it came from. */
export interface PromotionDetail {
  instance: string;
  node: string;
  score: number;
  parts: { source: string; score: number }[];
}

/**
 * The node attribute holding an instance's promotion score: master-<id> for
 * unique clones; for anonymous ones master-<base>, or the master-<base>:<N>
 * left by the history of whichever instance ran there.
 */
export function promotionAttr(
  attrs: Map<string, string>,
  p: Rsc,
  unique: boolean,
  nodeId: string,
): string | undefined {
  if (unique) return attrs.get(`master-${p.id}`) ?? attrs.get(`master-${p.baseId}`);
  const direct = attrs.get(`master-${p.baseId}`);
  if (direct !== undefined) return direct;
  const historyId = p.historyIds.get(nodeId);
  if (historyId !== undefined && attrs.has(`master-${historyId}`)) return attrs.get(`master-${historyId}`);
  const prefix = `master-${p.baseId}:`;
  for (const [k, v] of attrs) if (k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length))) return v;
  return undefined;
}

function attrScore(inst: Rsc, clone: Rsc): { score: number; found: boolean } {
  const node = inst.allocatedTo!;
  const activeHere = clone.children.find((i) => allPrimitives(i).some((q) => q.runningOn.includes(node)));
  const instActive = allPrimitives(inst).some((q) => q.runningOn.length > 0);
  let total = 0;
  let found = false;
  for (const p of allPrimitives(inst)) {
    if (!promotionScoreApplies(clone, { inst, p, n: node, instActive, activeHere })) continue;
    const v = promotionAttr(node.attrs, p, clone.unique, node.id);
    if (v !== undefined) {
      total = addScores(total, scoreOr(v, 0));
      found = true;
    }
  }
  return { score: total, found };
}

export interface PromotionCandidate {
  inst: Rsc;
  p: Rsc;
  n: PNode;
  instActive: boolean;
  activeHere: Rsc | undefined;
}

/**
 * Whether an instance's promotion score on a node counts: for anonymous
 * clones, on the node where this instance is active, or where no instance is
 * active but the clone has been probed; an instance active nowhere counts
 * everywhere (permanent promotion scores at startup); an active one only
 * where it runs. Never where the instance is banned.
 */
export function promotionScoreApplies(clone: Rsc, c: PromotionCandidate): boolean {
  const e = c.p.allowed.get(c.n.id);
  if (!e || e.score < 0) return false;
  if (!clone.unique) {
    if (c.activeHere === c.inst) return true;
    if (!c.activeHere && c.p.knownOn.has(c.n.id)) return true;
  }
  if (!c.instActive) return true;
  return c.p.runningOn.includes(c.n);
}

/**
 * Pacemaker's second step: an instance whose own promotion priority is not
 * negative takes the weight of its node in the clone's table, i.e. the
 * clone's allocation score there, plus the priorities of the clone's
 * promotable instances on that node, plus the preferences of resources
 * colocated with the promoted role. A negative priority stays as it is (such
 * an instance is never promoted, whatever its dependents prefer).
 */
function mergeNodeWeights(
  ws: WorkingSet,
  clone: Rsc,
  cand: { inst: Rsc; score: number }[],
  details: PromotionDetail[],
): void {
  let weights = new Map<string, NodeScore>();
  for (const c of cand) {
    const node = c.inst.allocatedTo!;
    if (c.score < 0) continue;
    let w = weights.get(node.id);
    if (!w) {
      const base = clone.allowed.get(node.id)?.score ?? 0;
      w = { score: base, parts: [{ source: `${clone.id} allocation score here`, score: base }] };
      w = addNodeLevelPrimaries(ws, clone, node, w);
      weights.set(node.id, w);
    }
    w.score = addScores(w.score, c.score);
  }
  weights = addDependents(ws, clone, weights);
  for (let i = 0; i < cand.length; i++) {
    const c = cand[i]!;
    const w = weights.get(c.inst.allocatedTo!.id);
    if (c.score < 0 || !w || c.score >= INFINITY) continue;
    details[i]!.parts.push(...w.parts);
    c.score = w.score;
    details[i]!.score = w.score;
  }
}

/** Promoted-role colocations of the clone that only weigh the node (see nodeLevelOnly). */
function addNodeLevelPrimaries(
  ws: WorkingSet,
  clone: Rsc,
  node: PNode,
  w: { score: number; parts: { source: string; score: number }[] },
): { score: number; parts: { source: string; score: number }[] } {
  for (const c of clone.withPrimaries) {
    if (c.dependentRole !== "Promoted" && c.dependentRole !== "Unpromoted") continue;
    if (!nodeLevelOnly(ws, clone, c) || !(primaryNodes(c) ?? []).includes(node)) continue;
    const add = c.dependentRole === "Unpromoted" ? -c.score : c.score;
    w.score = addScores(w.score, add);
    w.parts.push({ source: `colocation ${c.id} (${c.dependentRole})`, score: add });
  }
  return w;
}

/**
 * A finite positive colocation of the clone binds each instance's own
 * priority only when there are fewer instances than available nodes
 * (Pacemaker's all_coloc); otherwise it only weighs the node in the clone's
 * table (see mergeNodeWeights).
 */
function nodeLevelOnly(ws: WorkingSet, clone: Rsc, c: Colocation): boolean {
  if (c.score <= 0 || c.score >= INFINITY) return false;
  let available = 0;
  for (const nid of clone.allowed.keys()) {
    const n = ws.nodesById.get(nid);
    if (n && canHost(n)) available++;
  }
  return !(clone.cloneMax < available);
}

/**
 * Resources colocated with the promoted role weigh the nodes: an assigned
 * one counts where it is; an unassigned one pulls in its preferences (and
 * those of its own dependents), scaled by the colocation, but only
 * positively: a node the clone already weighs above zero drops to 1, not
 * below (Pacemaker's positive-only merge with rollback).
 */
function addDependents(ws: WorkingSet, clone: Rsc, weights: Map<string, NodeScore>): Map<string, NodeScore> {
  for (const c of clone.withDependents) {
    if (c.primaryRole !== "Promoted") continue;
    const dep = c.dependent;
    if (!dep.allocatedTo) {
      if (!hasInfluence(c)) continue;
      weights = mergeDependent(ws, dep, weights, c.score / INFINITY, `colocation ${c.id} (${dep.id})`, true);
      continue;
    }
    for (const [nid, w] of weights) {
      const s = dep.allocatedTo.id === nid ? c.score : c.score >= INFINITY ? -INFINITY : 0;
      if (s !== 0) {
        w.score = addScores(w.score, s);
        w.parts.push({ source: `colocation ${c.id} (${dep.id})`, score: s });
      }
    }
  }
  return weights;
}

/** Decide which allocated instances of a promotable clone are promoted. */
export function setPromotionRoles(ws: WorkingSet, clone: Rsc): PromotionDetail[] {
  const details: PromotionDetail[] = [];
  const cand: { inst: Rsc; score: number; i: number }[] = [];
  for (const inst of clone.children) {
    if (inst.allocatedTo && unpairedInterleaved(clone, inst.allocatedTo)) unassignInstance(inst);
    const node = inst.allocatedTo;
    const prims = allPrimitives(inst);
    if (!node) continue;
    setRole(inst, "Unpromoted");
    const parts: { source: string; score: number }[] = [];
    const a = attrScore(inst, clone);
    let score = a.found ? a.score : -1;
    parts.push({ source: a.found ? "promotion score node attribute" : "no promotion score", score });
    for (const loc of clone.promotedLocations) {
      if (loc.node !== node.id) continue;
      score = addScores(score, loc.score);
      parts.push({ source: loc.source, score: loc.score });
    }
    for (const c of clone.withPrimaries) {
      if (c.dependentRole !== "Promoted" && c.dependentRole !== "Unpromoted") continue;
      if (nodeLevelOnly(ws, clone, c)) continue;
      const nodes = primaryNodes(c) ?? [];
      const here = nodes.includes(node);
      if (here) {
        const add = c.dependentRole === "Unpromoted" ? -c.score : c.score;
        score = addScores(score, add);
        parts.push({ source: `colocation ${c.id} (${c.dependentRole})`, score: add });
      } else if (c.score >= INFINITY && c.dependentRole === "Promoted") {
        score = -INFINITY;
        parts.push({ source: `colocation ${c.id}: ${c.primary.id} is not here`, score: -INFINITY });
      }
    }
    if (prims.some((p) => p.targetRole === "Unpromoted" || (p.targetRole === "Started" && false)))
      score = -INFINITY;
    if (prims.some((p) => p.noPromoteOn.has(node.id))) {
      score = -INFINITY;
      parts.push({ source: "failed while promoted, on-fail=demote", score });
    }
    if (prims.some((p) => !p.managed))
      score = prims.some((p) => p.role === "Promoted") ? INFINITY : -INFINITY;
    // A group instance is promoted whole: a member that will not run with it keeps it unpromoted.
    if (inst.kind === "group" && prims.some((p) => p.allocatedTo !== node)) {
      score = -INFINITY;
      parts.push({ source: "a member of the group cannot run here", score });
    }
    details.push({ instance: inst.id, node: node.uname, score, parts });
    cand.push({ inst, score, i: inst.instance });
  }
  mergeNodeWeights(ws, clone, cand, details);
  cand.sort((a, b) => {
    if (a.score !== b.score) return b.score - a.score;
    const pa = allPrimitives(a.inst).some((p) => p.role === "Promoted") ? 1 : 0;
    const pb = allPrimitives(b.inst).some((p) => p.role === "Promoted") ? 1 : 0;
    if (pa !== pb) return pb - pa;
    return a.i - b.i;
  });
  let promoted = 0;
  const perNode = new Map<string, number>();
  for (const c of cand) {
    if (c.score < 0) continue;
    if (promoted >= clone.promotedMax) break;
    const node = c.inst.allocatedTo!;
    const n = perNode.get(node.id) ?? 0;
    if (n >= clone.promotedNodeMax) continue;
    // Without quorum, "stop" places (and promotes) as usual and blocks the actions; the other policies do not promote.
    const noPromotion = quorumLost(ws) && ws.options.noQuorumPolicy !== "stop";
    if (noPromotion && !allPrimitives(c.inst).some((q) => mayPromoteWithoutQuorum(ws, q))) continue;
    perNode.set(node.id, n + 1);
    promoted++;
    setRole(c.inst, "Promoted");
  }
  return details;
}

/**
 * Pacemaker re-checks an interleaved clone's mandatory colocations with
 * another clone once its instances are placed (while setting promotion
 * priorities): an instance with no instance of the primary on its node is
 * unassigned and stays stopped, even when the colocation only binds the
 * promoted role.
 */
function unpairedInterleaved(clone: Rsc, node: PNode): boolean {
  if (!clone.interleave) return false;
  for (const c of clone.withPrimaries) {
    if (c.score < INFINITY || c.primary.kind !== "clone") continue;
    if (!c.primary.children.some((i) => i.allocatedTo === node)) return true;
  }
  return false;
}

function unassignInstance(inst: Rsc): void {
  for (const p of [inst, ...allPrimitives(inst)]) {
    if (p.kind === "primitive" && p.allocatedTo) {
      p.allocatedTo.numResources--;
      consume(p.allocatedTo, p, -1);
    }
    p.allocatedTo = undefined;
    p.nextRole = "Stopped";
  }
}

function setRole(inst: Rsc, role: "Promoted" | "Unpromoted"): void {
  inst.nextRole = role;
  for (const p of allPrimitives(inst)) if (p.allocatedTo) p.nextRole = role;
}

/**
 * Promotable instances lean towards nodes that hold a promotion score for
 * them, and an instance's allocation priority becomes its best promotion
 * score, as in Pacemaker. Nodes that cannot run resources are skipped (they
 * will never promote, and counting them would shuffle instances).
 */
export function applyPromotionPreferences(ws: WorkingSet, clone: Rsc): void {
  const activeOn = new Map<string, Rsc>();
  for (const inst of clone.children)
    for (const p of allPrimitives(inst))
      for (const n of p.runningOn) if (!activeOn.has(n.id)) activeOn.set(n.id, inst);
  for (const inst of clone.children) {
    const instActive = allPrimitives(inst).some((q) => q.runningOn.length > 0);
    for (const n of ws.nodes) {
      if (!canHost(n)) continue;
      let total = 0;
      for (const p of allPrimitives(inst)) {
        if (!promotionScoreApplies(clone, { inst, p, n, instActive, activeHere: activeOn.get(n.id) }))
          continue;
        const v = promotionAttr(n.attrs, p, clone.unique, n.id);
        if (v === undefined) continue;
        const score = scoreOr(v, 0);
        total = addScores(total, score);
        if (score > 0) addPart(p, n.id, score, "promotion score");
      }
      if (total > inst.priority) inst.priority = total;
    }
  }
}
