import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { createSilentLogger } from "@hacrm/common/logger";
import { createSystemTimerHost, systemClock } from "@hacrm/common";
import {
  Executor,
  groupMembers,
  resolveAgentPaths,
  type ExecutorOptions,
  type OpResult,
  type OperationRequest,
} from "@hacrm/lrm";

/**
 * The executor with real processes: test agents written into a temporary
 * resource.d (provider "t"), the project's agents, and Debian's.
 */
const root = mkdtempSync(`${tmpdir()}/hacrm-lrm-`);
const ocfDir = `${root}/resource.d`;

function metaData(name: string, params: string[]): string {
  const p = params
    .map(
      (n) =>
        `<parameter name="${n}"><longdesc lang="en">${n}</longdesc><shortdesc lang="en">${n}</shortdesc><content type="string"/></parameter>`,
    )
    .join("\n");
  return `<?xml version="1.0"?>
<resource-agent name="${name}" version="1.0"><version>1.1</version>
<longdesc lang="en">test agent</longdesc><shortdesc lang="en">test agent</shortdesc>
<parameters>${p}</parameters>
<actions><action name="start" timeout="20s"/><action name="stop" timeout="20s"/><action name="monitor" timeout="20s" interval="10s"/><action name="meta-data" timeout="5s"/></actions>
</resource-agent>`;
}

