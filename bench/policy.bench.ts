/**
 * Policy engine benchmark: `hacrm simulate --json` against Pacemaker's
 * scheduler alone (`crm_simulate -R -x`) on the perf shapes of
 * ../shared/tools/perf-shapes.md, plain and settled (`-probes`). Prints wall
 * time and peak RSS of each and their ratio (hacrm / Pacemaker).
 *
 * CIBs are generated into /tmp/hacrm-perf (never the repo). Pacemaker gets a
 * time limit (BENCH_PCMK_LIMIT_S, default 60 s); beyond it the row reads
 * "> limit". BENCH_SHAPES=3x10,8x100 restricts the shapes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const genCib = path.resolve(repoRoot, "../shared/tools/gen-cib.mjs");
const perfDir = "/tmp/hacrm-perf";
const pcmkLimitS = Number(process.env.BENCH_PCMK_LIMIT_S ?? 60);
const hacrmLimitS = 600;

const SHAPES: Record<string, string> = {
  "3x10":
    "--nodes 3 --resources 10 --groups 1 --clones 1 --promotable 1 --location 2 --colocation 2 --order 2 --failures 1",
  "8x100":
    "--nodes 8 --resources 100 --groups 7 --clones 1 --promotable 1 --location 20 --colocation 20 --order 20 --failures 1",
  "16x500":
    "--nodes 16 --resources 500 --groups 33 --clones 5 --promotable 2 --location 100 --colocation 100 --order 100 --failures 5",
  "32x1000":
    "--nodes 32 --resources 1000 --groups 67 --clones 10 --promotable 5 --location 200 --colocation 200 --order 200 --failures 10",
  "32x3000":
    "--nodes 32 --resources 3000 --groups 200 --clones 30 --promotable 15 --location 600 --colocation 600 --order 600 --failures 30",
  "32x5000":
    "--nodes 32 --resources 5000 --groups 333 --clones 50 --promotable 25 --location 1000 --colocation 1000 --order 1000 --failures 50",
};

interface Measure {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  timedOut: boolean;
  ok: boolean;
}

function cibFor(shape: string, probes: boolean): string {
  const file = path.join(perfDir, `${shape}${probes ? "-probes" : ""}.xml`);
  if (!fs.existsSync(file)) {
    const args = [genCib, "--seed", "1", ...SHAPES[shape]!.split(" "), "--stickiness", "100", "--running"];
    if (probes) args.push("--probes");
    const r = spawnSync("node", [...args, "-o", file], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`gen-cib failed for ${shape}`);
  }
  return file;
}

/** Run a command under /usr/bin/time -v with a time limit. */
function measure(cmd: string[], limitS: number): Measure {
  const r = spawnSync("/usr/bin/time", ["-v", "timeout", String(limitS), ...cmd], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  const err = r.stderr ?? "";
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  const user = /User time \(seconds\): ([\d.]+)/.exec(err);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return {
    wallS,
    cpuS: Number(user?.[1] ?? NaN) + Number(sys?.[1] ?? NaN),
    rssMiB: rss ? Number(rss[1]) / 1024 : NaN,
    timedOut: /Command exited with non-zero status 124/.test(err),
    ok: r.status === 0,
  };
}

function fmt(m: Measure, limitS: number): string {
  if (m.timedOut) return `> ${limitS} s`.padStart(10);
  return `${m.wallS.toFixed(2)} s`.padStart(10);
}

function fmtCpu(m: Measure): string {
  return m.timedOut ? "-".padStart(9) : `${m.cpuS.toFixed(2)} s`.padStart(9);
}

function main(): void {
  fs.mkdirSync(perfDir, { recursive: true });
  const wanted = process.env.BENCH_SHAPES?.split(",") ?? Object.keys(SHAPES);
  const hacrm = path.join(repoRoot, "bin/hacrm");
  console.log(`policy: hacrm simulate --json vs crm_simulate -R -x (Pacemaker limit ${pcmkLimitS} s)`);
  console.log(
    `${"shape".padEnd(16)} ${"hacrm".padStart(10)} ${"cpu".padStart(9)} ${"RSS".padStart(9)} ${"pcmk".padStart(10)} ${"cpu".padStart(9)} ${"RSS".padStart(9)} ${"time ratio".padStart(11)} ${"cpu ratio".padStart(10)} ${"mem ratio".padStart(10)}`,
  );
  for (const shape of wanted) {
    if (!SHAPES[shape]) continue;
    for (const probes of [false, true]) {
      const file = cibFor(shape, probes);
      const ours = measure([hacrm, "simulate", "--xml-file", file, "--json"], hacrmLimitS);
      const theirs = measure(["crm_simulate", "-R", "-x", file], pcmkLimitS);
      const timeRatio = theirs.timedOut
        ? `< ${(ours.wallS / pcmkLimitS).toFixed(3)}`
        : (ours.wallS / theirs.wallS).toFixed(3);
      const memRatio = (ours.rssMiB / theirs.rssMiB).toFixed(2) + (theirs.timedOut ? "*" : "");
      const cpuRatio = theirs.timedOut ? "-" : (ours.cpuS / theirs.cpuS).toFixed(3);
      const name = `${shape}${probes ? "-probes" : ""}`;
      console.log(
        `${name.padEnd(16)} ${fmt(ours, hacrmLimitS)} ${fmtCpu(ours)} ${ours.rssMiB.toFixed(0).padStart(5)} MiB ${fmt(theirs, pcmkLimitS)} ${fmtCpu(theirs)} ${theirs.rssMiB.toFixed(0).padStart(5)} MiB ${timeRatio.padStart(11)} ${cpuRatio.padStart(10)} ${memRatio.padStart(10)}${ours.ok ? "" : "  (hacrm failed)"}`,
      );
    }
  }
  console.log("(* Pacemaker's RSS when it was stopped at the limit; ratio < x: hacrm time / limit;");
  console.log(" cpu = user+sys seconds, the fairer figure when other jobs share the cores)");
}

main();
