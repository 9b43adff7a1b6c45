import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { createSilentLogger } from "@hacrm/common/logger";
import { createSystemTimerHost, systemClock } from "@hacrm/common";
import { Executor, groupMembers, loadAgentMetadata, type OperationRequest } from "@hacrm/lrm";

/**
 * The agents in agents/: Debian's ocf-tester on every OCF agent, and each
 * agent run through the executor. Everything happens in a temporary state
 * folder, a network namespace this test creates, or process groups it owns.
 */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ocf = `${repo}/agents/ocf/resource.d/hacrm`;
const root = mkdtempSync(`${tmpdir()}/hacrm-agents-`);
const netns = `hacrm-agents-${process.pid}`;
const executors: Executor[] = [];
/** Process groups this test started as fence targets, ended in afterAll whatever happens. */
const hostGroups: number[] = [];

function executor(name: string, extraEnv: Record<string, string> = {}): Executor {
  const e = new Executor(
    { nodeName: "node1", stateDir: `${root}/${name}`, killGraceMs: 1000, extraEnv },
    { clock: systemClock, timers: createSystemTimerHost(), logger: createSilentLogger() },
  );
  executors.push(e);
  return e;
}

function op(
  resource: string,
  agent: string,
  action: string,
  params: Record<string, string> = {},
): OperationRequest {
  return { resource, agent, action, intervalMs: 0, timeoutMs: 30_000, params };
}

function ocfTester(
  agent: string,
  args: string[],
  env: Record<string, string> = {},
  prefix: string[] = [],
): { status: number; out: string } {
  const cmd = [
    ...prefix,
    "/usr/sbin/ocf-tester",
    "-n",
    `t-${agent}`,
    ...args.flatMap((a) => ["-o", a]),
    `${ocf}/${agent}`,
  ];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), {
    env: { ...process.env, HA_RSCTMP: `${root}/tester`, ...env },
    encoding: "utf8",
  });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  mkdirSync(`${root}/tester`, { recursive: true });
  // The attribute tool agents call runs `hacrm attribute`; it needs the built packages it imports
  // (`make test` has built them; this refreshes them when run alone). A failing build of a package
  // someone is editing leaves the last dist in place, which is what the tool then uses.
  spawnSync("npx", ["tsc", "-b", "packages/lrm", "packages/cib"], { cwd: repo, stdio: "ignore" });
  execFileSync("ip", ["netns", "add", netns]);
  execFileSync("ip", ["-n", netns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
}, 120_000);

afterAll(async () => {
  for (const e of executors) await e.close().catch(() => undefined);
  for (const g of hostGroups) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      // already ended by the fence agent
    }
  }
  spawnSync("ip", ["netns", "del", netns]);
  rmSync(root, { recursive: true, force: true });
});

describe("ocf-tester passes for every OCF agent in agents/", () => {
  it("covers every agent the folder holds", () => {
    expect(readdirSync(ocf).sort()).toEqual(["Dummy", "IPaddr", "Stateful", "ping"]);
  });
  it("ocf:hacrm:Dummy", () => {
    const r = ocfTester("Dummy", []);
    expect(r.out).toMatch(/passed all tests/);
    expect(r.status).toBe(0);
  });
  it("ocf:hacrm:Stateful (promotable)", () => {
    const r = ocfTester("Stateful", [], { HACRM_ATTR_DIR: `${root}/tester-attrs` });
    expect(r.out).toMatch(/passed all tests/);
    expect(r.out).not.toMatch(/does not support promotable clones/);
    expect(r.status).toBe(0);
  });
  it("ocf:hacrm:ping", () => {
    const r = ocfTester("ping", ["host_list=127.0.0.1", "attempts=1", "timeout=1"]);
    expect(r.out).toMatch(/passed all tests/);
    expect(r.status).toBe(0);
  });
  it("ocf:hacrm:IPaddr, inside a network namespace", () => {
    const r = ocfTester("IPaddr", ["ip=10.77.1.1", "nic=v0", "cidr_netmask=24"], {}, [
      "ip",
      "netns",
      "exec",
      netns,
    ]);
    expect(r.out).toMatch(/passed all tests/);
    expect(r.status).toBe(0);
  });
});

