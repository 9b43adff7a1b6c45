import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hacrmIn } from "./hacrm-cli-lib.js";

// Issue 14 item 10, the rest: what passed silently. A location on a node the
// CIB does not know and an agent not installed here are warnings in
// `hacrm verify` where crmsh warns (crm_verify says nothing); `configure
// verify` refuses the agent as `crm configure verify` does; `resource move`
// to a node that does not exist is refused as crm_resource refuses it.
const dir = mkdtempSync(join(tmpdir(), "hacrm-warn-"));
const text =
  `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>` +
  `<crm_config><cluster_property_set id="opts"><nvpair id="opts-st" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
  `<nodes><node id="1" uname="n1"/></nodes><resources>` +
  `<primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/>` +
  `<primitive id="x" class="ocf" provider="nosuch" type="Agent"/></resources>` +
  `<constraints><rsc_location id="l1" rsc="a" score="100" node="nosuchnode"/></constraints></configuration><status/></cib>\n`;

function fresh(name: string, body = text): string {
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, body);
  return file;
}

const hacrm = (args: string[], env: Record<string, string>) =>
  hacrmIn(args, { env: { PATH: process.env["PATH"] ?? "", OCF_ROOT: "/usr/lib/ocf", ...env }, cwd: dir });

function real(cmd: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; out: string }>((resolve) =>
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
}

describe("verify warns where crmsh warns", () => {
  it("a location on an unknown node and an agent not installed: warnings, exit 0", async () => {
    const file = fresh("v");
    const r = await hacrm(["verify", "-x", file], {});
    expect(r.code).toBe(0);
    expect(r.err.split("\n").filter(Boolean)).toEqual([
      "warning: primitive[id=x]: ocf:nosuch:Agent: no such agent is installed on this machine",
      'warning: rsc_location[id=l1]: node="nosuchnode": no node nosuchnode in the nodes section; it applies only if one joins',
    ]);
    expect(r.out).toBe(`${file}: OK (version 0.1.0, 2 resources, 1 constraints, 2 warnings)\n`);
    // crmsh warns about the node, refuses the agent; crm_verify says nothing of either.
    const crm = await real("crm", ["configure", "verify"], { CIB_file: fresh("crm") });
    expect(crm.out).toMatch(/WARNING.*l1: referenced node nosuchnode does not exist/);
    expect(crm.out).toMatch(/ERROR.*ocf:nosuch:Agent: no such resource agent/);
    expect((await real("crm_verify", ["-x", fresh("cv")])).code).toBe(0);
  });

  it("configure verify refuses the agent that is not installed, as crm configure verify does", async () => {
    const r = await hacrm(["configure", "verify"], { CIB_file: fresh("cv2") });
    expect(r.code).toBe(1);
    expect(r.err).toContain("primitive[id=x]: ocf:nosuch:Agent: no such agent is installed on this machine");
  });
});

describe("resource move and ban refuse a node that does not exist", () => {
  it("names the node and the known ones, and writes nothing", async () => {
    const file = fresh("m");
    for (const verb of ["move", "ban"]) {
      const r = await hacrm(["resource", verb, "a", "nosuchnode"], { CIB_file: file });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/:1:\d+: node nosuchnode does not exist \(the nodes are n1\)/);
    }
    expect(readFileSync(file, "utf8")).toBe(text);
    const cr = join(dir, "cr.xml");
    copyFileSync(file, cr);
    const pcmk = await real("crm_resource", ["--move", "-r", "a", "-N", "nosuchnode"], { CIB_file: cr });
    expect(pcmk.code).toBe(105);
    expect(pcmk.out).toMatch(/Node 'nosuchnode' not found/);
    expect((await hacrm(["resource", "move", "a", "n1"], { CIB_file: file })).code).toBe(0);
  });
});
