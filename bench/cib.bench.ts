// CIB load + validate + serialize on the perf-shapes CIBs (32x1000: 1.3 MB,
// 32x5000-probes: 100 MB), next to Pacemaker's `crm_verify -x` on the same
// files in the same run (crm_verify also schedules, so it is expected to be
// much slower), with the peak memory of each; then committed CIB writes per
// second through the SQLite store, next to a bare write+fsync of the same bytes.
//
// CIBs are generated into a scratch folder (HACRM_PERF_DIR, default
// /tmp/hacrm-perf) with ../shared/tools/gen-cib.mjs, never into the repo.
// crm_verify gets a time limit (CIB_BENCH_VERIFY_LIMIT_S, default 180 s).
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSilentLogger } from "@hacrm/common/logger";
import { systemClock } from "@hacrm/common";
import { cloneElement, parseXml, serializeXml, walk, type XmlElement } from "@hacrm/cib";
import { openCibStore } from "@hacrm/cib/store";

const repo = fileURLToPath(new URL("..", import.meta.url));
const perfDir = process.env["HACRM_PERF_DIR"] ?? "/tmp/hacrm-perf";
const verifyLimitS = Number(process.env["CIB_BENCH_VERIFY_LIMIT_S"] ?? 180);
const genCib = join(repo, "../shared/tools/gen-cib.mjs");

const shapes: Record<string, string> = {
  "32x1000":
    "--seed 1 --nodes 32 --resources 1000 --groups 67 --clones 10 --promotable 5 --location 200 --colocation 200 --order 200 --stickiness 100 --running --failures 10",
  "32x5000-probes":
    "--seed 1 --nodes 32 --resources 5000 --groups 333 --clones 50 --promotable 25 --location 1000 --colocation 1000 --order 1000 --stickiness 100 --running --failures 50 --probes",
  "3x10":
    "--seed 1 --nodes 3 --resources 10 --groups 1 --clones 1 --promotable 1 --location 2 --colocation 2 --order 2 --stickiness 100 --running --failures 1",
};

function ensureCib(name: string): string {
  const file = join(perfDir, `${name}.xml`);
  if (!existsSync(file)) {
    mkdirSync(perfDir, { recursive: true });
    const r = spawnSync(process.execPath, [genCib, ...(shapes[name] ?? "").split(" "), "-o", file], {
      stdio: "inherit",
    });
    if (r.status !== 0) throw new Error(`gen-cib failed for ${name}`);
  }
  return file;
}

/** hacrm in a fresh process so its peak RSS is its own: parse, validate, serialize. */
const childCode = `
import { readFileSync } from "node:fs";
import { parseXml, serializeXml } from ${JSON.stringify(new URL("../packages/cib/dist/index.js", import.meta.url).href)};
import { validateCib, createSchemaChecker } from ${JSON.stringify(new URL("../packages/cib/dist/validate.js", import.meta.url).href)};
const c0 = performance.now();
const schema = createSchemaChecker();
const compileMs = performance.now() - c0;
const t0 = performance.now();
const tree = parseXml(readFileSync(process.argv[1], "utf8"), process.argv[1]);
const t1 = performance.now();
const problems = validateCib(tree, { schema });
const t2 = performance.now();
const out = serializeXml(tree);
const t3 = performance.now();
console.log(JSON.stringify({ compileMs, loadMs: t1 - t0, validateMs: t2 - t1, serializeMs: t3 - t2, problems: problems.length, bytes: out.length,
  peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
`;

interface HacrmRun {
  compileMs: number;
  loadMs: number;
  validateMs: number;
  serializeMs: number;
  problems: number;
  peakRssMiB: number;
  wallS: number;
}

