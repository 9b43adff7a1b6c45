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
 *
 * A view is quorate only once its node knows the quorum state of every
 * member of the view (each member's heartbeat in that view): a member may
 * hold a newer configuration than this node, and judging by an older one is
 * how two disjoint partitions became quorate (issue 20, seed 24531).
 */
import type { LmsState, NodeSpec, QuorumConfigSet, QuorumOptions, QuorumStatus } from "./types.js";

/**
 * The configuration of the nodelist. `expected_votes` below the nodelist's
 * votes is raised to them: Corosync honours it, which lets two disjoint
 * partitions each hold "a majority" of the lower number.
 */
export function baseConfig(nodes: NodeSpec[], opts: QuorumOptions): QuorumConfigSet {
  const sum = nodes.reduce((s, n) => s + n.votes, 0);
  return {
    epoch: 0,
    tag: "base",
    members: [...nodes].sort((a, b) => a.id - b.id),
    expected: Math.max(opts.expectedVotes ?? sum, sum),
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
    const breaker = tieBreakerOf(cfg, opts);
    return breaker !== undefined && members.has(breaker);
  }
  return false;
}

/**
 * The node whose side wins an exact half under `cfg` (auto_tie_breaker_node):
 * the lowest or highest id with votes in the configuration, or the first
 * listed id that has votes in it (a listed node that was not in the cluster
 * before the split is skipped, as votequorum(5) says). Both sides of a split
 * judge by the same configuration, so at most one side holds the breaker.
 */
export function tieBreakerOf(cfg: QuorumConfigSet, opts: QuorumOptions): number | undefined {
  const voters = cfg.members.filter((m) => m.votes > 0).map((m) => m.id);
  if (voters.length === 0) return undefined;
  const rule = opts.autoTieBreakerNode ?? "lowest";
  if (rule === "lowest") return Math.min(...voters);
  if (rule === "highest") return Math.max(...voters);
  return rule.find((id) => voters.includes(id));
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
  /** The merged state of every member of the view; see `membersKnown`. */
  lms: LmsState;
  wfaCleared: boolean;
  opts: QuorumOptions;
  /**
   * Whether `lms` includes the state of every member of the view (default
   * true, for arithmetic alone). When false the view is not quorate.
   */
  membersKnown?: boolean;
}

export function computeQuorum(q: QuorumInputs): QuorumStatus {
  const cfgs = [q.lms.committed, ...q.lms.pending];
  const current = cfgs[cfgs.length - 1] as QuorumConfigSet;
  const votes = votesOf(current, q.members);
  const expected = Math.max(current.expected, votes);
  const byVotes = q.membersKnown !== false && cfgs.every((c) => quorateUnder(c, q.members, q.opts));
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

export interface LmsAdvanceInput {
  /** This node's merged state (already merged with `peers`). */
  lms: LmsState;
  /** Ring id of the current view: the tag of the configuration it may create. */
  tag: string;
  /** Members of the view with their votes from the nodelist, sorted by id. */
  members: NodeSpec[];
  /** The state each other member reported in this view (all of them, or the view is not quorate). */
  peers: LmsState[];
  /** Whether the view is quorate under every configuration held. */
  quorate: boolean;
  /** Whether the view has been stable for last_man_standing_window. */
  windowDone: boolean;
  /** Pending configurations kept at most (creation stops there). */
  pendingMax: number;
}

/**
 * last_man_standing's two phases, pure: commit this view's pending
 * configuration once every other member holds it, or (after the window, in a
 * quorate view whose members differ from the newest configuration) create a
 * pending one with expected = the view's votes. Returns the new state, or
 * null when nothing changes.
 */
export function lmsAdvance(i: LmsAdvanceInput): LmsState | null {
  const mine = i.lms.pending.find((p) => p.tag === i.tag);
  if (mine) {
    const holds = (l: LmsState) =>
      configOrder(l.committed, mine) >= 0 || l.pending.some((p) => sameConfig(p, mine));
    if (i.peers.length !== i.members.length - 1 || !i.peers.every(holds)) return null;
    return { committed: mine, pending: i.lms.pending.filter((p) => configOrder(p, mine) > 0) };
  }
  const newest = i.lms.pending[i.lms.pending.length - 1] ?? i.lms.committed;
  const expected = i.members.reduce((a, m) => a + m.votes, 0);
  // The view is the newest configuration already (an expected_votes above the nodelist's is lowered too).
  const same =
    newest.expected === expected &&
    i.members.length === newest.members.length &&
    i.members.every((m, k) => m.id === newest.members[k]?.id);
  // More pending configurations only make quorum stricter; the cap keeps state bounded.
  if (!i.quorate || same || !i.windowDone || i.lms.pending.length >= i.pendingMax) return null;
  const epoch = Math.max(i.lms.committed.epoch, ...i.lms.pending.map((p) => p.epoch)) + 1;
  if (expected === 0) return null;
  const created: QuorumConfigSet = { epoch, tag: i.tag, members: i.members, expected };
  return { committed: i.lms.committed, pending: [...i.lms.pending, created] };
}

export interface ViewQuorumInput {
  /** This node's state. */
  lms: LmsState;
  wfaCleared: boolean;
  /** Ring id of the view. */
  tag: string;
  /** Members of the view with their nodelist votes, sorted by id. */
  members: NodeSpec[];
  /** What each other member said in its latest heartbeat in this view. */
  peers: { lms: LmsState; wfaCleared: boolean }[];
  base: QuorumConfigSet;
  opts: QuorumOptions;
  windowDone: boolean;
  pendingMax: number;
  mergedPendingMax: number;
}

/**
 * One node's quorum in its view, pure: merge the members' states, clear
 * wait_for_all, judge (quorate only once every member's state is in), and
 * advance last_man_standing. The membership core calls this on every step.
 */
export function viewQuorum(i: ViewQuorumInput): {
  lms: LmsState;
  wfaCleared: boolean;
  status: QuorumStatus;
  lmsChanged: boolean;
} {
  const members = new Set(i.members.map((m) => m.id));
  let lms = mergeLms([i.lms, ...i.peers.map((p) => p.lms)], i.mergedPendingMax);
  let lmsChanged = !sameLms(lms, i.lms);
  const baseVotes = votesOf(i.base, members);
  const wfaCleared = i.wfaCleared || baseVotes >= i.base.expected || i.peers.some((p) => p.wfaCleared);
  // Quorate only with every member's state merged in: a member may hold a newer configuration.
  const membersKnown = i.peers.length === i.members.length - 1;
  const inputs = { members, wfaCleared, opts: i.opts, membersKnown };
  let status = computeQuorum({ ...inputs, lms });
  if (i.opts.lastManStanding) {
    const next = lmsAdvance({
      lms,
      tag: i.tag,
      members: i.members,
      peers: i.peers.map((p) => p.lms),
      quorate: status.quorate,
      windowDone: i.windowDone,
      pendingMax: i.pendingMax,
    });
    if (next !== null) {
      lms = next;
      lmsChanged = true;
      status = computeQuorum({ ...inputs, lms });
    }
  }
  return { lms, wfaCleared, status, lmsChanged };
}

export function sameLms(a: LmsState, b: LmsState): boolean {
  return (
    sameConfig(a.committed, b.committed) &&
    a.pending.length === b.pending.length &&
    a.pending.every((p, k) => sameConfig(p, b.pending[k] as QuorumConfigSet))
  );
}
