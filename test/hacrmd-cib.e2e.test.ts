/**
 * Three real hacrmd on 127.0.0.1-3 running the controller core: a DC right
 * after start, a write through a non-DC node in every member's copy,
 * `hacrm status --json`, kill -9 of the DC with writes resuming under the new
 * one, and a restart of every node from its state directory with the same CIB.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HacrmError } from "@hacrm/common";
import { command as cibCommand } from "../packages/shell/src/commands/cib.js";
import { command as statusCommand } from "../packages/shell/src/commands/status.js";
import { createAgentCatalog } from "../packages/shell/src/crm/session/installed-agents.js";
import { liveCibStore, submitWrite, type LiveWrite } from "../packages/shell/src/crm/session/live-store.js";
import { Session } from "../packages/shell/src/crm/session/session.js";
import { Harness, buildOnce, hacrmLive, request, sleep, waitFor, writeConfig } from "./membership-e2e-lib.js";

const port = 33000 + (process.pid % 4000) * 2;
const names = ["c1", "c2", "c3"];
const h = new Harness();

interface StatusJson {
  cluster: { name: string; dc: string | null; quorate: boolean; cib: { epoch: number } };
  nodes: { name: string; id: number; state: string; dc: boolean }[];
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

/** Every named node follows one DC, in a quorate partition. */
async function oneDc(nodes: string[]): Promise<string | undefined> {
  const all = await Promise.all(nodes.map(clusterStatus));
  const dcs = new Set(all.map((s) => s.cluster.dc));
  const dc = all[0]?.cluster.dc;
  return dcs.size === 1 && dc && all.every((s) => s.cluster.quorate) ? dc : undefined;
}

const sock = (n: string) => h.daemons.get(n)?.socket ?? "";

/** A configure session on the live CIB through node `n`, as `hacrm configure` opens one. */
function session(n: string): Session {
  const env = { OCF_ROOT: "/usr/lib/ocf", PATH: process.env["PATH"] ?? "" };
  const s = new Session({
    store: liveCibStore(sock(n)),
    agents: createAgentCatalog({ env }),
    out: () => undefined,
    info: () => undefined,
    now: () => new Date(),
    env,
  });
  s.level = "configure";
  return s;
}

/**
 * A forced patch adding one attribute set to node c1 (it applies on whatever the
 * configuration is, and gives the transition engine nothing to start).
 */
function insertAttributes(id: string): LiveWrite {
  const v = { admin_epoch: 0, epoch: 0, num_updates: 0 };
  const nvpair = { name: "nvpair", attrs: { id: `${id}-n`, name: id, value: "1" }, children: [] };
  return {
    op: "patch",
    force: true,
    patch: {
      from: { version: v, digest: "" },
      to: { version: v, digest: "" },
      ops: [
        {
          op: "insert",
          parent: "/cib/configuration/nodes/node[@id='1']",
          position: 0,
          element: { name: "instance_attributes", attrs: { id }, children: [nvpair] },
        },
      ],
    },
  };
}

/** The configuration section (the status records what the executor ran, by resource id). */
const configuration = (xml: string) =>
  xml.slice(xml.indexOf("<configuration"), xml.indexOf("</configuration>"));

async function queryXml(node: string): Promise<string> {
  const r = await request(h.daemons.get(node)?.socket ?? "", { cmd: "cib-query" });
  return (r as unknown as { xml: string }).xml;
}

/** crm_verify refuses a CIB that enables fencing without a fencing device. */
const stonithOff =
  '<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="opt-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>';

async function addPrimitive(node: string, id: string): Promise<{ code: number; out: string; err: string }> {
  const xml = (await queryXml(node))
    .replace(/<crm_config\/>/, stonithOff)
    .replace(
      /<resources\/>|<resources>/,
      (m) =>
        `<resources>\n<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>${m === "<resources/>" ? "</resources>" : ""}`,
    );
  const file = join(h.dir, `${id}.xml`);
  execFileSync("sh", ["-c", `cat > ${file}`], { input: xml });
  return run(cibCommand, ["replace", file], node);
}

