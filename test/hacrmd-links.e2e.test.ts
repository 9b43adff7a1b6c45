/**
 * Redundant links: three hacrmd with ring0 and ring1 on two separate
 * networks (namespaces and bridges this test creates). Cutting ring0 keeps
 * every node in the view and reports link0 down, link1 up per peer; cutting
 * both loses the peer.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, agreedView, buildOnce, sleep, status, waitFor, writeConfig } from "./membership-e2e-lib.js";

const tokenMs = 500;
const tag = `hl${process.pid % 100000}`;
const hub = `${tag}-hub`;
const names = ["l1", "l2", "l3"];
const net = (link: number, i: number) => `10.${232 + link}.${(process.pid % 200) + 1}.${i}`;
const ns = (i: number) => `${tag}-${i}`;
const h = new Harness();
const sh = (args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: "pipe" });

function buildNetwork(): void {
  h.addNetns(hub);
  for (const link of [0, 1]) {
    sh(["ip", "-n", hub, "link", "add", `br${link}`, "type", "bridge"]);
    sh(["ip", "-n", hub, "link", "set", `br${link}`, "up"]);
  }
  for (let i = 1; i <= 3; i++) {
    h.addNetns(ns(i));
    sh(["ip", "-n", ns(i), "link", "set", "lo", "up"]);
    for (const link of [0, 1]) {
      sh([
        "ip",
        "-n",
        hub,
        "link",
        "add",
        `v${i}l${link}`,
        "type",
        "veth",
        "peer",
        "name",
        `eth${link}`,
        "netns",
        ns(i),
      ]);
      sh(["ip", "-n", hub, "link", "set", `v${i}l${link}`, "master", `br${link}`, "up"]);
      sh(["ip", "-n", ns(i), "addr", "add", `${net(link, i)}/24`, "dev", `eth${link}`]);
      sh(["ip", "-n", ns(i), "link", "set", `eth${link}`, "up"]);
    }
  }
}
const downLink = (link: number) => {
  for (const i of [1, 2, 3])
    sh(["ip", "netns", "exec", ns(i), "iptables", "-A", "INPUT", "-i", `eth${link}`, "-j", "DROP"]);
};
const sock = (n: string) => h.daemons.get(n)?.socket ?? "";

describe("two links per node", () => {
  beforeAll(() => {
    buildOnce();
    buildNetwork();
    h.makeKey();
    writeConfig(h.config, {
      nodes: names.map((n, i) => ({ name: n, nodeid: i + 1, addrs: [net(0, i + 1), net(1, i + 1)] })),
      port: 5405,
      tokenMs,
      keyFile: h.keyFile,
    });
    // no --node: each hacrmd finds its nodelist entry from its namespace's addresses
    for (let i = 1; i <= 3; i++) h.start(`l${i}`, { netns: ns(i), autoNode: true });
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it("forms the view with both links up, and counts the second copy as a link duplicate", async () => {
    await waitFor("3-node view", 20_000, () => agreedView(h, names, names));
    await sleep(300);
    const s = await status(sock("l1"));
    expect(s.node).toBe("l1");
    for (const p of s.peers) expect(p.links.map((l) => l.up)).toEqual([true, true]);
    expect(s.datagrams.dropped.link_duplicate ?? 0).toBeGreaterThan(0);
    expect(s.datagrams.dropped.replayed ?? 0).toBe(0);
  });

  it("stays in one view when ring0 fails, and reports link0 down per peer", async () => {
    const before = await status(sock("l1"));
    downLink(0);
    await sleep(3 * tokenMs);
    for (const n of names) {
      const s = await status(sock(n));
      expect(s.view?.id).toBe(before.view?.id);
      for (const p of s.peers) expect(p.links.map((l) => l.up)).toEqual([false, true]);
    }
  });

  it("loses the peers when the last link fails too", async () => {
    downLink(1);
    await waitFor("singleton views", 10_000, async () => {
      const all = await Promise.all(names.map((n) => status(sock(n))));
      return all.every((s) => s.view?.members.length === 1) ? all : undefined;
    });
  });
});
