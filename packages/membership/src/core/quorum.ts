/**
 * votequorum arithmetic, pure. A partition is quorate when its members hold
 * floor(expected/2)+1 votes of the quorum configuration in force (1 with
 * two_node), with auto_tie_breaker giving an exact half to the side holding
 * the lowest node id, and wait_for_all holding quorum back until every node
 * has been seen at once.
 *
 * last_man_standing changes the configuration in two phases so that two
 * disjoint partitions can never both be quorate: a new configuration is first
 * `pending` (a partition must then hold a majority of the old AND the new),
 * and is committed only once every member of the view that proposed it holds
 * it. Configurations are ordered by (epoch, tag).
 */
import type { LmsState, NodeSpec, QuorumConfigSet, QuorumOptions, QuorumStatus } from "./types.js";

export function baseConfig(nodes: NodeSpec[], opts: QuorumOptions): QuorumConfigSet {
  const sum = nodes.reduce((s, n) => s + n.votes, 0);
  return {
    epoch: 0,
    tag: "base",
    members: [...nodes].sort((a, b) => a.id - b.id),
    expected: opts.expectedVotes ?? sum,
  };
}

export function configOrder(a: QuorumConfigSet, b: QuorumConfigSet): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}

export function sameConfig(a: QuorumConfigSet, b: QuorumConfigSet): boolean {
  return configOrder(a, b) === 0;
}

/** Votes needed in a configuration: floor(expected/2)+1, or 1 for two_node's base. */
export function votesNeeded(cfg: QuorumConfigSet, opts: QuorumOptions): number {
  if (opts.twoNode && cfg.epoch === 0 && cfg.members.length === 2) return 1;
  return Math.floor(cfg.expected / 2) + 1;
}

export function votesOf(cfg: QuorumConfigSet, members: Set<number>): number {
  let v = 0;
  for (const m of cfg.members) if (members.has(m.id)) v += m.votes;
  return v;
}

/** Whether `members` is quorate under one configuration. */
export function quorateUnder(cfg: QuorumConfigSet, members: Set<number>, opts: QuorumOptions): boolean {
  const votes = votesOf(cfg, members);
  const expected = Math.max(cfg.expected, votes);
  const needed = votesNeeded({ ...cfg, expected }, opts);
  if (votes >= needed) return true;
  if (opts.autoTieBreaker && expected % 2 === 0 && votes * 2 === expected) {
    const lowest = cfg.members.filter((m) => m.votes > 0).reduce((a, m) => Math.min(a, m.id), Infinity);
    return members.has(lowest);
  }
  return false;
}

/**
 * Merge the LMS states reported by the members of a view: the highest
 * committed configuration wins; pending ones above it are all kept.
 */
export function mergeLms(states: LmsState[], pendingMax: number): LmsState {
  let committed = states[0]?.committed;
  for (const s of states)
    if (committed === undefined || configOrder(s.committed, committed) > 0) committed = s.committed;
  if (committed === undefined) throw new Error("mergeLms needs at least one state");
  const pending: QuorumConfigSet[] = [];
  for (const s of states) {
    for (const p of s.pending) {
      if (configOrder(p, committed) > 0 && !pending.some((q) => sameConfig(p, q))) pending.push(p);
    }
  }
  pending.sort(configOrder);
  // A pending configuration may only be dropped once a newer one is
  // committed; creation is capped per view, so this bound is generous.
  if (pending.length > pendingMax) throw new Error(`more than ${pendingMax} pending quorum configurations`);
  return { committed, pending };
}

export interface QuorumInputs {
  members: Set<number>;
  lms: LmsState;
  wfaCleared: boolean;
  opts: QuorumOptions;
}

export function computeQuorum(q: QuorumInputs): QuorumStatus {
  const cfgs = [q.lms.committed, ...q.lms.pending];
  const current = cfgs[cfgs.length - 1] as QuorumConfigSet;
  const votes = votesOf(current, q.members);
  const expected = Math.max(current.expected, votes);
  const byVotes = cfgs.every((c) => quorateUnder(c, q.members, q.opts));
  const wfaPending = q.opts.waitForAll && !q.wfaCleared;
  const flags: string[] = [];
  if (q.opts.twoNode) flags.push("2Node");
  if (q.opts.waitForAll) flags.push("WaitForAll");
  if (q.opts.lastManStanding) flags.push("LastManStanding");
  if (q.opts.autoTieBreaker) flags.push("AutoTieBreaker");
  if (byVotes && !wfaPending) flags.unshift("Quorate");
  return {
    quorate: byVotes && !wfaPending,
    votes,
    expected,
    quorum: votesNeeded({ ...current, expected }, q.opts),
    waitForAllPending: wfaPending,
    flags,
  };
}
