/**
 * What-if injections on `hacrm simulate`, each checked against crm_simulate
 * run with the same injections on the same CIB (canonical summary and the
 * status after the transition).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hacrmIn } from "./hacrm-cli-lib.js";
import { corpusDir, loadCanon, repoRoot } from "./policy-conformance-lib.js";

interface Canon {
  actions: string[];
  placement: string[];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hacrm-whatif-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const moosefs = path.join(repoRoot, "test/fixtures/policy/moosefs-failcount.xml");

const hacrm = (args: string[]) => hacrmIn(["simulate", ...args], { cwd: dir });

async function ours(file: string, args: string[]): Promise<Canon> {
  const canon = await loadCanon();
  const r = await hacrm(["--xml-file", file, "--json", ...args]);
  expect(r.code, r.err).toBe(0);
  return canon.canonicalFromProject(JSON.parse(r.out));
}

async function theirs(file: string, args: string[]): Promise<Canon> {
  const pcmk = (await import(path.join(corpusDir, "lib/pcmk-output.mjs"))) as {
    parseXmlResult: (x: string) => Canon;
  };
  const out = execFileSync("crm_simulate", ["-S", "-x", file, "--output-as=xml", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return pcmk.parseXmlResult(out);
}

async function agree(file: string, args: string[], pcmkArgs = args): Promise<Canon> {
  const mine = await ours(file, args);
  expect(mine).toEqual(await theirs(file, pcmkArgs));
  return mine;
}

describe("hacrm simulate what-if injections, against crm_simulate", () => {
  it("--node-down: what ran there is gone, nothing moves to it", async () => {
    const r = await agree(moosefs, ["--node-down", "mfs2"]);
    expect(r.actions).toEqual(["stop mfs-master mfs1"]);
  });

  it("--node-fail without fencing: what ran on the lost node is recovered elsewhere", async () => {
    const r = await agree(moosefs, ["--node-fail", "mfs1"]);
    expect(r.placement).toContain("mfs-master Started mfs2");
  });

  it("--node-fail with stonith-enabled=true and no fencing device: nothing is recovered, never two promoted disks", async () => {
    // Nothing can fence the lost node, so start-up is disabled: the promoted disk there may still run.
    const file = path.join(dir, "moosefs-stonith-no-device.xml");
    const xml = fs.readFileSync(moosefs, "utf8");
    const fenced = xml.replace('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"');
    expect(fenced).not.toBe(xml);
    fs.writeFileSync(file, fenced);
    const r = await agree(file, ["--node-fail", "mfs1"]);
    expect(r.actions).toEqual([]);
    expect(r.placement.filter((p) => p.startsWith("drbd-mfs Promoted"))).toEqual(["drbd-mfs Promoted mfs1"]);
  });

  it("--op-inject: a failed monitor of the unpromoted disk is recovered", async () => {
    const r = await agree(moosefs, ["--op-inject", "drbd-mfs_monitor_31000@mfs2=7"]);
    expect(r.actions).toContain("recover drbd-mfs mfs2");
  });

  it("--op-fail: a start that fails leaves the resource failed and what follows it stopped", async () => {
    const r = await agree(moosefs, ["--op-fail", "mfs-vip_start_0@mfs2=1"]);
    expect(r.placement).toContain("mfs-vip Failed mfs2");
    expect(r.placement.some((p) => p.startsWith("mfs-master "))).toBe(false);
  });

  it("--save-output writes the CIB after the transition; both simulators agree on what happens next", async () => {
    const saved = path.join(dir, "after-fail.xml");
    const r = await hacrm([
      "--xml-file",
      moosefs,
      "--op-fail",
      "mfs-vip_start_0@mfs2=1",
      "--save-output",
      saved,
    ]);
    expect(r.code, r.err).toBe(0);
    const next = await agree(saved, []);
    expect(next.actions).toEqual(["recover mfs-vip mfs2", "start mfs-master mfs2"]);
    // A transition that fully succeeds leaves nothing to do.
    const done = path.join(dir, "after.xml");
    expect((await hacrm(["--xml-file", moosefs, "--save-output", done])).code).toBe(0);
    expect((await agree(done, [])).actions).toEqual([]);
  });

  it("--node-up: a node that comes back takes its share again", async () => {
    const down = path.join(dir, "down.xml");
    expect((await hacrm(["--xml-file", moosefs, "--node-down", "mfs2", "--save-output", down])).code).toBe(0);
    const r = await agree(down, ["--node-up", "mfs2"]);
    expect(r.actions).toContain("start drbd-mfs mfs2");
  });

  it("--date: failure-timeout counts from the given date (crm_simulate --set-datetime)", async () => {
    const file = path.join(corpusDir, "cases", "failcount-block.xml");
    // The failures were recorded at 1342571396 with a 10 s failure-timeout: expired later, not just after.
    const soon = await agree(
      file,
      ["--date", "2012-07-18T00:30:00Z"],
      ["--set-datetime", "2012-07-18T00:30:00Z"],
    );
    const late = await agree(file, ["--date", "2024-01-01"], ["--set-datetime", "2024-01-01T00:00:00Z"]);
    expect(late.actions).not.toEqual(soon.actions);
  });

  it("refuses a malformed operation or date with a clear error and exit status", async () => {
    const bad = await hacrm(["--xml-file", moosefs, "--op-inject", "mfs-vip@mfs2"]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/RESOURCE_TASK_INTERVALMS@NODE=RC/);
    const date = await hacrm(["--xml-file", moosefs, "--date", "yesterday"]);
    expect(date.code).not.toBe(0);
    expect(date.err).toMatch(/ISO 8601/);
    const node = await hacrm(["--xml-file", moosefs, "--node-down", "nosuch"]);
    expect(node.err).toMatch(/nosuch/);
  });

  it("--quorum false stops everything under no-quorum-policy=stop, as the same CIB without quorum does", async () => {
    // crm_simulate 2.1.5 accepts --quorum but schedules with the CIB's own have-quorum; compare with that CIB instead.
    const noQuorum = path.join(dir, "no-quorum.xml");
    fs.writeFileSync(
      noQuorum,
      fs.readFileSync(moosefs, "utf8").replace('have-quorum="1"', 'have-quorum="0"'),
    );
    const r = await ours(moosefs, ["--quorum", "false"]);
    expect(r).toEqual(await theirs(noQuorum, []));
    expect(r.placement).toEqual([]);
  });
});
