/**
 * Three real hacrmd on 127.0.0.1-3 keeping services running (issue 12's
 * first slice, stonith-enabled=false): Debian's ocf:heartbeat:Dummy and the
 * project's lsb:hacrm-sleeper (a real daemon process), configured through
 * `hacrm cib replace`, start; kill -9 of the sleeper's process, and deleting
 * Dummy's state file (what its monitor checks), are seen by the recurring
 * monitors and the services restart in place, with the fail counts in
 * `hacrm status`; `hacrm resource cleanup` clears them; migration-threshold=1
 * moves Dummy on its first failure; kill -9 of the hacrmd running it moves it
 * to a survivor, and when that node comes back (Dummy still "running" there:
 * no fencing) the cluster stops the extra copy. The times are printed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command as cibCommand } from "../packages/shell/src/commands/cib.js";
import { command as nodeCommand } from "../packages/shell/src/commands/node.js";
import { command as resourceCommand } from "../packages/shell/src/commands/resource.js";
import { command as statusCommand } from "../packages/shell/src/commands/status.js";
import { Harness, buildOnce, request, waitFor, writeConfig } from "./membership-e2e-lib.js";

const port = 37000 + (process.pid % 4000) * 2;
const names = ["t1", "t2", "t3"];
const h = new Harness();

interface StatusJson {
  cluster: { dc: string | null; quorate: boolean };
  resources: { id: string; agent: string; role: string; node: string | null; failed: boolean }[];
  failures: { resource: string; node: string; operation: string; failCount: number }[];
}

async function run(cmd: typeof cibCommand, args: string[], node: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const io = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: { HACRM_SOCKET: h.daemons.get(node)?.socket ?? "" },
    cwd: h.dir,
  };
  const code = await cmd.run(args, io);
  return { code, out, err };
}

async function clusterStatus(node: string): Promise<StatusJson> {
  const r = await run(statusCommand, ["--json"], node);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out) as StatusJson;
}

/**
 * Where `rsc` runs, when every named node agrees it runs on exactly one node
 * and is not failed, and the agent's own evidence is there (its state file or
 * pid file: the status already says Started while the start is pending).
 */
async function runningOn(nodes: string[], rsc = "svc"): Promise<string | undefined> {
  const all = await Promise.all(nodes.map(clusterStatus));
  const where = new Set<string>();
  for (const s of all) {
    const entries = s.resources.filter((r) => r.id === rsc);
    if (entries.length !== 1 || entries[0]?.role !== "Started" || !entries[0].node) return undefined;
    where.add(entries[0].node);
  }
  const at = where.size === 1 ? [...where][0] : undefined;
  if (at === undefined) return undefined;
  const real = rsc === "sleeper" ? sleeperPid(at) !== undefined : existsSync(dummyState(at, rsc));
  return real ? at : undefined;
}

async function queryXml(node: string): Promise<string> {
  const r = await request(h.daemons.get(node)?.socket ?? "", { cmd: "cib-query" });
  return (r as unknown as { xml: string }).xml;
}