/** Write test agent t:NAME: meta-data from `params`, any other action runs `body`. */
function agent(name: string, params: string[], body: string, mode = 0o755): void {
  mkdirSync(`${ocfDir}/t`, { recursive: true });
  const file = `${ocfDir}/t/${name}`;
  writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = meta-data ]; then cat <<'XML'\n${metaData(name, params)}\nXML\nexit 0; fi\n${body}\n`,
  );
  chmodSync(file, mode);
}

const executors: Executor[] = [];
function executor(stateDir: string, extra: Partial<ExecutorOptions> = {}): Executor {
  const e = new Executor(
    {
      nodeName: "node1",
      stateDir,
      paths: resolveAgentPaths({ env: { HACRM_OCF_PATH: ocfDir } }),
      actionsInFlightMax: 8,
      killGraceMs: 300,
      outputBytesMax: 64 * 1024,
      ...extra,
    },
    { clock: systemClock, timers: createSystemTimerHost(), logger: createSilentLogger() },
  );
  executors.push(e);
  return e;
}

function op(
  resource: string,
  agentName: string,
  action: string,
  params: Record<string, string> = {},
  extra: Partial<OperationRequest> = {},
): OperationRequest {
  return { resource, agent: agentName, action, intervalMs: 0, timeoutMs: 20_000, params, ...extra };
}

/** Processes whose environment carries `marker` (any process the agent started, wherever it went). */
function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

beforeAll(() => {
  agent(
    "hang",
    ["pidfile"],
    `trap '' TERM\necho $$ > "$OCF_RESKEY_pidfile"\nsleep 1000 &\n(sleep 1000; echo never) &\nsleep 1000\n`,
  );
  agent(
    "chatty",
    [],
    `head -c 5000000 /dev/zero | tr '\\0' o\nhead -c 3000000 /dev/zero | tr '\\0' e >&2\nexit 0`,
  );
  agent("exiter", ["code"], `exit "$OCF_RESKEY_code"`);
  agent(
    "echoer",
    ["msg", "out"],
    `printf '%s' "$OCF_RESKEY_msg" > "$OCF_RESKEY_out"\nenv > "$OCF_RESKEY_out.env"\nexit 0`,
  );
  agent(
    "counter",
    ["log", "sleep"],
    `echo "begin" >> "$OCF_RESKEY_log"\nsleep "$OCF_RESKEY_sleep"\necho "end" >> "$OCF_RESKEY_log"\nexit 0`,
  );
  agent("noexec", [], "exit 0", 0o644);
  agent("slowstart", ["pidfile"], `echo $$ > "$OCF_RESKEY_pidfile"\nsleep 30\nexit 0`);
});

afterAll(async () => {
  for (const e of executors) await e.close().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("executor with real agents", () => {
  it("ends a hanging agent at its timeout, with its children and grandchildren, leaving no process or zombie", async () => {
    const ex = executor(`${root}/hang`);
    const pidfile = `${root}/hang.pid`;
    const marker = "hang-instance-7c1e";
    const r = await ex.execute(op(marker, "ocf:t:hang", "start", { pidfile }, { timeoutMs: 2000 }));
    expect(r.status).toBe("timeout");
    expect(r.rc).toBe(1);
    expect(r.durationMs).toBeGreaterThanOrEqual(2000);
    const pgid = Number(readFileSync(pidfile, "utf8"));
    // The agent ignored SIGTERM, so SIGKILL after the grace ended it.
    expect(r.signal).toBe("SIGKILL");
    expect(processesWithMarker(marker)).toEqual([]);
    expect(groupMembers(pgid, true)).toEqual([]);
  });

  it("keeps a bounded part of an agent that prints megabytes, and still finishes", async () => {
    const ex = executor(`${root}/chatty`);
    const r = await ex.execute(op("c1", "ocf:t:chatty", "start"));
    expect(r.status).toBe("done");
    expect(r.rc).toBe(0);
    expect(r.outputTruncated).toBe(true);
    expect(r.stdout).toBe("o".repeat(64 * 1024));
    expect(r.stderr).toBe("e".repeat(64 * 1024));
  });

  it("reports every exit code 0-255: raw code kept, OCF code mapped (above 9 is a generic error)", async () => {
    const ex = executor(`${root}/exit`);
    const results = await Promise.all(
      Array.from({ length: 256 }, (_, code) =>
        ex.execute(op(`x${code}`, "ocf:t:exiter", "start", { code: String(code) })),
      ),
    );
    expect(results.map((r) => r.exitCode)).toEqual(Array.from({ length: 256 }, (_, c) => c));
    expect(results.map((r) => r.rc)).toEqual(Array.from({ length: 256 }, (_, c) => (c <= 9 ? c : 1)));
    expect(results.every((r) => r.status === "done")).toBe(true);
  });

  it("reports an agent that does not exist as not installed, and one that is not executable as such", async () => {
    const ex = executor(`${root}/missing`);
    const missing = await ex.execute(op("m1", "ocf:t:nosuchagent", "start"));
    expect(missing).toMatchObject({ status: "not-found", rc: 5 });
    expect(missing.reason).toMatch(/no such agent/);
    const noexec = await ex.execute(op("m2", "ocf:t:noexec", "start"));
    expect(noexec).toMatchObject({ status: "not-executable", rc: 4 });
    expect(noexec.reason).toMatch(/not executable/);
    const lsb = await executor(`${root}/missing2`, { checkParams: false }).execute(
      op("m3", "lsb:nosuchscript", "start"),
    );
    expect(lsb.status).toBe("not-found");
  });

  it("refuses unknown and missing parameters before running the agent", async () => {
    const ex = executor(`${root}/params`);
    const r = await ex.execute(op("p1", "ocf:hacrm:IPaddr", "start", { ip: "10.0.0.1", nick: "eth0" }));
    expect(r.status).toBe("invalid-params");
    expect(r.rc).toBe(6);
    expect(r.reason).toMatch(/no parameter 'nick'/);
    expect(r.reason).toMatch(/needs parameter 'nic'/);
    // the agent's own reason, from its ocf-exit-reason: line
    const failed = await ex.execute(
      op("p2", "ocf:hacrm:IPaddr", "start", { ip: "10.0.0.1", nic: "bad nic!" }),
    );
    expect(failed).toMatchObject({
      status: "done",
      rc: 6,
      exitReason: "'bad nic!' is not an interface name",
    });
  });

  it("passes parameters with spaces, quotes and newlines unchanged, with the OCF environment", async () => {
    const ex = executor(`${root}/echo`);
    const out = `${root}/echo.out`;
    const msg = `two  spaces 'single' "double" \`tick\` $HOME \\back\nsecond line\n\ttab; rm -rf /`;
    const r = await ex.execute(
      op("e:1", "ocf:t:echoer", "start", { msg, out }, { meta: { "clone-max": "2", notify: "true" } }),
    );
    expect(r.status).toBe("done");
    expect(readFileSync(out, "utf8")).toBe(msg);
    const env = readFileSync(`${out}.env`, "utf8");
    for (const line of [
      "OCF_ROOT=/usr/lib/ocf",
      "OCF_FUNCTIONS_DIR=/usr/lib/ocf/lib/heartbeat",
      "OCF_RESOURCE_INSTANCE=e:1",
      "OCF_RESOURCE_TYPE=echoer",
      "OCF_RESOURCE_PROVIDER=t",
      "OCF_RA_VERSION_MAJOR=1",
      "OCF_RA_VERSION_MINOR=1",
      "OCF_RESKEY_CRM_meta_clone_max=2",
      "OCF_RESKEY_CRM_meta_notify=true",
      "OCF_RESKEY_CRM_meta_interval=0",
      "OCF_RESKEY_CRM_meta_timeout=20000",
      "OCF_RESKEY_CRM_meta_on_node=node1",
      `HA_RSCTMP=${root}/echo/rsctmp`,
    ]) {
      expect(env.split("\n")).toContain(line);
    }
    expect(env).toMatch(/^HACRM_ATTRIBUTE_TOOL=.*agents\/bin\/hacrm-attribute$/m);
  });

  it("runs 50 recurring monitors at once, one run at a time each, and stops them on cancel", async () => {
    const ex = executor(`${root}/many`, { actionsInFlightMax: 10 });
    const logs = Array.from({ length: 50 }, (_, i) => `${root}/many-${i}.log`);
    const firsts = logs.map((log, i) =>
      ex.execute(op(`m${i}`, "ocf:t:counter", "monitor", { log, sleep: "0.05" }, { intervalMs: 300 })),
    );
    expect((await Promise.all(firsts)).every((r) => r.status === "done" && r.rc === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 4000));
    for (let i = 0; i < 50; i++) ex.cancel(`m${i}`, "monitor", 300);
    // runs already under way finish; nothing new starts
    while (ex.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    const counts = logs.map((log) => {
      const lines = readFileSync(log, "utf8").trim().split("\n");
      // begin/end strictly alternate: never two runs of one monitor at once
      lines.forEach((l, k) => expect(l).toBe(k % 2 === 0 ? "begin" : "end"));
      return lines.length / 2;
    });
    // at most once per 300 ms plus run time; at least a few each even on a busy machine
    expect(Math.max(...counts)).toBeLessThanOrEqual(14);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 700));
    const after = logs.map((log) => readFileSync(log, "utf8").trim().split("\n").length / 2);
    expect(after).toEqual(counts);
    expect(ex.lastResults().filter((r) => r.intervalMs === 300)).toHaveLength(50);
  });

  it("a daemon killed with SIGKILL in the middle of a start still knows, once restarted, that the resource may run", async () => {
    const stateDir = `${root}/sigkill`;
    const pidfile = `${root}/sigkill.pid`;
    const lrm = new URL("../packages/lrm/src/index.ts", import.meta.url).pathname;
    const common = new URL("../packages/common/src/index.ts", import.meta.url).pathname;
    const script = `${root}/crash.mts`;
    writeFileSync(
      script,
      `import { Executor, resolveAgentPaths } from ${JSON.stringify(lrm)};
import { createSystemTimerHost, systemClock } from ${JSON.stringify(common)};
import { createSilentLogger } from ${JSON.stringify(common.replace(/index\.ts$/, "logger.ts"))};
const ex = new Executor({ nodeName: "node1", stateDir: ${JSON.stringify(stateDir)}, paths: resolveAgentPaths({ env: { HACRM_OCF_PATH: ${JSON.stringify(ocfDir)} } }) },
  { clock: systemClock, timers: createSystemTimerHost(), logger: createSilentLogger() });
void ex.execute({ resource: "web", agent: "ocf:t:slowstart", action: "start", intervalMs: 0, timeoutMs: 60000, params: { pidfile: ${JSON.stringify(pidfile)} } });
setInterval(() => undefined, 1000);
`,
    );
    const loader = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
    const daemon = spawn(process.execPath, ["--import", loader, script], { stdio: "ignore" });
    while (!existsSync(pidfile) || readFileSync(pidfile, "utf8") === "")
      await new Promise((r) => setTimeout(r, 50));
    daemon.kill("SIGKILL");
    await new Promise((r) => daemon.once("exit", r));
    const agentGroup = Number(readFileSync(pidfile, "utf8"));
    try {
      const restarted = executor(stateDir);
      expect(restarted.mayStillBeRunning().map((e) => [e.resource, e.agent, e.params["pidfile"]])).toEqual([
        ["web", "ocf:t:slowstart", pidfile],
      ]);
    } finally {
      process.kill(-agentGroup, "SIGKILL");
    }
  });

  it("remembers started resources across a restart (crash) of the executor", async () => {
    const stateDir = `${root}/journal`;
    const first = executor(stateDir);
    for (const r of ["a", "b", "c"])
      expect((await first.execute(op(r, "ocf:hacrm:Dummy", "start"))).rc).toBe(0);
    expect((await first.execute(op("b", "ocf:hacrm:Dummy", "stop"))).rc).toBe(0);
    // A start that fails may have left something running: it stays in the journal.
    await first.execute(op("d", "ocf:hacrm:Dummy", "start", { fail_start: "1" }));
    // No close(): the process "crashes" here. A new executor on the same state folder:
    const second = executor(stateDir);
    expect(second.mayStillBeRunning().map((e) => [e.resource, e.agent])).toEqual([
      ["a", "ocf:hacrm:Dummy"],
      ["c", "ocf:hacrm:Dummy"],
      ["d", "ocf:hacrm:Dummy"],
    ]);
    expect(second.mayStillBeRunning().find((e) => e.resource === "d")?.params).toEqual({ fail_start: "1" });
    // A probe that finds it stopped clears it.
    expect((await second.execute(op("d", "ocf:hacrm:Dummy", "monitor"))).rc).toBe(7);
    expect(second.journalEntries().map((e) => e.resource)).toEqual(["a", "c"]);
  });
});

