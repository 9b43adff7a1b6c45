/**
 * Five real hacrmd processes, each in a network namespace this test creates
 * (veth pairs on a bridge in a hub namespace; traffic never leaves them):
 * formation, kill -9 and the new view within token + 200 ms, restart and
 * rejoin, a main thread blocked for 2 x token without losing the node, a 2|3
 * cut with iptables where only the 3 side is quorate, and the merge on heal.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Harness,
  agreedView,
  buildOnce,
  request,
  sleep,
  status,
  waitFor,
  writeConfig,
} from "./membership-e2e-lib.js";

const tokenMs = 1000;
const tag = `hx${process.pid % 100000}`;
const hub = `${tag}-hub`;
const names = ["n1", "n2", "n3", "n4", "n5"];
const addr = (i: number) => `10.231.${(process.pid % 200) + 1}.${i}`;
const ns = (i: number) => `${tag}-${i}`;
const h = new Harness();

function sh(args: string[]): void {
  execFileSync(args[0] as string, args.slice(1), { stdio: "pipe" });
}

function buildNetwork(): void {
  h.addNetns(hub);
  sh(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"]);
  sh(["ip", "-n", hub, "link", "set", "br0", "up"]);
  for (let i = 1; i <= 5; i++) {
    h.addNetns(ns(i));
    sh(["ip", "-n", hub, "link", "add", `v${i}`, "type", "veth", "peer", "name", "eth0", "netns", ns(i)]);
    sh(["ip", "-n", hub, "link", "set", `v${i}`, "master", "br0", "up"]);
    sh(["ip", "-n", ns(i), "addr", "add", `${addr(i)}/24`, "dev", "eth0"]);
    sh(["ip", "-n", ns(i), "link", "set", "eth0", "up"]);
    sh(["ip", "-n", ns(i), "link", "set", "lo", "up"]);
  }
}

/** Drop everything between the two groups, inside each node's namespace. */
function cut(a: number[], b: number[]): void {
  for (const [mine, other] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const i of mine)
      for (const j of other) {
        sh(["ip", "netns", "exec", ns(i), "iptables", "-A", "INPUT", "-s", addr(j), "-j", "DROP"]);
        sh(["ip", "netns", "exec", ns(i), "iptables", "-A", "OUTPUT", "-d", addr(j), "-j", "DROP"]);
      }
  }
}
function heal(): void {
  for (let i = 1; i <= 5; i++) sh(["ip", "netns", "exec", ns(i), "iptables", "-F"]);
}

const sock = (n: string) => h.daemons.get(n)?.socket ?? "";
const start = (i: number) => h.start(`n${i}`, { netns: ns(i), env: { HACRM_TEST_HOOKS: "1" } });

describe("five hacrmd in network namespaces", () => {
  beforeAll(() => {
    buildOnce();
    buildNetwork();
    h.makeKey();
    writeConfig(h.config, {
      nodes: names.map((n, i) => ({ name: n, nodeid: i + 1, addrs: [addr(i + 1)] })),
      port: 5405,
      tokenMs,
      keyFile: h.keyFile,
    });
    for (let i = 1; i <= 5; i++) start(i);
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it("forms one quorate view of all five", async () => {
    const all = await waitFor("a 5-node view", 20_000, () => agreedView(h, names, names));
    for (const s of all) expect(s.quorum).toMatchObject({ quorate: true, votes: 5, expected: 5 });
  });

  it("kill -9 of one node: the other four agree on the new view within token + 200 ms", async () => {
    await sleep(1500);
    const killedAt = h.kill9("n5");
    const survivors = names.slice(0, 4);
    const all = await waitFor("the 4-node view", 10_000, () => agreedView(h, survivors, survivors));
    const latencies = all.map((s) => (s.view?.installedAtWallMs ?? 0) - killedAt);
    console.log(`kill -9 -> new view on each survivor (ms): ${latencies.join(", ")} (token ${tokenMs})`);
    for (const l of latencies) expect(l).toBeLessThanOrEqual(tokenMs + 200);
    for (const s of all) expect(s.quorum).toMatchObject({ quorate: true, votes: 4, expected: 5 });
  });

  it("the restarted node rejoins", async () => {
    start(5);
    const all = await waitFor("the 5-node view again", 15_000, () => agreedView(h, names, names));
    expect(new Set(all.map((s) => s.view?.id)).size).toBe(1);
  });

  it("a main thread blocked for 2 x token does not make the others lose the node", async () => {
    await sleep(500);
    const before = await status(sock("n1"));
    const blocked = await request(sock("n3"), { cmd: "debug-block", ms: 2 * tokenMs }, 10_000);
    expect(blocked).toMatchObject({ ok: true, blockedMs: 2 * tokenMs });
    await sleep(300);
    for (const n of names) {
      const s = await status(sock(n));
      expect(s.view?.id, `${n} kept the view`).toBe(before.view?.id);
    }
    expect(h.logText("n3")).toContain("main_thread_blocked");
  });

  it("a 2|3 cut leaves only the 3 side quorate", async () => {
    cut([1, 2], [3, 4, 5]);
    const small = await waitFor("the 2-node side", 15_000, () => agreedView(h, ["n1", "n2"], ["n1", "n2"]));
    const big = await waitFor("the 3-node side", 15_000, () =>
      agreedView(h, ["n3", "n4", "n5"], ["n3", "n4", "n5"]),
    );
    for (const s of small) expect(s.quorum.quorate).toBe(false);
    for (const s of big) expect(s.quorum).toMatchObject({ quorate: true, votes: 3, expected: 5 });
  });

  it("healing the cut merges the partitions into one quorate view", async () => {
    heal();
    const all = await waitFor("the merged view", 15_000, () => agreedView(h, names, names));
    for (const s of all) expect(s.quorum.quorate).toBe(true);
  });
});