function config(meta: string): string {
  return (
    `<crm_config><cluster_property_set id="cib-bootstrap-options">` +
    `<nvpair id="opt-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
    `</NODES><resources><primitive id="svc" class="ocf" provider="heartbeat" type="Dummy">${meta}` +
    `<operations><op id="svc-monitor-1s" name="monitor" interval="1s" timeout="10s"/></operations>` +
    `</primitive><group id="grp">${["g1", "g2"].map((g) => `<primitive id="${g}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${g}-monitor-1s" name="monitor" interval="1s" timeout="10s"/></operations></primitive>`).join("")}</group>` +
    `<primitive id="sleeper" class="lsb" type="hacrm-sleeper">` +
    `<operations><op id="sleeper-monitor-1s" name="monitor" interval="1s" timeout="10s"/></operations>` +
    `</primitive></resources>`
  );
}

/** Replace the configuration (nodes kept) through a live node. */
async function configure(node: string, meta = ""): Promise<void> {
  const xml = await queryXml(node);
  const nodes = xml.slice(xml.indexOf("<nodes"), xml.indexOf("</nodes>") + "</nodes>".length);
  const edited = xml.replace(
    /<crm_config[\s\S]*?<\/resources>|<crm_config[\s\S]*?<resources\/>/,
    config(meta).replace("</NODES>", nodes),
  );
  const file = join(h.dir, "config.xml");
  writeFileSync(file, edited);
  const r = await run(cibCommand, ["replace", file], node);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
}

const dummyState = (node: string, rsc: string) =>
  join(h.dir, `state-${node}`, "executor", "rsctmp", `Dummy-${rsc}.state`);
const stateFile = (node: string) => dummyState(node, "svc");
const pidFile = (node: string) =>
  join(h.dir, `state-${node}`, "executor", "rsctmp", "hacrm-sleeper", "hacrm-sleeper.pid");
const sleeperPid = (node: string): number | undefined => {
  try {
    const pid = Number(readFileSync(pidFile(node), "utf8").trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};

describe("hacrmd: the cluster keeps a service running", () => {
  beforeAll(() => {
    buildOnce();
    h.makeKey();
    writeConfig(h.config, {
      nodes: names.map((n, i) => ({ name: n, nodeid: i + 1, addrs: [`127.0.0.${i + 1}`] })),
      port,
      tokenMs: 1000,
      keyFile: h.keyFile,
      cipher: "none",
    });
    for (const n of names) h.start(n);
  });
  afterAll(async () => {
    await h.stopAll();
    // The sleeper daemons left their process group and outlive hacrmd (no fencing, no shutdown yet): end them.
    for (const n of names) {
      const pid = sleeperPid(n);
      if (pid !== undefined) process.kill(pid, "SIGKILL");
    }
    await h.cleanup(process.env["KEEP"] === "1");
  });

  let home = "";

  it("a configured resource starts on one node; status and crm_simulate agree", async () => {
    await waitFor("one DC", 30_000, async () => {
      const all = await Promise.all(names.map(clusterStatus));
      const dcs = new Set(all.map((s) => s.cluster.dc));
      return dcs.size === 1 && all[0]?.cluster.dc && all.every((s) => s.cluster.quorate) ? true : undefined;
    });
    const t = Date.now();
    await configure("t2");
    home = await waitFor("svc started", 20_000, () => runningOn(names));
    console.log(`configuration committed -> svc started on ${home}: ${Date.now() - t} ms`);
    const sleeperHome = await waitFor("sleeper started", 20_000, () => runningOn(names, "sleeper"));
    // A group: both members on one node.
    const g1 = await waitFor("g1 started", 20_000, () => runningOn(names, "g1"));
    expect(await waitFor("g2 started", 20_000, () => runningOn(names, "g2"))).toBe(g1);
    expect(existsSync(dummyState(g1, "g1")) && existsSync(dummyState(g1, "g2"))).toBe(true);
    expect(sleeperPid(sleeperHome)).toBeDefined();
    const human = await run(statusCommand, [], "t3");
    expect(human.out).toMatch(new RegExp(`\\* svc\\t\\(ocf:heartbeat:Dummy\\):\\t Started ${home}`));
    expect(existsSync(stateFile(home))).toBe(true);
    for (const n of names.filter((x) => x !== home)) expect(existsSync(stateFile(n))).toBe(false);
    // The CIB the cluster wrote is Pacemaker's: crm_simulate sees the same placement, nothing to do.
    const cibFile = join(h.dir, "live.xml");
    writeFileSync(cibFile, await queryXml(home));
    execFileSync("crm_verify", ["-x", cibFile], { stdio: "pipe" });
    const sim = execFileSync("crm_simulate", ["-x", cibFile, "-S"], { encoding: "utf8", stdio: "pipe" });
    expect(sim).toMatch(new RegExp(`svc\\s+\\(ocf:heartbeat:Dummy\\):\\s+Started ${home}`));
    expect(sim).not.toMatch(/\* (Start|Stop|Move|Recover|Restart)\s/);
  });

  it("kill -9 of the service's process: its monitor sees it and it runs again in place", async () => {
    const where = (await runningOn(names, "sleeper")) as string;
    const pid = sleeperPid(where) as number;
    const t = Date.now();
    process.kill(pid, "SIGKILL");
    const again = await waitFor("sleeper restarted", 20_000, async () => {
      const p = sleeperPid(where);
      return p !== undefined && p !== pid ? runningOn(names, "sleeper") : undefined;
    });
    console.log(`kill -9 of the sleeper's process -> running again on ${again}: ${Date.now() - t} ms`);
    expect(again).toBe(where);
    const s = await clusterStatus("t2");
    expect(s.failures).toEqual([
      expect.objectContaining({ resource: "sleeper", node: where, operation: "monitor_1000", failCount: 1 }),
    ]);
    const human = await run(statusCommand, [], "t1");
    expect(human.out).toContain(`* Node ${where}: sleeper: fail-count=1 (monitor_1000)`);
    const r = await run(resourceCommand, ["cleanup", "sleeper"], "t3");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    await waitFor("no failures", 10_000, async () => {
      const all = await Promise.all(names.map(clusterStatus));
      return all.every((x) => x.failures.length === 0) ? true : undefined;
    });
  });

  it("the monitor sees the service gone and restarts it in place; the fail count shows; cleanup clears it", async () => {
    const t = Date.now();
    rmSync(stateFile(home));
    await waitFor("the failure seen", 10_000, async () => {
      const s = await clusterStatus(home);
      return s.failures.some((f) => f.resource === "svc" && f.node === home && f.failCount === 1)
        ? true
        : undefined;
    });
    const seen = Date.now() - t;
    const again = await waitFor("svc restarted", 20_000, async () =>
      existsSync(stateFile(home)) ? runningOn(names) : undefined,
    );
    console.log(
      `state file deleted -> failure recorded ${seen} ms -> svc running again on ${again}: ${Date.now() - t} ms`,
    );
    expect(again).toBe(home);
    const s = await clusterStatus("t1");
    expect(s.failures).toEqual([
      expect.objectContaining({ resource: "svc", node: home, operation: "monitor_1000", failCount: 1 }),
    ]);
    const r = await run(resourceCommand, ["cleanup", "svc", home], "t3");
    expect(r.out).toContain(`Cleaned up svc on ${home}`);
    expect(r.code).toBe(0);
    await waitFor("no failures", 10_000, async () => {
      const all = await Promise.all(names.map(clusterStatus));
      return all.every((x) => x.failures.length === 0) ? true : undefined;
    });
    // The history went with it: the cluster probes again and finds the service where it runs.
    expect(await waitFor("svc still there", 10_000, () => runningOn(names))).toBe(home);
  });

  it("migration-threshold=1 moves it away on its first failure", async () => {
    await configure(
      "t1",
      '<meta_attributes id="svc-meta"><nvpair id="svc-mt" name="migration-threshold" value="1"/></meta_attributes>',
    );
    await waitFor("configured everywhere", 10_000, async () =>
      (await Promise.all(names.map(queryXml))).every((x) => x.includes("migration-threshold"))
        ? true
        : undefined,
    );
    expect(await waitFor("svc settled", 10_000, () => runningOn(names))).toBe(home);
    const from = home;
    const t = Date.now();
    rmSync(stateFile(from));
    home = await waitFor("svc moved", 20_000, async () => {
      const at = await runningOn(names);
      return at && at !== from ? at : undefined;
    });
    console.log(
      `migration-threshold=1: state file deleted on ${from} -> running on ${home}: ${Date.now() - t} ms`,
    );
    expect(existsSync(stateFile(home))).toBe(true);
    expect(existsSync(stateFile(from))).toBe(false);
  });

  it("kill -9 of the hacrmd running it: a survivor runs it", async () => {
    const victim = home;
    const rest = names.filter((n) => n !== victim);
    const t = h.kill9(victim);
    home = await waitFor("svc on a survivor", 30_000, async () => {
      const at = await runningOn(rest);
      return at && at !== victim ? at : undefined;
    });
    console.log(`kill -9 of ${victim}'s hacrmd -> svc running on ${home}: ${Date.now() - t} ms`);
    expect(rest).toContain(home);
    expect(existsSync(stateFile(home))).toBe(true);
  });

  it("the killed node comes back with the service still there: one copy is left, nothing more to do", async () => {
    const victim = names.find((n) => h.daemons.get(n)?.proc === null) as string;
    expect(existsSync(stateFile(victim))).toBe(true);
    const t = Date.now();
    h.start(victim);
    const cibFile = join(h.dir, "live-2.xml");
    const at = await waitFor("one copy of each, nothing left to do", 30_000, async () => {
      const where = names.filter((n) => existsSync(stateFile(n)));
      const sleepers = names.filter((n) => sleeperPid(n) !== undefined);
      if (where.length !== 1 || sleepers.length !== 1) return undefined;
      const on = await runningOn(names);
      if (!on || !(await runningOn(names, "sleeper"))) return undefined;
      writeFileSync(cibFile, await queryXml(victim));
      const sim = execFileSync("crm_simulate", ["-x", cibFile, "-S"], { encoding: "utf8", stdio: "pipe" });
      return /\* (Start|Stop|Move|Recover|Restart)\s/.test(sim) ? undefined : on;
    });
    console.log(
      `node ${victim} back with svc still active there -> one copy, on ${at}: ${Date.now() - t} ms`,
    );
  });

  it("node standby moves every resource off the node; online makes it eligible again", async () => {
    const node = (await waitFor("svc settled", 10_000, () => runningOn(names))) as string;
    const t = Date.now();
    const r = await run(nodeCommand, ["standby", node], node === "t1" ? "t2" : "t1");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    await waitFor("nothing on the standby node", 20_000, async () => {
      const all = await Promise.all(names.map(clusterStatus));
      if (!all.every((x) => x.nodes.some((n) => n.name === node && n.state === "standby"))) return undefined;
      const here = all[0]?.resources.filter((x) => x.node === node) ?? [];
      const elsewhere = await Promise.all(["svc", "g1", "g2", "sleeper"].map((x) => runningOn(names, x)));
      return here.length === 0 && elsewhere.every((w) => w && w !== node) ? true : undefined;
    });
    console.log(`node standby ${node} -> every resource elsewhere: ${Date.now() - t} ms`);
    for (const x of ["svc", "g1", "g2"]) expect(existsSync(dummyState(node, x))).toBe(false);
    expect(sleeperPid(node)).toBeUndefined();
    expect((await run(nodeCommand, ["online", node], node)).code).toBe(0);
    const cibFile = join(h.dir, "live-3.xml");
    await waitFor("online and settled", 20_000, async () => {
      const s = await clusterStatus(node);
      if (!s.nodes.some((n) => n.name === node && n.state === "online")) return undefined;
      writeFileSync(cibFile, await queryXml(node));
      const sim = execFileSync("crm_simulate", ["-x", cibFile, "-S"], { encoding: "utf8", stdio: "pipe" });
      return /\* (Start|Stop|Move|Recover|Restart)\s/.test(sim) ? undefined : true;
    });
  });

  it("SIGTERM of the node running it: the service moves first, nothing is left running there, then hacrmd exits", async () => {
    const node = (await waitFor("svc settled", 10_000, () => runningOn(names))) as string;
    const rest = names.filter((n) => n !== node);
    const proc = h.daemons.get(node)?.proc;
    if (!proc) throw new Error(`${node} is not running`);
    const exited = new Promise<number>((resolve) => proc.once("exit", () => resolve(Date.now())));
    const t = Date.now();
    proc.kill("SIGTERM");
    const at = await exited;
    console.log(`SIGTERM of ${node} -> hacrmd exited after its resources left: ${at - t} ms`);
    const h2 = h.daemons.get(node);
    if (h2) h2.proc = null;
    expect(existsSync(stateFile(node))).toBe(false);
    expect(sleeperPid(node)).toBeUndefined();
    const now = await waitFor("svc on another node", 10_000, () => runningOn(rest));
    expect(rest).toContain(now);
    expect(h.logText(node)).toMatch(/"event":"left_cluster"[^\n]*"how":"clean"/);
  });
});
