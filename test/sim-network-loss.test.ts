/**
 * The simulated network's loss models: per receiving node, per directed link
 * (asymmetric) and bursts, each dropping what it says and nothing else.
 */
import { describe, expect, it } from "vitest";
import { Prng, Scheduler, SimNetwork } from "@hacrm/sim";

function net(seed = 1) {
  const sched = new Scheduler();
  const n = new SimNetwork(sched, new Prng(seed));
  const got = new Map<string, number>();
  for (const id of [1, 2, 3])
    n.attach(id, (from) => got.set(`${from}>${id}`, (got.get(`${from}>${id}`) ?? 0) + 1));
  /** Send `count` datagrams on every directed link, one per ms. */
  const blast = (count: number) => {
    for (let i = 0; i < count; i++) {
      sched.at(sched.nowMs() + 1, () => {
        for (const a of [1, 2, 3]) for (const b of [1, 2, 3]) if (a !== b) n.send(a, b, new Uint8Array(1));
      });
      sched.runOne(Infinity);
    }
    while (sched.runOne(Infinity));
  };
  const share = (k: string, count: number) => 1 - (got.get(k) ?? 0) / count;
  return { n, sched, blast, share };
}

describe("sim network loss models", () => {
  it("inbound loss drops that share of what one node receives, from everyone, and nothing it sends", () => {
    const t = net();
    t.n.setInboundLoss(2, 0.4);
    t.blast(5000);
    expect(t.share("1>2", 5000)).toBeCloseTo(0.4, 1);
    expect(t.share("3>2", 5000)).toBeCloseTo(0.4, 1);
    expect(t.share("2>1", 5000)).toBe(0);
    expect(t.share("1>3", 5000)).toBe(0);
  });

  it("link loss is asymmetric: one direction only", () => {
    const t = net();
    t.n.setLinkLoss(1, 3, 0.25);
    t.blast(5000);
    expect(t.share("1>3", 5000)).toBeCloseTo(0.25, 1);
    expect(t.share("3>1", 5000)).toBe(0);
  });

  it("bursts drop everything while they last and nothing between them; clearLoss ends them", () => {
    const t = net(3);
    t.n.setBursts({ meanGapMs: 200, minMs: 20, maxMs: 50, lossRate: 1 });
    // One datagram per ms on one link: find the runs of losses.
    const lostAt: number[] = [];
    t.n.attach(2, () => undefined);
    for (let ms = 1; ms <= 20_000; ms++) {
      t.sched.at(ms, () => {
        const before = t.n.dropped;
        t.n.send(1, 2, new Uint8Array(1));
        if (t.n.dropped > before) lostAt.push(ms);
      });
    }
    while (t.sched.runOne(Infinity));
    const runs: number[] = [];
    for (let i = 0, start = 0; i < lostAt.length; i++) {
      if (i === lostAt.length - 1 || (lostAt[i + 1] as number) !== (lostAt[i] as number) + 1) {
        runs.push(i - start + 1);
        start = i + 1;
      }
    }
    expect(Math.max(...runs)).toBeLessThanOrEqual(51);
    expect(Math.min(...runs.slice(0, -1))).toBeGreaterThanOrEqual(19);
    const share = lostAt.length / 20_000;
    expect(share).toBeGreaterThan(0.1); // mean burst 35 ms every ~235 ms
    expect(share).toBeLessThan(0.2);
    t.n.clearLoss();
    const dropped = t.n.dropped;
    t.blast(1000);
    expect(t.n.dropped).toBe(dropped);
  });
});