describe("agents through the executor", () => {
  it("Stateful publishes its promotion score with the attribute tool", async () => {
    const ex = executor("stateful");
    const attr = `${root}/stateful/attributes/reboot/node1/master-db`;
    const score = (): string | undefined => (existsSync(attr) ? readFileSync(attr, "utf8") : undefined);
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "start"))).rc).toBe(0);
    expect(score()).toBe("5");
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "promote"))).rc).toBe(0);
    expect(score()).toBe("10");
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "monitor"))).rc).toBe(8);
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "demote"))).rc).toBe(0);
    expect(score()).toBe("5");
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "monitor"))).rc).toBe(0);
    expect((await ex.execute(op("db:0", "ocf:hacrm:Stateful", "stop"))).rc).toBe(0);
    expect(score()).toBeUndefined();
  });

  it("Stateful writes its score into the CIB's status section when CIB_file is set", async () => {
    const cibFile = `${root}/cib.xml`;
    writeFileSync(
      cibFile,
      `<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes><node id="1" uname="node1"/></nodes><resources/><constraints/></configuration><status/></cib>`,
    );
    const ex = executor("stateful-cib", { CIB_file: cibFile });
    expect((await ex.execute(op("web", "ocf:hacrm:Stateful", "start", { score_unpromoted: "7" }))).rc).toBe(
      0,
    );
    expect(readFileSync(cibFile, "utf8")).toMatch(
      /<transient_attributes id="1">\s*<instance_attributes id="status-1">\s*<nvpair id="status-1-master-web" name="master-web" value="7"\/>/,
    );
  });

  it("ping sets the node attribute from the hosts that answer", async () => {
    const ex = executor("ping");
    const params = {
      host_list: "127.0.0.1 127.0.0.2",
      multiplier: "100",
      attempts: "1",
      timeout: "1",
      name: "reach",
    };
    expect((await ex.execute(op("p", "ocf:hacrm:ping", "start", params))).rc).toBe(0);
    expect(readFileSync(`${root}/ping/attributes/reboot/node1/reach`, "utf8")).toBe("200");
    expect((await ex.execute({ ...op("p", "ocf:hacrm:ping", "monitor", params), intervalMs: 0 })).rc).toBe(0);
    expect((await ex.execute(op("p", "ocf:hacrm:ping", "stop", params))).rc).toBe(0);
    expect(existsSync(`${root}/ping/attributes/reboot/node1/reach`)).toBe(false);
  });

  it("the LSB init script starts a daemon outside the executor's process group; status codes map to OCF", async () => {
    const ex = executor("lsb");
    expect((await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "monitor"))).rc).toBe(7);
    const started = await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "start"));
    expect(started).toMatchObject({ status: "done", rc: 0 });
    const pid = Number(readFileSync(`${root}/lsb/rsctmp/hacrm-sleeper/hacrm-sleeper.pid`, "utf8"));
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect((await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "monitor"))).rc).toBe(0);
    expect((await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "stop"))).rc).toBe(0);
    const status = await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "monitor"));
    expect(status).toMatchObject({ exitCode: 3, rc: 7 });
    expect((await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "stop"))).rc).toBe(0);
    const md = await ex.execute(op("sleeper", "lsb:hacrm-sleeper", "meta-data"));
    expect(md.stdout).toMatch(/<shortdesc lang="en">hacrm test service \(a sleeping daemon\)<\/shortdesc>/);
  });

  it("fence_hacrm powers off a test host by ending its process group, and reports status", async () => {
    const hosts = `${root}/hosts`;
    mkdirSync(hosts, { recursive: true });
    const host = spawn("sh", ["-c", "sleep 1000 & sleep 1000"], { detached: true, stdio: "ignore" });
    const pgid = host.pid as number;
    hostGroups.push(pgid);
    writeFileSync(`${hosts}/h1.pid`, String(pgid));
    while (groupMembers(pgid, false).length < 2) await new Promise((r) => setTimeout(r, 20));
    const md = await loadAgentMetadata("stonith:fence_hacrm");
    expect(md.parameters.find((p) => p.name === "hosts_dir")).toMatchObject({ required: true });
    expect(md.actions.map((a) => a.name)).toEqual(
      expect.arrayContaining(["off", "on", "reboot", "status", "list", "monitor", "metadata"]),
    );

    const ex = executor("fence");
    const params = { hosts_dir: hosts, plug: "h1", pcmk_host_list: "h1" };
    expect((await ex.execute(op("fencer", "stonith:fence_hacrm", "start", params))).rc).toBe(0);
    expect((await ex.execute(op("fencer", "stonith:fence_hacrm", "list", params))).stdout).toBe("h1,h1\n");
    expect((await ex.execute(op("fencer", "stonith:fence_hacrm", "status", params))).exitCode).toBe(0);
    expect(groupMembers(pgid, false).length).toBeGreaterThanOrEqual(2);
    const off = await ex.execute(op("fencer", "stonith:fence_hacrm", "off", params));
    expect(off).toMatchObject({ status: "done", rc: 0 });
    expect(groupMembers(pgid, false)).toEqual([]);
    const status = await ex.execute(op("fencer", "stonith:fence_hacrm", "status", params));
    expect(status).toMatchObject({ exitCode: 2, rc: 7 });
    const noHost = await ex.execute(
      op("fencer", "stonith:fence_hacrm", "off", { hosts_dir: `${root}/nowhere`, plug: "h1" }),
    );
    expect(noHost.rc).toBe(1);
    expect((await ex.execute(op("fencer", "stonith:fence_hacrm", "stop", params))).rc).toBe(0);
  });

  it("Debian's fence_dummy through the executor gives the exit codes it gives by hand", async () => {
    const ex = executor("fence-dummy");
    const viaExecutor: number[] = [];
    const manual: number[] = [];
    for (const action of ["monitor", "status", "on", "status", "off", "status", "list"]) {
      const params = { type: "file", status_file: `${root}/fd-executor.status` };
      viaExecutor.push((await ex.execute(op("fd", "stonith:fence_dummy", action, params))).exitCode ?? -1);
      const stdin = `action=${action}\ntype=file\nstatus_file=${root}/fd-hand.status\n`;
      manual.push(spawnSync("/usr/sbin/fence_dummy", [], { input: stdin, encoding: "utf8" }).status ?? -1);
    }
    expect(viaExecutor).toEqual(manual);
    expect(manual.slice(1, 6)).toEqual([2, 0, 0, 0, 2]);
    expect(readFileSync(`${root}/fd-executor.status`, "utf8").trim()).toBe("off");
  });

  it("IPaddr adds and removes the address inside the namespace only, run by `hacrm ra exec` there", () => {
    // the built hacrm when there is one (`make test` builds), else the sources through tsx
    const hacrm = existsSync(`${repo}/packages/shell/dist/commands/ra.js`)
      ? [`${repo}/bin/hacrm`]
      : ["--import", `file://${repo}/node_modules/tsx/dist/loader.mjs`, `${repo}/packages/shell/src/cli.ts`];
    const ra = (...args: string[]): number =>
      spawnSync(
        "ip",
        ["netns", "exec", netns, process.execPath, ...hacrm, "ra", "exec", "ocf:hacrm:IPaddr", ...args],
        {
          env: { ...process.env, HACRM_STATE_DIR: `${root}/ipaddr` },
          encoding: "utf8",
        },
      ).status ?? -1;
    const params = ["ip=10.77.2.5", "nic=v0", "cidr_netmask=24"];
    const inNs = (): string =>
      execFileSync("ip", ["-n", netns, "-o", "addr", "show", "dev", "v0"], { encoding: "utf8" });
    expect(ra("monitor", ...params)).toBe(7);
    expect(ra("start", ...params)).toBe(0);
    expect(inNs()).toContain("inet 10.77.2.5/24");
    expect(execFileSync("ip", ["-o", "addr"], { encoding: "utf8" })).not.toContain("10.77.2.5");
    expect(ra("monitor", ...params)).toBe(0);
    expect(ra("stop", ...params)).toBe(0);
    expect(inNs()).not.toContain("10.77.2.5");
    expect(ra("monitor", ...params)).toBe(7);
    expect(ra("start", "ip=10.77.2.5", "nic=nosuch0")).toBe(6);
  });
});
