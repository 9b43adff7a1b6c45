// Membership on a lossy network, hacrm and Corosync side by side (issue 21).
// Three network namespaces on one bridge; in each, hacrmd and Debian's
// corosync (token 1000 both) run at the same time on different ports, and
// `iptables -m statistic` drops the same random share of every node's inbound
// UDP for both. Printed per loss rate: view changes of each over the same
// window (summed over the three nodes' logs, as issue 21 counted them), then
// kill -9 of node 3 of each, with the loss still applied, until both
// survivors have a view without it.
//
// Root, iproute2, iptables and corosync (apt-get install corosync) needed.
// Env: BENCH_LOSS_SECONDS (default 60), BENCH_LOSS_RATES (default "0.2,0.4"),
// BENCH_LOSS_KILLS (default 3).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Harness,
  NetnsBridge,
  agreedView,
  buildOnce,
  sleep,
  waitFor,
  writeConfig,
} from "../test/membership-e2e-lib.js";

const seconds = Number(process.env["BENCH_LOSS_SECONDS"] ?? 60);
const rates = (process.env["BENCH_LOSS_RATES"] ?? "0.2,0.4").split(",").map(Number);
const kills = Number(process.env["BENCH_LOSS_KILLS"] ?? 3);
const tokenMs = 1000;
const tag = `ml${process.pid % 100000}`;
const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
const addr = (i: number) => `${subnet}.${i}`;
const ns = (i: number) => `${tag}-${i}`; // NetnsBridge's names
const nodes = [1, 2, 3];
const names = nodes.map((i) => `n${i}`);
const hacrmPort = 5505;
const sh = (args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: "pipe" });

