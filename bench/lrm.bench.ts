// Executor throughput: monitor operations per second of ocf:hacrm:Dummy run
// through the executor (serial and with 4 in flight), against the same agent
// run by a bare shell loop with the same OCF environment, measured in the
// same run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createSilentLogger } from "@hacrm/common/logger";
import { createSystemTimerHost, systemClock } from "@hacrm/common";
import { Executor, locateAgent, resolveAgentPaths } from "@hacrm/lrm";

const opsCount = Number(process.env["LRM_BENCH_OPS"] ?? 300);
const root = mkdtempSync(`${tmpdir()}/hacrm-lrm-bench-`);
const agent = locateAgent("ocf:hacrm:Dummy", resolveAgentPaths({ env: {} })).file;

function shellLoop(n: number): number {
  const script = `i=0; while [ $i -lt ${n} ]; do "${agent}" monitor >/dev/null 2>&1; i=$((i+1)); done`;
  const env = {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    OCF_ROOT: "/usr/lib/ocf",
    OCF_RESOURCE_INSTANCE: "d",
    HA_RSCTMP: `${root}/shell`,
    OCF_RESKEY_CRM_meta_interval: "0",
    OCF_RESKEY_CRM_meta_timeout: "20000",
  };
  spawnSync("mkdir", ["-p", `${root}/shell`]);
  const t0 = performance.now();
  spawnSync("sh", ["-c", script], { env, stdio: "ignore" });
  return n / ((performance.now() - t0) / 1000);
}

async function viaExecutor(n: number, inFlight: number): Promise<number> {
  const ex = new Executor(
    {
      nodeName: "bench",
      stateDir: `${root}/ex${inFlight}`,
      actionsInFlightMax: inFlight,
      queuedOpsMax: n + 10,
    },
    { clock: systemClock, timers: createSystemTimerHost(), logger: createSilentLogger() },
  );
  // meta-data is read once per agent (for the parameter check): do it before timing
  await ex.execute({
    resource: "warm",
    agent: "ocf:hacrm:Dummy",
    action: "monitor",
    intervalMs: 0,
    timeoutMs: 20_000,
    params: {},
  });
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      ex.execute({
        resource: `d${i % (inFlight * 2)}`,
        agent: "ocf:hacrm:Dummy",
        action: "monitor",
        intervalMs: 0,
        timeoutMs: 20_000,
        params: {},
      }),
    ),
  );
  const rate = n / ((performance.now() - t0) / 1000);
  await ex.close();
  const bad = results.filter((r) => r.status !== "done" || r.rc !== 7).length;
  if (bad > 0) throw new Error(`${bad} monitors did not report 'not running'`);
  return rate;
}

const shell = shellLoop(opsCount);
const serial = await viaExecutor(opsCount, 1);
const parallel = await viaExecutor(opsCount, 4);
rmSync(root, { recursive: true, force: true });
const f = (x: number): string => x.toFixed(0).padStart(6);
console.log(`ocf:hacrm:Dummy monitor, ${opsCount} operations each`);
console.log(`  bare shell loop (serial)         ${f(shell)} ops/s`);
console.log(
  `  executor, actionsInFlightMax=1   ${f(serial)} ops/s   ratio ${(serial / shell).toFixed(2)}x shell`,
);
console.log(
  `  executor, actionsInFlightMax=4   ${f(parallel)} ops/s   ratio ${(parallel / shell).toFixed(2)}x shell`,
);
