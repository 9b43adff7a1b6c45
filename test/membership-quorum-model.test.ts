/**
 * Quorum under partitions and merges in every order (fast-check): nodes run
 * the core's own `viewQuorum` step; the model decides which node hears which
 * member's state when. Every combination of two_node, wait_for_all,
 * last_man_standing, auto_tie_breaker (lowest / highest / a list) and
 * expected_votes. Checked after every operation:
 * - two nodes in disjoint views are never both quorate (two_node with two
 *   nodes excepted, by design);
 * - without last_man_standing, a node's quorum is the naive votequorum
 *   oracle's once it knows every member's state, and false before;
 * - with last_man_standing, what votequorum(5) promises: a view that settled
 *   quorate lowers expected votes to its own, and a part of it holding a
 *   majority of it (or half with the tie-breaker) is quorate once it settles.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  baseConfig,
  tieBreakerOf,
  viewQuorum,
  type LmsState,
  type NodeSpec,
  type QuorumOptions,
  type QuorumStatus,
} from "@hacrm/membership";

interface ModelNode {
  id: number;
  lms: LmsState;
  wfaCleared: boolean;
  tag: string;
  members: number[];
  heard: Map<number, { lms: LmsState; wfaCleared: boolean }>;
  status: QuorumStatus | null;
  /** The oracle's own wait_for_all: this node was once in a view holding every vote, or heard one that was. */
  oracleWfa: boolean;
}

type Op =
  | { t: "split"; groups: number[] }
  | { t: "deliver"; from: number; to: number }
  | { t: "tick"; node: number; windowDone: boolean }
  | { t: "settle" };

interface Setup {
  votes: number[];
  opts: QuorumOptions;
  ops: Op[];
}

/** The naive votequorum oracle for one view under the nodelist's configuration. */
function oracle(nodes: NodeSpec[], present: Set<number>, o: QuorumOptions): boolean {
  let total = 0;
  let have = 0;
  for (const n of nodes) {
    total += n.votes;
    if (present.has(n.id)) have += n.votes;
  }
  // hacrm raises expected_votes below the nodelist's votes to them (docs/membership.md).
  const expected = Math.max(o.expectedVotes ?? total, total, have);
  const needed = o.twoNode && nodes.length === 2 ? 1 : Math.floor(expected / 2) + 1;
  if (have >= needed) return true;
  if (!o.autoTieBreaker || expected % 2 !== 0 || have * 2 !== expected) return false;
  const voters = nodes.filter((n) => n.votes > 0).map((n) => n.id);
  const rule = o.autoTieBreakerNode ?? "lowest";
  const breaker =
    rule === "lowest"
      ? Math.min(...voters)
      : rule === "highest"
        ? Math.max(...voters)
        : rule.find((id) => voters.includes(id));
  return breaker !== undefined && present.has(breaker);
}

class Model {
  readonly nodes: ModelNode[];
  readonly specs: NodeSpec[];
  readonly base;
  private splits = 0;
  /** Views that settled quorate (for the last_man_standing cascade), cleared by every split but one. */
  private settledQuorate: number[][] = [];
  private expectQuorate: number[][] = [];
  readonly problems: string[] = [];

  constructor(
    votes: number[],
    readonly opts: QuorumOptions,
  ) {
    this.specs = votes.map((v, i) => ({ id: i + 1, votes: v }));
    this.base = baseConfig(this.specs, opts);
    this.nodes = this.specs.map((n) => ({
      id: n.id,
      lms: { committed: this.base, pending: [] },
      wfaCleared: false,
      tag: `0.${n.id}`,
      members: [n.id],
      heard: new Map(),
      status: null,
      oracleWfa: false,
    }));
    for (const n of this.nodes) this.evaluate(n, false);
  }

  apply(op: Op): void {
    if (op.t === "split") this.split(op.groups);
    else if (op.t === "deliver") this.deliver(this.node(op.from), this.node(op.to));
    else if (op.t === "tick") this.evaluate(this.node(op.node), op.windowDone);
    else this.settle();
    this.checkDisjoint(op);
  }

  private node(i: number): ModelNode {
    return this.nodes[i % this.nodes.length] as ModelNode;
  }

