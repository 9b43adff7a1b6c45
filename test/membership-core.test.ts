/**
 * Targeted membership behaviour on the simulator (virtual time, so the
 * latency bounds here are exact properties of the protocol, not timings of
 * this machine).
 */
import { describe, expect, it } from "vitest";
import type { MembershipEvent, QuorumOptions, QuorumStatus, View } from "@hacrm/membership";
import { SimCluster, convergenceMarginMs, runMembershipScenario } from "@hacrm/sim";

const plain: QuorumOptions = {
  expectedVotes: undefined,
  twoNode: false,
  waitForAll: false,
  lastManStanding: false,
  lastManStandingWindowMs: 2000,
  autoTieBreaker: false,
};

function cluster(
  n: number,
  opts: Partial<{
    tokenMs: number;
    quorum: Partial<QuorumOptions>;
    keyless: boolean;
    cipher: "none" | "aes256";
    seed: number;
  }> = {},
) {
  const tokenMs = opts.tokenMs ?? 1000;
  const sim = new SimCluster({
    seed: opts.seed ?? 7,
    nodeCount: n,
    tokenMs,
    consensusMs: Math.round(tokenMs * 1.2),
    quorum: { ...plain, ...opts.quorum },
    cipher: opts.cipher ?? "aes256",
    keylessNode: opts.keyless ?? false,
  });
  const views = new Map<number, View>();
  const quorum = new Map<number, QuorumStatus>();
  const viewEvents: { node: number; at: number; e: Extract<MembershipEvent, { type: "view" }> }[] = [];
  const delivered: { node: number; from: number; body: Uint8Array }[] = [];
  sim.observers.push((id, e) => {
    if (e.type === "view") {
      views.set(id, e.view);
      viewEvents.push({ node: id, at: sim.now(), e });
    } else if (e.type === "quorum") quorum.set(id, e.status);
    else delivered.push({ node: id, from: e.from, body: e.body });
  });
  for (let id = 1; id <= n + (opts.keyless ? 1 : 0); id++) sim.start(id);
  const run = (ms: number) => sim.runUntil(sim.now() + ms);
  const membersOf = (id: number) => views.get(id)?.members ?? [];
  return { sim, views, quorum, viewEvents, delivered, run, membersOf, tokenMs };
}