/** Run a Debian agent by hand, as an operator would, with the OCF variables set explicitly. */
function byHand(file: string, action: string, env: Record<string, string>): number {
  const r = spawnSync(file, [action], {
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      OCF_ROOT: "/usr/lib/ocf",
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "1",
      OCF_RESKEY_CRM_meta_interval: "0",
      OCF_RESKEY_CRM_meta_timeout: "20000",
      ...env,
    },
    encoding: "utf8",
  });
  return r.status ?? -1;
}

describe("Debian's agents through the executor give the results of running them by hand", () => {
  const cases: { agent: string; file: string; actions: string[] }[] = [
    {
      agent: "ocf:heartbeat:Dummy",
      file: "/usr/lib/ocf/resource.d/heartbeat/Dummy",
      actions: [
        "meta-data",
        "validate-all",
        "monitor",
        "stop",
        "start",
        "monitor",
        "start",
        "reload",
        "migrate_to",
        "monitor",
        "migrate_from",
        "monitor",
        "stop",
        "monitor",
        "stop",
        "usage",
        "bogus",
      ],
    },
    {
      agent: "ocf:pacemaker:Stateful",
      file: "/usr/lib/ocf/resource.d/pacemaker/Stateful",
      actions: [
        "meta-data",
        "validate-all",
        "monitor",
        "start",
        "monitor",
        "promote",
        "monitor",
        "notify",
        "demote",
        "monitor",
        "reload-agent",
        "promote",
        "stop",
        "monitor",
        "demote",
        "bogus",
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.agent}: same exit codes and same state files, action by action`, async () => {
      const type = c.agent.split(":")[2] as string;
      const ex = executor(`${root}/deb-${type}`, { checkParams: true });
      const handDir = `${root}/deb-${type}-hand`;
      mkdirSync(handDir, { recursive: true });
      const exState = `${root}/deb-${type}/rsctmp/${type}-r1.state`;
      const handState = `${handDir}/${type}-r1.state`;
      const viaExecutor: (number | boolean)[][] = [];
      const manual: (number | boolean)[][] = [];
      for (const action of c.actions) {
        const r: OpResult = await ex.execute(op("r1", c.agent, action, { state: exState }));
        viaExecutor.push([r.exitCode ?? -1, existsSync(exState)]);
        const rc = byHand(c.file, action, {
          HA_RSCTMP: handDir,
          OCF_RESOURCE_INSTANCE: "r1",
          OCF_RESOURCE_TYPE: type,
          OCF_RESKEY_state: handState,
        });
        manual.push([rc, existsSync(handState)]);
      }
      expect(viaExecutor).toEqual(manual);
      // and the sequence is the interesting one, not all zeros
      expect(new Set(manual.map((m) => m[0])).size).toBeGreaterThanOrEqual(3);
    });
  }
});