  /** Every node installs the view of its group; nobody knows the others' states yet. */
  private split(groups: number[]): void {
    this.splits++;
    const byGroup = new Map<number, number[]>();
    this.nodes.forEach((n, i) => {
      const g = groups[i] ?? 0;
      byGroup.set(g, [...(byGroup.get(g) ?? []), n.id]);
    });
    // The cascade: a part of a view that settled quorate with a majority of it (or half and the breaker).
    this.expectQuorate = [];
    if (this.opts.lastManStanding) {
      for (const members of byGroup.values()) {
        const from = this.settledQuorate.find((g) => members.every((m) => g.includes(m)));
        if (from && this.majorityOf(members, from)) this.expectQuorate.push(members);
      }
    }
    this.settledQuorate = [];
    for (const [g, members] of byGroup) {
      for (const id of members) {
        const n = this.node(id - 1);
        n.tag = `${this.splits}.${g}`;
        n.members = members;
        n.heard = new Map();
        this.evaluate(n, false);
      }
    }
  }

  private majorityOf(part: number[], whole: number[]): boolean {
    const votes = (ids: number[]) =>
      this.specs.filter((s) => ids.includes(s.id)).reduce((a, s) => a + s.votes, 0);
    const p = votes(part);
    const w = votes(whole);
    if (p * 2 > w) return true;
    if (!this.opts.autoTieBreaker || p * 2 !== w) return false;
    const cfg = { epoch: 1, tag: "", members: this.specs.filter((s) => whole.includes(s.id)), expected: w };
    const breaker = tieBreakerOf(cfg, this.opts);
    return breaker !== undefined && part.includes(breaker);
  }

  /** `to` receives `from`'s latest heartbeat: it counts only in the same view. */
  private deliver(from: ModelNode, to: ModelNode): void {
    if (from === to || from.tag !== to.tag) return;
    to.heard.set(from.id, { lms: structuredClone(from.lms), wfaCleared: from.wfaCleared });
    if (from.oracleWfa) to.oracleWfa = true;
    this.evaluate(to, false);
  }

  private evaluate(n: ModelNode, windowDone: boolean): void {
    const viewVotes = this.specs.filter((s) => n.members.includes(s.id)).reduce((a, s) => a + s.votes, 0);
    if (viewVotes >= this.base.expected) n.oracleWfa = true;
    const peers = n.members.filter((m) => m !== n.id && n.heard.has(m)).map((m) => n.heard.get(m));
    const r = viewQuorum({
      lms: n.lms,
      wfaCleared: n.wfaCleared,
      tag: n.tag,
      members: this.specs.filter((s) => n.members.includes(s.id)),
      peers: peers as { lms: LmsState; wfaCleared: boolean }[],
      base: this.base,
      opts: this.opts,
      windowDone,
      pendingMax: 4,
      mergedPendingMax: 64,
    });
    n.lms = r.lms;
    n.wfaCleared = r.wfaCleared;
    n.status = r.status;
    if (this.opts.lastManStanding) return;
    const knowsAll = peers.length === n.members.length - 1;
    const want =
      knowsAll && (!this.opts.waitForAll || n.oracleWfa) && oracle(this.specs, new Set(n.members), this.opts);
    if (r.status.quorate !== want)
      this.problems.push(`node ${n.id} in [${n.members}] quorate ${r.status.quorate}, oracle ${want}`);
  }

  /** Every view exchanges states and passes its window until nothing changes. */
  private settle(): void {
    for (let round = 0; round < 12; round++) {
      for (const to of this.nodes) for (const from of this.nodes) this.deliver(from, to);
      for (const n of this.nodes) this.evaluate(n, true);
    }
    for (const members of this.expectQuorate) {
      const n = this.node((members[0] as number) - 1);
      if (!n.status?.quorate)
        this.problems.push(
          `[${members}] holds a majority of a view that settled quorate, but is not quorate`,
        );
    }
    this.expectQuorate = [];
    const seen = new Set<string>();
    for (const n of this.nodes) {
      if (seen.has(n.tag) || !n.status?.quorate) continue;
      seen.add(n.tag);
      this.settledQuorate.push(n.members);
      if (!this.opts.lastManStanding) continue;
      const votes = this.specs.filter((s) => n.members.includes(s.id)).reduce((a, s) => a + s.votes, 0);
      if (n.status.expected !== votes)
        this.problems.push(
          `settled quorate view [${n.members}] has expected ${n.status.expected}, not its ${votes} votes`,
        );
    }
  }