describe("failure detection and view agreement", () => {
  it("forms one view of all nodes at startup", () => {
    const c = cluster(5);
    c.run(500);
    const ids = new Set([1, 2, 3, 4, 5].map((i) => c.views.get(i)?.id));
    expect(ids.size).toBe(1);
    expect(c.membersOf(3)).toEqual([1, 2, 3, 4, 5]);
    expect(c.quorum.get(1)?.quorate).toBe(true);
  });

  it("survivors agree on the new view within token + margin after a crash, not token + consensus", () => {
    const c = cluster(5, { tokenMs: 1000 });
    c.run(3000);
    const crashAt = c.sim.now();
    c.sim.crash(4);
    c.run(3000);
    const after = c.viewEvents.filter((v) => v.at > crashAt);
    expect(new Set(after.map((v) => v.node))).toEqual(new Set([1, 2, 3, 5]));
    for (const v of after) {
      expect(v.e.view.members).toEqual([1, 2, 3, 5]);
      expect(v.e.left).toEqual([4]);
      expect(v.at - crashAt).toBeLessThanOrEqual(1000 + convergenceMarginMs(1000));
      expect(v.at - crashAt).toBeGreaterThan(1000 - 250); // not before the token timeout (minus one heartbeat)
    }
    expect(Math.max(...after.map((v) => v.at)) - crashAt).toBeLessThan(1000 + 1200);
  });

  it("with 40% of every node's inbound datagrams lost, a crash is still seen within token + margin and nothing else changes", () => {
    const c = cluster(3, { tokenMs: 1000 });
    c.run(1000);
    for (const id of [1, 2, 3]) c.sim.net.setInboundLoss(id, 0.4);
    const lossAt = c.sim.now();
    c.run(30_000);
    expect(c.viewEvents.filter((v) => v.at > lossAt)).toEqual([]);
    const crashAt = c.sim.now();
    c.sim.crash(3);
    c.run(3000);
    const after = c.viewEvents.filter((v) => v.at > crashAt);
    expect(after.map((v) => [v.node, v.e.view.members])).toEqual(
      expect.arrayContaining([
        [1, [1, 2]],
        [2, [1, 2]],
      ]),
    );
    for (const v of after) expect(v.at - crashAt).toBeLessThanOrEqual(1000 + convergenceMarginMs(1000));
  });

  it("relayed news of a crashed node does not keep it alive: with 30-40 ms delays it is still lost within token + 250 ms", () => {
    const c = cluster(5, { tokenMs: 1000 });
    c.sim.net.conditions = { ...c.sim.net.conditions, delayMinMs: 30, delayMaxMs: 40 };
    c.run(3000);
    const crashAt = c.sim.now();
    c.sim.crash(5);
    c.run(3000);
    const after = c.viewEvents.filter((v) => v.at > crashAt);
    expect(new Set(after.map((v) => v.node))).toEqual(new Set([1, 2, 3, 4]));
    // last heartbeat before the crash + token, plus one delay for the agreement exchange
    for (const v of after) expect(v.at - crashAt).toBeLessThanOrEqual(1000 + 250);
  });

  it("a cut link between two nodes that both still hear a third is dropped after 2 x token, not token", () => {
    const c = cluster(3, { tokenMs: 500 });
    c.run(1000);
    const cutAt = c.sim.now();
    c.sim.net.partition([1], [2]);
    c.run(3000);
    const first = c.viewEvents.find((v) => v.at > cutAt);
    expect(first).toBeDefined();
    expect((first?.at ?? 0) - cutAt).toBeGreaterThanOrEqual(2 * 500 - 50); // one heartbeat interval of slack
    expect((first?.at ?? 0) - cutAt).toBeLessThanOrEqual(2 * 500 + convergenceMarginMs(500));
    for (const id of [1, 2, 3]) {
      const v = c.views.get(id) as View;
      expect(v.members.includes(1) && v.members.includes(2)).toBe(false);
    }
  });

  it("a silent node is not declared lost before the token timeout, and one late heartbeat does not flap", () => {
    const c = cluster(3, { tokenMs: 1000 });
    c.run(2000);
    const before = c.viewEvents.length;
    c.sim.net.partition([3], [1, 2]);
    c.run(500); // silence (plus up to one heartbeat interval) shorter than token
    c.sim.net.healAll();
    c.run(3000);
    expect(c.viewEvents.length).toBe(before);
  });

  it("a restarted node rejoins as a new incarnation (left and joined in one view event)", () => {
    const c = cluster(3, { tokenMs: 500 });
    c.run(1000);
    c.sim.crash(2);
    c.sim.start(2); // restarted before the others noticed
    const restartAt = c.sim.now();
    c.run(1000);
    const evs = c.viewEvents.filter((v) => v.node === 1 && v.at >= restartAt);
    expect(evs.flatMap((v) => v.e.left)).toEqual([2]);
    expect(evs.flatMap((v) => v.e.joined)).toEqual([2]);
    expect(evs.at(-1)?.e.view.incarnations.find((m) => m.id === 2)?.inc).toBe(2);
    expect(c.membersOf(1)).toEqual([1, 2, 3]);
    expect(c.views.get(2)?.id).toBe(c.views.get(1)?.id);
  });

  it("a one-way link settles on a view instead of churning", () => {
    const c = cluster(3, { tokenMs: 300 });
    c.run(1000);
    c.sim.net.block(1, 3); // 3 no longer hears 1; 1 still hears 3
    c.run(3000);
    const settled = c.viewEvents.length;
    c.run(10_000);
    expect(c.viewEvents.length).toBe(settled);
    for (const id of [1, 2, 3]) {
      const v = c.views.get(id) as View;
      // whoever shares a view hears everyone in it both ways
      expect(v.members.includes(1) && v.members.includes(3)).toBe(false);
    }
  });

  it("a flapping link settles on a view instead of churning", () => {
    const c = cluster(3, { tokenMs: 300 });
    c.run(1000);
    const changesIn = (from: number, to: number) =>
      c.viewEvents.filter((v) => v.at >= from && v.at < to).length;
    const start = c.sim.now();
    for (let k = 0; k < 20; k++) {
      c.sim.net.partition([1], [2]); // down longer than the link timeout (2 x token; 3 still hears both)
      c.run(750);
      c.sim.net.healAll(); // up for less than consensus
      c.run(250);
    }
    const mid = start + 10 * 1000;
    expect(changesIn(start, mid)).toBeGreaterThan(0);
    expect(changesIn(mid, c.sim.now())).toBeLessThanOrEqual(3); // damped: the flapping pair stays apart
    c.run(3000); // the link stays up: everyone merges again
    expect(new Set([1, 2, 3].map((i) => c.views.get(i)?.id)).size).toBe(1);
    expect(c.membersOf(1)).toEqual([1, 2, 3]);
  });

  it("the same seed replays exactly", () => {
    const a = runMembershipScenario(4242);
    const b = runMembershipScenario(4242);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe("votequorum", () => {
  it("a 2|3 split leaves only the 3 side quorate, and heal merges them", () => {
    const c = cluster(5, { tokenMs: 300 });
    c.run(1000);
    c.sim.net.partition([1, 2], [3, 4, 5]);
    c.run(2000);
    expect(c.membersOf(1)).toEqual([1, 2]);
    expect(c.membersOf(4)).toEqual([3, 4, 5]);
    expect([1, 2].map((i) => c.quorum.get(i)?.quorate)).toEqual([false, false]);
    expect([3, 4, 5].map((i) => c.quorum.get(i)?.quorate)).toEqual([true, true, true]);
    expect(c.quorum.get(3)).toMatchObject({ votes: 3, expected: 5, quorum: 3 });
    c.sim.net.healAll();
    c.run(1000);
    expect(new Set([1, 2, 3, 4, 5].map((i) => c.views.get(i)?.id)).size).toBe(1);
    expect(c.membersOf(2)).toEqual([1, 2, 3, 4, 5]);
  });

  it("auto_tie_breaker gives an even split to the side with the lowest node id", () => {
    const c = cluster(4, { tokenMs: 300, quorum: { autoTieBreaker: true } });
    c.run(1000);
    c.sim.net.partition([1, 4], [2, 3]);
    c.run(2000);
    expect(c.quorum.get(1)?.quorate).toBe(true);
    expect(c.quorum.get(4)?.quorate).toBe(true);
    expect(c.quorum.get(2)?.quorate).toBe(false);
  });

  it("without auto_tie_breaker an even split leaves nobody quorate", () => {
    const c = cluster(4, { tokenMs: 300 });
    c.run(1000);
    c.sim.net.partition([1, 4], [2, 3]);
    c.run(2000);
    expect([1, 2, 3, 4].map((i) => c.quorum.get(i)?.quorate)).toEqual([false, false, false, false]);
  });

  it("wait_for_all holds quorum back until every node has been seen once", () => {
    const c = cluster(3, { tokenMs: 300, quorum: { waitForAll: true } });
    c.sim.crash(3);
    c.run(2000);
    expect(c.membersOf(1)).toEqual([1, 2]);
    expect(c.quorum.get(1)).toMatchObject({ quorate: false, waitForAllPending: true, votes: 2 });
    c.sim.start(3);
    c.run(1000);
    expect(c.quorum.get(1)?.quorate).toBe(true);
    c.sim.crash(3);
    c.run(2000);
    expect(c.quorum.get(1)).toMatchObject({ quorate: true, votes: 2 });
  });

  it("two_node: quorum is 1 vote, and wait_for_all is implied at startup", () => {
    const c = cluster(2, { tokenMs: 300, quorum: { twoNode: true, waitForAll: true } });
    c.sim.crash(2);
    c.run(2000);
    expect(c.quorum.get(1)?.quorate).toBe(false);
    c.sim.start(2);
    c.run(1000);
    expect(c.quorum.get(1)).toMatchObject({ quorate: true, quorum: 1, expected: 2 });
    c.sim.crash(2);
    c.run(2000);
    expect(c.quorum.get(1)).toMatchObject({ quorate: true, votes: 1 });
  });

  it("last_man_standing lowers expected votes after the window, step by step", () => {
    const c = cluster(5, { tokenMs: 300, quorum: { lastManStanding: true, lastManStandingWindowMs: 1000 } });
    c.run(1000);
    c.sim.crash(5);
    c.sim.crash(4);
    c.run(2500);
    expect(c.quorum.get(1)).toMatchObject({ quorate: true, votes: 3, expected: 3 });
    c.sim.crash(3);
    c.run(2500);
    expect(c.quorum.get(1)).toMatchObject({ quorate: true, votes: 2, expected: 2 });
    const plainC = cluster(5, { tokenMs: 300 });
    plainC.run(1000);
    for (const id of [5, 4, 3]) plainC.sim.crash(id);
    plainC.run(5000);
    expect(plainC.quorum.get(1)?.quorate).toBe(false);
  });
});

describe("reliable messages", () => {
  it("delivers a 1 MiB message once and intact over a lossy, duplicating, reordering network", () => {
    const c = cluster(3, { tokenMs: 1000 });
    c.run(1000);
    c.sim.net.conditions = { lossRate: 0.1, duplicateRate: 0.1, delayMinMs: 0.1, delayMaxMs: 20 };
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    const small = new Uint8Array([1, 2, 3]);
    expect(c.sim.send(1, [2, 3], big)?.refused).toBeUndefined();
    c.sim.send(1, [2], small);
    c.run(5000);
    const at2 = c.delivered.filter((d) => d.node === 2 && d.from === 1);
    expect(at2.map((d) => d.body.length)).toEqual([big.length, 3]);
    expect(Buffer.from(at2[0]?.body as Uint8Array).equals(Buffer.from(big))).toBe(true);
    expect(c.delivered.filter((d) => d.node === 3 && d.from === 1).length).toBe(1);
  });

  it("refuses a message above messageBytesMax and before any view", () => {
    const c = cluster(2);
    c.run(500);
    expect(c.sim.send(1, [2], new Uint8Array(5 * 1024 * 1024))?.refused).toMatch(/exceeds messageBytesMax/);
  });

  it("a node without the key never joins a view and nothing from it is delivered", () => {
    const c = cluster(3, { tokenMs: 300, keyless: true });
    c.run(3000);
    for (const id of [1, 2, 3]) expect(c.membersOf(id)).toEqual([1, 2, 3]);
    const drops = c.sim.nodes.get(1)?.node?.drops.get("auth_failed") ?? 0;
    expect(drops).toBeGreaterThan(5);
    c.sim.send(4, [1], new Uint8Array([9]));
    c.run(1000);
    expect(c.delivered.filter((d) => d.from === 4)).toEqual([]);
  });
});
