// Controller benchmark (real hacrmd processes on loopback, 3 nodes, token 1000):
//  1. time from the last daemon's start to one DC every node follows (join complete)
//  2. sequential durable CIB writes per second through the socket, from a non-DC node
//  3. the same with 8 concurrent clients
//  4. time until a write is applied on every member (its acknowledgement: durable on every member)
//  5. cold start of a short `hacrm` command
// Printed next to Pacemaker 2.1.5's figures measured on a real 3-node cluster
// in /work/shared/tools/live-pacemaker/results.md (rows 1a, 1d, 5a, 5d, 5e, 5i).
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { askDaemon } from "../packages/shell/src/daemon-client.js";
import { Harness, buildOnce, hacrmCli, sleep, writeConfig } from "../test/membership-e2e-lib.js";

const runs = Number(process.env["BENCH_RUNS"] ?? 3);
const basePort = 34000 + (process.pid % 3000) * 2;
const names = ["d1", "d2", "d3"];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

interface Status {
  cluster: { dc: string | null; quorate: boolean };
}

function cluster(port: number): Harness {
  const h = new Harness();
  h.makeKey();
  writeConfig(h.config, {
    nodes: names.map((n, i) => ({ name: n, nodeid: i + 1, addrs: [`127.0.0.${i + 1}`] })),
    port,
    tokenMs: 1000,
    keyFile: h.keyFile,
  });
  return h;
}

const sock = (h: Harness, n: string): string => h.daemons.get(n)?.socket ?? "";

/** The DC every node follows, once all three report the same one in a quorate view. */
async function oneDc(h: Harness): Promise<string | undefined> {
  const all = await Promise.all(
    names.map((n) =>
      askDaemon<{ ok: true; status: Status }>(sock(h, n), { cmd: "cluster-status" }, { timeoutMs: 2000 }),
    ),
  );
  const dcs = new Set(all.map((r) => r.status.cluster.dc));
  const dc = all[0]?.status.cluster.dc;
  return dcs.size === 1 && dc && all.every((r) => r.status.cluster.quorate) ? dc : undefined;
}

async function pollDc(h: Harness): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const dc = await oneDc(h).catch(() => undefined);
    if (dc) return dc;
    if (Date.now() > until) throw new Error("no DC within 30 s");
    await sleep(10);
  }
}

async function formation(port: number): Promise<number> {
  const h = cluster(port);
  try {
    for (const n of names) h.start(n, { env: { HACRM_LOG_LEVEL: "warn" } });
    const lastStart = Date.now();
    await pollDc(h);
    return Date.now() - lastStart;
  } finally {
    await h.cleanup();
  }
}

const zero = { admin_epoch: 0, epoch: 0, num_updates: 0 };
const forced = (ops: unknown[]) => ({
  op: "patch",
  force: true,
  patch: { from: { version: zero, digest: "" }, to: { version: zero, digest: "" }, ops },
});
const setPath = "/cib/configuration/nodes/node[@id='2']";

/** One write like `cibadmin --modify`: a node attribute's new value. */
const modify = (client: number, i: number) =>
  forced([
    {
      op: "attrs",
      path: `${setPath}/instance_attributes[@id='bench']/nvpair[@id='bench-${client}']`,
      attrs: { id: `bench-${client}`, name: `bench-${client}`, value: String(i) },
    },
  ]);

async function write(socket: string, w: object): Promise<number> {
  const t = performance.now();
  const r = await askDaemon<{ ok: true; result: { ok: boolean; error?: { message: string } } }>(socket, {
    cmd: "cib-write",
    write: w,
  });
  if (!r.result.ok) throw new Error(`write refused: ${r.result.error?.message ?? ""}`);
  return performance.now() - t;
}