  private checkDisjoint(op: Op): void {
    if (this.opts.twoNode && this.nodes.length === 2) return;
    const q = this.nodes.filter((n) => n.status?.quorate);
    for (const a of q)
      for (const b of q) {
        if (a.id < b.id && a.tag !== b.tag && !a.members.some((m) => b.members.includes(m)))
          this.problems.push(`after ${JSON.stringify(op)}: [${a.members}] and [${b.members}] both quorate`);
      }
  }
}

const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    n: fc.integer({ min: 2, max: 5 }),
    lms: fc.boolean(),
    twoNode: fc.boolean(),
    waitForAll: fc.boolean(),
    atb: fc.boolean(),
    breaker: fc.constantFrom("lowest", "highest", "list"),
    expected: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  })
  .chain((c) =>
    fc.record({
      // votequorum(5): last_man_standing needs one vote per node
      votes: c.lms
        ? fc.constant(Array.from({ length: c.n }, () => 1))
        : fc.array(fc.integer({ min: 0, max: 2 }), { minLength: c.n, maxLength: c.n }),
      breakerList: fc.shuffledSubarray(
        Array.from({ length: c.n + 1 }, (_, i) => i + 1),
        { minLength: 1 },
      ),
      ops: fc.array(
        fc.oneof(
          {
            weight: 2,
            arbitrary: fc
              .array(fc.integer({ min: 0, max: 2 }), { minLength: c.n, maxLength: c.n })
              .map((groups): Op => ({ t: "split", groups })),
          },
          {
            weight: 4,
            arbitrary: fc
              .record({ from: fc.nat(c.n - 1), to: fc.nat(c.n - 1) })
              .map((d): Op => ({ t: "deliver", ...d })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record({ node: fc.nat(c.n - 1), windowDone: fc.boolean() })
              .map((d): Op => ({ t: "tick", ...d })),
          },
          { weight: 1, arbitrary: fc.constant<Op>({ t: "settle" }) },
        ),
        { minLength: 1, maxLength: 40 },
      ),
      c: fc.constant(c),
    }),
  )
  .map(({ votes, breakerList, ops, c }) => ({
    votes,
    ops,
    opts: {
      expectedVotes: c.expected,
      twoNode: c.twoNode,
      waitForAll: c.waitForAll,
      lastManStanding: c.lms,
      lastManStandingWindowMs: 1000,
      autoTieBreaker: c.atb,
      autoTieBreakerNode: c.breaker === "list" ? breakerList : (c.breaker as "lowest" | "highest"),
    },
  }));

function run(s: Setup): string[] {
  const m = new Model(s.votes, s.opts);
  for (const op of s.ops) {
    m.apply(op);
    if (m.problems.length > 0) break;
  }
  return m.problems;
}

describe("quorum under partitions and merges (the core's viewQuorum against a naive votequorum)", () => {
  it("never two disjoint quorate views; the oracle's quorum without last_man_standing; its cascade with it", () => {
    fc.assert(
      fc.property(setupArb, (s) => {
        expect(run(s)).toEqual([]);
      }),
      { numRuns: Number(process.env["QUORUM_RUNS"] ?? 3000) },
    );
  });

  it("issue 20: a node does not judge a new view by its own older configuration", () => {
    const all = [0, 0, 0];
    const m = new Model([1, 1, 1], {
      expectedVotes: undefined,
      twoNode: false,
      waitForAll: true,
      lastManStanding: true,
      lastManStandingWindowMs: 1000,
      autoTieBreaker: true,
    });
    m.apply({ t: "split", groups: all });
    m.apply({ t: "settle" });
    m.apply({ t: "split", groups: [0, 1, 1] }); // {1} | {2,3}
    m.apply({ t: "settle" }); // {2,3} commits expected 2
    expect(m.nodes[1]?.lms.committed.members.map((x) => x.id)).toEqual([2, 3]);
    m.apply({ t: "split", groups: [0, 1, 0] }); // {1,3} | {2}
    m.apply({ t: "tick", node: 0, windowDone: true });
    m.apply({ t: "tick", node: 1, windowDone: true });
    expect(m.nodes[1]?.status?.quorate).toBe(true); // {2}: half of {2,3} with the tie-breaker
    expect(m.nodes[0]?.status?.quorate).toBe(false); // node 1 has not heard node 3 yet
    m.apply({ t: "deliver", from: 2, to: 0 });
    expect(m.nodes[0]?.status).toMatchObject({ quorate: false, expected: 2 });
    expect(m.problems).toEqual([]);
  });
});