describe("hacrmd: DC election and the replicated CIB", () => {
  let started = 0;
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
    started = Date.now();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it("has one DC soon after the last daemon starts, and hacrm status --json says so", async () => {
    const dc = await waitFor("one DC", 20_000, () => oneDc(names));
    console.log(`DC ${dc} ${Date.now() - started} ms after the last start`);
    const s = await clusterStatus("c2");
    expect(s.cluster.name).toBe("e2e");
    expect(s.nodes.map((n) => [n.name, n.state])).toEqual(names.map((n) => [n, "online"]));
    expect(s.nodes.filter((n) => n.dc).map((n) => n.name)).toEqual([dc]);
  });

  it("a write through a non-DC node is in every member's CIB once acknowledged", async () => {
    const dc = (await oneDc(names)) as string;
    const other = names.find((n) => n !== dc) as string;
    const r = await addPrimitive(other, "web");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    for (const n of names) expect(await queryXml(n)).toContain('id="web"');
    const q = await run(cibCommand, ["query", "--section", "resources"], names[2] as string);
    expect(q.out).toContain("web");
    const show = await run(cibCommand, ["show", "--section", "resources"], names[1] as string);
    expect(show.out).toContain("web"); // no CIB_file: the live CIB
    // The copy on disk is Pacemaker's: crm_verify reads it.
    execFileSync("crm_verify", ["-x", join(h.dir, `state-${other}`, "cib.xml")], { stdio: "pipe" });
  });

  it("refuses an invalid CIB with verify's lines and changes nothing", async () => {
    const before = await queryXml("c1");
    const file = join(h.dir, "bad.xml");
    execFileSync("sh", ["-c", `cat > ${file}`], {
      input: before.replace("<resources>", '<resources><primitive id="bad" class="ocf" type="Dummy"/>'),
    });
    const r = await run(cibCommand, ["replace", file], "c3");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CIB_INVALID/);
    expect(configuration(await queryXml("c1"))).toBe(configuration(before));
  });

  it("live hacrm configure through a non-DC node is in every member's hacrm cib show", async () => {
    const dc = (await oneDc(names)) as string;
    const other = names.find((n) => n !== dc) as string;
    const prop = await hacrmLive(sock(other), ["property", "stonith-enabled=false"]);
    expect(prop.err).toBe("");
    const script = "primitive vip Dummy op monitor interval=10s\nprimitive app Dummy\ngroup g_web vip app\n";
    const r = await hacrmLive(sock(other), ["configure"], script);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const n of names) {
      const show = await run(cibCommand, ["show", "--section", "resources"], n);
      expect(show.out).toMatch(/<group id="g_web">\s*<primitive id="vip"/);
    }
    const shown = await hacrmLive(sock(dc), ["configure", "show", "g_web"]);
    expect(shown.out).toBe("group g_web vip app\n");
    // The copy the cluster wrote is Pacemaker's: crm_verify reads it.
    execFileSync("crm_verify", ["-x", join(h.dir, `state-${dc}`, "cib.xml")], { stdio: "pipe" });
  });

  it("two operators at once: the later commit is refused saying what changed, unless forced", async () => {
    const a = session("c2");
    const b = session("c3");
    await a.cib();
    await b.cib();
    await a.runScript("primitive a1 Dummy", "operator-a");
    const refused = await b.runScript("primitive b1 Dummy", "operator-b").then(
      () => undefined,
      (e: unknown) => e as HacrmError,
    );
    expect(refused?.code).toBe("CONFIG_CHANGED");
    console.log(`the refusal: ${refused?.toLine()}`);
    expect(refused?.toLine()).toMatch(
      /the configuration changed since version \d+\.\d+\.\d+ \(now [\d.]+\): .*\/cib\/configuration\/resources\/primitive\[@id='a1'\].*'commit force'/,
    );
    expect(configuration(await queryXml("c1"))).not.toContain('id="b1"');
    await b.commit("operator-b", true);
    const after = configuration(await queryXml("c1"));
    expect(after).toContain('id="b1"');
    expect(after).not.toContain('id="a1"'); // forced: b's configuration replaced a's
  });

  it("node, resource, property, attribute, verify and simulate work on the live CIB", async () => {
    const standby = await hacrmLive(sock("c2"), ["node", "standby"]);
    expect(standby.status, standby.err).toBe(0);
    const nodes = JSON.parse((await hacrmLive(sock("c1"), ["node", "list", "--json"])).out) as {
      nodes: { uname: string; standby: string }[];
    };
    expect(nodes.nodes.filter((n) => n.standby === "on").map((n) => n.uname)).toEqual(["c2"]);
    expect((await clusterStatus("c3")).nodes.find((n) => n.name === "c2")?.state).toBe("standby");
    expect((await hacrmLive(sock("c2"), ["node", "online"])).status).toBe(0);
    expect((await hacrmLive(sock("c3"), ["resource", "stop", "b1"])).status).toBe(0);
    expect(await queryXml("c1")).toMatch(
      /b1-meta_attributes-target-role" name="target-role" value="Stopped"/,
    );
    const props = JSON.parse((await hacrmLive(sock("c1"), ["property", "--json"])).out) as {
      sets: { properties: Record<string, string> }[];
    };
    expect(props.sets[0]?.properties["stonith-enabled"]).toBe("false");
    expect((await hacrmLive(sock("c1"), ["attribute", "-n", "site", "-v", "east"])).status).toBe(0);
    const site = await hacrmLive(sock("c3"), ["attribute", "-N", "c1", "-n", "site", "-G", "-q"]);
    expect(site.out).toBe("east\n");
    const verify = await hacrmLive(sock("c2"), ["verify"]);
    expect(verify.out).toMatch(/^live: OK \(version \d+\.\d+\.\d+, 3 resources, 0 constraints/);
    const sim = await hacrmLive(sock("c2"), ["simulate"]);
    expect(sim.status, sim.err).toBe(0);
    expect(sim.out).toMatch(/b1\s+\(ocf:heartbeat:Dummy\):\s+Stopped \(disabled\)|b1.*Stopped/);
  });

  it("refuses an agent that is not installed, and nothing changes", async () => {
    const before = await queryXml("c1");
    const r = await hacrmLive(sock("c2"), ["configure", "primitive", "x", "ocf:acme:NotHere"]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/ocf:acme:NotHere: no such resource agent is installed/);
    expect(configuration(await queryXml("c1"))).toBe(configuration(before));
    const typo = await hacrmLive(sock("c2"), ["configure", "primitve", "x", "Dummy"]);
    expect(typo.err).toMatch(
      /<command line>:1:1: configure.primitve: No such command \(did you mean 'primitive'\?\)/,
    );
  });

  it("kill -9 of the DC in the middle of 500 writes from 4 clients: every acknowledged write kept everywhere", async () => {
    const dc = (await oneDc(names)) as string;
    const rest = names.filter((n) => n !== dc);
    const acked: { id: string; at: number }[] = [];
    let next = 0;
    let killedAt = 0;
    const total = 500;
    let refusedAsPresent = 0;
    const client = async (k: number): Promise<void> => {
      // Clients 0 and 3 start on the DC; when it dies they go on through a survivor.
      let node = [dc, rest[0], rest[1], dc][k] as string;
      while (next < total) {
        const i = next++;
        if (i === 150) {
          killedAt = Date.now();
          h.kill9(dc);
        }
        const id = `w${i}`;
        // A write that failed is sent again until it is acknowledged, or refused because an
        // interrupted attempt did land (its id is then taken).
        for (;;) {
          try {
            await submitWrite(sock(node), insertAttributes(id));
            acked.push({ id, at: Date.now() });
            break;
          } catch (e) {
            const err = e as { code?: string; message?: string };
            if (
              err.code === "CIB_INVALID" &&
              /\bw\d+\b.*(duplicate|already)|(duplicate|already).*\bw\d+\b/i.test(err.message ?? "")
            ) {
              refusedAsPresent++;
              break;
            }
            if (err.code === "DAEMON_UNREACHABLE") node = rest[k % 2] as string;
            else await sleep(50); // NO_DC, NO_QUORUM, WRITE_INTERRUPTED while the view changes
          }
        }
      }
    };
    const t0 = Date.now();
    await Promise.all([0, 1, 2, 3].map(client));
    console.log(
      `500 writes, 4 clients, DC ${dc} killed at write 150: ${acked.length} acknowledged, ${refusedAsPresent} landed on an interrupted attempt, in ${Date.now() - t0} ms`,
    );
    const newDc = await waitFor("a new DC", 20_000, async () => {
      const d = await oneDc(rest);
      return d === dc ? undefined : d;
    });
    expect(rest).toContain(newDc);
    expect(acked.length + refusedAsPresent).toBe(total);
    expect(acked.filter((a) => a.at > killedAt).length).toBeGreaterThan(300); // writes resumed under the new DC
    h.start(dc);
    await waitFor("the node back", 20_000, async () => ((await oneDc(names)) ? true : undefined));
    await waitFor("one CIB on every node", 20_000, async () => {
      const all = await Promise.all(names.map((n) => request(sock(n), { cmd: "cib-query" })));
      return new Set(all.map((r) => (r as unknown as { digest: string }).digest)).size === 1
        ? true
        : undefined;
    });
    for (const n of names) {
      const xml = await queryXml(n);
      const missing = acked.filter((a) => !xml.includes(`id="${a.id}"`)).map((a) => a.id);
      expect(missing, `acknowledged writes missing on ${n}`).toEqual([]);
    }
  });

  it("stop every node and start them again: the same CIB", async () => {
    const before = await queryXml("c1");
    await h.stopAll();
    for (const n of names) h.start(n);
    await waitFor("one DC again", 20_000, () => oneDc(names));
    const after = await queryXml("c1");
    expect(after).toContain('id="web"');
    expect(after).toContain('id="b1"');
    const resources = (x: string) => x.slice(x.indexOf("<resources"), x.indexOf("</resources>"));
    expect(resources(after)).toBe(resources(before));
  });
});