function requireTools(): boolean {
  try {
    sh(["corosync", "-v"]);
    sh(["iptables", "--version"]);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** One corosync per namespace, each with a private /run (pid file) and /var/lib/corosync. */
class Corosync {
  readonly procs = new Map<number, ChildProcess>();
  /** Membership lines ("A new membership ...") per node, stamped on arrival. */
  readonly events: { node: number; atMs: number; line: string }[] = [];
  readonly conf: string;
  /** Members of each membership a node formed, from "[QUORUM] Sync members[N]: ..." lines. */
  readonly syncs: { node: number; atMs: number; members: number[] }[] = [];

  constructor(readonly dir: string) {
    this.conf = join(dir, "corosync.conf");
    const nodelist = nodes
      .map((i) => `  node {\n    name: node${i}\n    nodeid: ${i}\n    ring0_addr: ${addr(i)}\n  }`)
      .join("\n");
    writeFileSync(
      this.conf,
      `totem {\n  version: 2\n  cluster_name: lossbench\n  transport: knet\n  token: ${tokenMs}\n  crypto_cipher: none\n  crypto_hash: none\n}\n` +
        `logging {\n  to_stderr: yes\n  to_syslog: no\n  to_logfile: no\n  timestamp: hires\n}\n` +
        `quorum {\n  provider: corosync_votequorum\n}\nnodelist {\n${nodelist}\n}\n`,
    );
  }

  start(i: number): void {
    const lib = join(this.dir, `corosync-lib-${i}`);
    mkdirSync(lib, { recursive: true });
    const script = `mount -t tmpfs none /run && mount --bind ${lib} /var/lib/corosync && exec corosync -f -c ${this.conf}`;
    const p = spawn(
      "ip",
      ["netns", "exec", ns(i), "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let buf = "";
    const log = join(this.dir, `corosync-${i}.log`);
    p.stderr?.setEncoding("utf8");
    p.stderr?.on("data", (d: string) => {
      const atMs = Date.now();
      appendFileSync(log, d);
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        if (line.includes("A new membership")) this.events.push({ node: i, atMs, line });
        const m = /\[QUORUM\] Sync members\[\d+\]:([\d ]*)/.exec(line);
        if (m) this.syncs.push({ node: i, atMs, members: (m[1] ?? "").trim().split(/\s+/).map(Number) });
      }
    });
    this.procs.set(i, p);
  }

  kill9(i: number): number {
    const t = Date.now();
    this.procs.get(i)?.kill("SIGKILL");
    this.procs.delete(i);
    return t;
  }

  /** Every given node formed a membership of exactly `members` since `sinceMs`. */
  formed(onNodes: number[], members: number[], sinceMs = 0): boolean {
    return onNodes.every((i) =>
      this.syncs.some((e) => e.node === i && e.atMs >= sinceMs && e.members.join() === members.join()),
    );
  }

  /** When `node` first formed a membership without `gone` after `sinceMs`. */
  firstWithout(node: number, gone: number, sinceMs: number): number | undefined {
    return this.syncs.find((e) => e.node === node && e.atMs >= sinceMs && !e.members.includes(gone))?.atMs;
  }

  async stop(): Promise<void> {
    for (const i of [...this.procs.keys()]) this.kill9(i);
    await sleep(200);
  }
}

function hacrmViewEvents(h: Harness, fromMs: number, toMs: number): { changes: number; losses: number } {
  let changes = 0;
  let losses = 0;
  for (const n of names) {
    for (const line of h.logText(n).split("\n")) {
      if (!line.includes('"view_changed"')) continue;
      const e = JSON.parse(line) as { time: number; left: string[] };
      if (e.time < fromMs || e.time > toMs) continue;
      changes++;
      if (e.left.length > 0) losses++;
    }
  }
  return { changes, losses };
}

async function hacrmDetection(h: Harness, killedAt: number): Promise<number> {
  const all = await waitFor("hacrm 2-node view", 20_000, () => agreedView(h, ["n1", "n2"], ["n1", "n2"]));
  return Math.max(...all.map((s) => (s.view?.installedAtWallMs ?? 0) - killedAt));
}

/** Both survivors formed a membership without node 3 (Corosync flaps under loss, so not necessarily {1, 2}). */
async function corosyncDetection(cs: Corosync, killedAt: number): Promise<number> {
  const at = await waitFor("corosync membership without node 3", 30_000, async () => {
    const t = [1, 2].map((i) => cs.firstWithout(i, 3, killedAt));
    return t.every((x) => x !== undefined) ? Math.max(...(t as number[])) : undefined;
  });
  return at - killedAt;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) => (xs.length ? `median ${median(xs)} ms (${xs.join(", ")})` : "n/a");

async function runRate(rate: number): Promise<string> {
  const h = new Harness();
  const net = new NetnsBridge(h, tag, nodes.length, addr);
  net.build();
  h.makeKey();
  writeConfig(h.config, {
    nodes: nodes.map((i) => ({ name: `n${i}`, nodeid: i, addrs: [addr(i)] })),
    port: hacrmPort,
    tokenMs,
    keyFile: h.keyFile,
  });
  const cs = new Corosync(h.dir);
  const env = { HACRM_LOG_LEVEL: "info" };
  try {
    for (const i of nodes) {
      h.start(`n${i}`, { netns: ns(i), env });
      cs.start(i);
    }
    await waitFor("hacrm 3-node view", 30_000, () => agreedView(h, names, names));
    await waitFor("corosync 3-node membership", 30_000, async () =>
      cs.formed(nodes, nodes) ? true : undefined,
    );
    await sleep(2000);
    net.inboundLoss("-A", rate);
    const from = Date.now();
    const csBefore = cs.events.length;
    await sleep(seconds * 1000);
    const to = Date.now();
    const hv = hacrmViewEvents(h, from, to);
    // The count must come from logs that do record view changes: formation logged some.
    if (hacrmViewEvents(h, 0, from).changes === 0) throw new Error("hacrmd logged no view_changed event");
    const csWindow = cs.events.slice(csBefore).filter((e) => e.atMs <= to);
    const csLosses = csWindow.filter((e) => /left:/i.test(e.line)).length;
    const hDet: number[] = [];
    const cDet: number[] = [];
    for (let k = 0; k < kills; k++) {
      const [th, tc] = [h.kill9("n3"), cs.kill9(3)];
      const [dh, dc] = await Promise.allSettled([hacrmDetection(h, th), corosyncDetection(cs, tc)]);
      if (dh.status === "fulfilled") hDet.push(dh.value);
      if (dc.status === "fulfilled") cDet.push(dc.value);
      h.start("n3", { netns: ns(3), env });
      cs.start(3);
      await Promise.allSettled([
        waitFor("hacrm 3-node view again", 30_000, () => agreedView(h, names, names)),
        waitFor("corosync 3 members again", 30_000, async () =>
          cs.formed(nodes, nodes, tc) ? true : undefined,
        ),
      ]);
      await sleep(2000);
    }
    return [
      `  ${(rate * 100).toFixed(0)}% inbound UDP loss, ${seconds} s:`,
      `    view changes (3 nodes' logs): hacrm ${hv.changes} (${hv.losses} with a member lost)   corosync ${csWindow.length} (${csLosses} with a member lost)`,
      `    kill -9 of node 3 -> both survivors in a view without it: hacrm ${fmt(hDet)}   corosync ${fmt(cDet)}   bound token + 500 = ${tokenMs + 500} ms`,
      `    (Corosync's survivors may already be in a membership without node 3 when it is killed, or flap into one soon after, under loss)`,
    ].join("\n");
  } finally {
    await cs.stop();
    await h.cleanup(process.env["BENCH_LOSS_KEEP"] === "1");
    if (process.env["BENCH_LOSS_KEEP"] === "1") console.log(`    logs kept in ${h.dir}`);
  }
}

if (!requireTools()) {
  console.log("membership-loss: skipped (needs root, iptables and corosync: apt-get install corosync)");
} else {
  buildOnce();
  console.log(
    `membership on a lossy network: 3 nodes in network namespaces, token ${tokenMs} ms for both, hacrm and Corosync ${String(sh(["corosync", "-v"])).split("'")[1]} at the same time`,
  );
  for (const rate of rates) console.log(await runRate(rate));
}