function runHacrm(file: string): HacrmRun {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ["--max-old-space-size=8192", "--input-type=module", "-e", childCode, file],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`hacrm child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as Omit<HacrmRun, "wallS">), wallS: (performance.now() - t0) / 1000 };
}

/** crm_verify -x with a time limit; peak RSS read from /proc (VmHWM) while it runs. */
function runCrmVerify(file: string): Promise<{ wallS: number; peakRssMiB: number; status: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn("crm_verify", ["-x", file], { stdio: "ignore" });
    let peakKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited between samples
      }
    };
    const poll = setInterval(sample, 100);
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      sample();
      child.kill("SIGKILL");
    }, verifyLimitS * 1000);
    child.on("exit", (code) => {
      clearInterval(poll);
      clearTimeout(limit);
      const wallS = (performance.now() - t0) / 1000;
      const status = timedOut ? `> ${verifyLimitS} s limit` : code === 0 ? "valid" : `exit ${code}`;
      resolve({ wallS, peakRssMiB: peakKb / 1024, status });
    });
  });
}

const fmt = (n: number, d = 2) => n.toFixed(d);

async function loadBench(): Promise<void> {
  console.log("load + validate + serialize (hacrm, fresh process) vs crm_verify -x (same file, same run)");
  console.log(
    "CIB             size     hacrm load  validate  serialize  total     peak RSS | crm_verify      peak RSS | ratio",
  );
  for (const name of ["32x1000", "32x5000-probes"]) {
    const file = ensureCib(name);
    const sizeMiB = readFileSync(file).length / 2 ** 20;
    const h = runHacrm(file);
    const c = await runCrmVerify(file);
    const total = (h.loadMs + h.validateMs + h.serializeMs) / 1000;
    const cText = c.status.startsWith(">") ? c.status : `${fmt(c.wallS)} s (${c.status})`;
    const ratio = c.status.startsWith(">")
      ? `> ${fmt(verifyLimitS / h.wallS, 1)}x`
      : `${fmt(c.wallS / h.wallS, 1)}x`;
    console.log(
      `${name.padEnd(15)} ${fmt(sizeMiB, 1).padStart(5)} MiB ${fmt(h.loadMs / 1000).padStart(7)} s ${fmt(h.validateMs / 1000).padStart(7)} s ${fmt(h.serializeMs / 1000).padStart(8)} s ${fmt(total).padStart(6)} s ${fmt(h.peakRssMiB, 0).padStart(6)} MiB | ${cText.padEnd(15)} ${fmt(c.peakRssMiB, 0).padStart(5)} MiB | crm_verify/hacrm wall ${ratio}`,
    );
    console.log(
      `  (hacrm whole process ${fmt(h.wallS)} s incl. start-up and ${fmt(h.compileMs / 1000)} s schema compile; ${h.problems} problems found; crm_verify's wall includes its scheduling run)`,
    );
  }
}

function statusEdit(cib: XmlElement, i: number): XmlElement {
  const next = cloneElement(cib);
  const nodeState = [...walk(next)].find((e) => e.name === "node_state");
  if (nodeState) nodeState.attrs["x-bench-update"] = String(i);
  return next;
}

function writesBench(): void {
  console.log(
    "\ncommitted CIB writes per second (SQLite WAL, synchronous=FULL, one transaction per version)",
  );
  for (const name of ["3x10", "32x1000"]) {
    const file = ensureCib(name);
    const dir = mkdtempSync(join(tmpdir(), "hacrm-cib-bench-"));
    const store = openCibStore(
      { path: join(dir, "cib.sqlite"), validate: false },
      { clock: systemClock, logger: createSilentLogger() },
    );
    let cib = store.commit(parseXml(readFileSync(file, "utf8"))).cib;
    const count = name === "3x10" ? 300 : 40;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) cib = store.commit(statusEdit(cib, i)).cib;
    const perS = count / ((performance.now() - t0) / 1000);
    store.close();
    // Baseline: writing the same bytes to a plain file with fsync each time.
    const bytes = serializeXml(cib);
    const t1 = performance.now();
    for (let i = 0; i < count; i++) {
      const fd = openSync(join(dir, "cib.xml"), "w");
      writeSync(fd, bytes);
      fsyncSync(fd);
      closeSync(fd);
    }
    const bareS = count / ((performance.now() - t1) / 1000);
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `${name.padEnd(8)} ${fmt(bytes.length / 1024, 0).padStart(6)} KiB: ${fmt(perS, 1)} commits/s (${count} status updates, versioned + digested + stored); bare write+fsync of the same bytes ${fmt(bareS, 1)}/s; ratio ${fmt(perS / bareS, 2)}`,
    );
  }
  console.log("  (validated commits add validateCib per version: see the validate column above)");
}

await loadBench();
writesBench();