async function writes(port: number): Promise<{ seq: number; par: number; lat: number[] }> {
  const h = cluster(port);
  try {
    for (const n of names) h.start(n, { env: { HACRM_LOG_LEVEL: "warn" } });
    const dc = await pollDc(h);
    const writer = names.find((n) => n !== dc) as string;
    const s = sock(h, writer);
    const nvpairs = Array.from({ length: 8 }, (_, c) => ({
      name: "nvpair",
      attrs: { id: `bench-${c}`, name: `bench-${c}`, value: "0" },
      children: [],
    }));
    await write(
      s,
      forced([
        {
          op: "insert",
          parent: setPath,
          position: 0,
          element: { name: "instance_attributes", attrs: { id: "bench" }, children: nvpairs },
        },
      ]),
    );
    for (let i = 0; i < 20; i++) await write(s, modify(0, i)); // warm-up
    const n = 200;
    const lat: number[] = [];
    let t = performance.now();
    for (let i = 0; i < n; i++) lat.push(await write(s, modify(0, i)));
    const seq = n / ((performance.now() - t) / 1000);
    // 8 concurrent clients, spread over the three nodes, 50 writes each.
    t = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const cs = sock(h, names[c % 3] as string);
        for (let i = 0; i < 50; i++) await write(cs, modify(c, i));
      }),
    );
    const par = 400 / ((performance.now() - t) / 1000);
    return { seq, par, lat };
  } finally {
    await h.cleanup();
  }
}

function coldStart(args: string[], env: NodeJS.ProcessEnv): number[] {
  const out: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [hacrmCli, ...args], {
      env: { ...process.env, ...env },
      stdio: "pipe",
    });
    if (r.status !== 0) throw new Error(`hacrm ${args.join(" ")}: ${r.stderr.toString()}`);
    if (i > 0) out.push(performance.now() - t);
  }
  return out;
}

buildOnce();
console.log(
  `controller: load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} at the start (the figures below move with it)`,
);
console.log(
  "controller: 3 hacrmd on loopback, token 1000, AES-256-GCM; Pacemaker 2.1.5 figures from live-pacemaker/results.md",
);

const dcTimes: number[] = [];
for (let r = 0; r < runs; r++) dcTimes.push(await formation(basePort + r * 10));
console.log(
  `  last daemon started -> one DC, joined:   median ${median(dcTimes)} ms (runs: ${dcTimes.join(", ")}; goal <= 2000)   Pacemaker 1a: 22.79 s (dc-deadtime 20 s), 1d: 4.87 s (dc-deadtime 2 s)`,
);

const w = await writes(basePort + 100);
console.log(
  `  sequential durable writes, non-DC node:  ${w.seq.toFixed(1)} /s (goal >= 380)                       Pacemaker 5a: cibadmin --modify 38.3 /s (${(w.seq / 38.3).toFixed(1)}x)`,
);
console.log(
  `  8 concurrent clients over 3 nodes:       ${w.par.toFixed(1)} /s                                      Pacemaker 5d: 4 parallel cibadmin loops 45.5 /s (${(w.par / 45.5).toFixed(1)}x)`,
);
console.log(
  `  write -> on disk on every member (ack):  median ${median(w.lat).toFixed(1)} ms, p90 ${pct(w.lat, 0.9).toFixed(1)} ms (goal <= 8)   Pacemaker 5i: forwarded -> applied on a reader 8 ms (log-based, not durable)`,
);

const h = cluster(basePort + 200);
try {
  for (const n of names) h.start(n, { env: { HACRM_LOG_LEVEL: "warn" } });
  await pollDc(h);
  const env = { HACRM_SOCKET: sock(h, "d1") };
  const version = coldStart(["--version"], env);
  const status = coldStart(["status", "--json"], env);
  const show = coldStart(["cib", "query", "--section", "crm_config"], env);
  console.log(
    `  cold start: hacrm --version ${median(version).toFixed(0)} ms, hacrm status --json ${median(status).toFixed(0)} ms, hacrm cib query --section crm_config ${median(show).toFixed(0)} ms   Pacemaker 5e: cibadmin -Q -o crm_config 9.6 ms`,
  );
} finally {
  await h.cleanup();
}
