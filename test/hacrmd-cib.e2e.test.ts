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
import { command as cibCommand } from "../packages/shell/src/commands/cib.js";
import { command as statusCommand } from "../packages/shell/src/commands/status.js";
import { Harness, buildOnce, request, waitFor, writeConfig } from "./membership-e2e-lib.js";

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
    expect(await queryXml("c1")).toBe(before);
  });

  it("kill -9 of the DC: a new DC at once, acknowledged writes kept, writes resume", async () => {
    const dc = (await oneDc(names)) as string;
    const rest = names.filter((n) => n !== dc);
    h.kill9(dc);
    const next = await waitFor("a new DC", 20_000, async () => {
      const d = await oneDc(rest);
      return d === dc ? undefined : d;
    });
    expect(rest).toContain(next);
    for (const n of rest) expect(await queryXml(n)).toContain('id="web"');
    const r = await addPrimitive(rest[1] as string, "db");
    expect(r.code).toBe(0);
    h.start(dc);
    await waitFor("the node back", 20_000, async () => ((await oneDc(names)) ? true : undefined));
    await waitFor("its copy", 10_000, async () =>
      (await queryXml(dc)).includes('id="db"') ? true : undefined,
    );
  });

  it("stop every node and start them again: the same CIB", async () => {
    const before = await queryXml("c1");
    await h.stopAll();
    for (const n of names) h.start(n);
    await waitFor("one DC again", 20_000, () => oneDc(names));
    const after = await queryXml("c1");
    expect(after).toContain('id="web"');
    expect(after).toContain('id="db"');
    const resources = (x: string) => x.slice(x.indexOf("<resources"), x.indexOf("</resources>"));
    expect(resources(after)).toBe(resources(before));
  });
});
