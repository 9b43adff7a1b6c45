import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { PassThrough } from "node:stream";
import { runHacrm } from "@hacrm/shell";
import { parseXml, serializeXml } from "@hacrm/cib";

/** `hacrm ra` and `hacrm attribute`, run in-process (ra exec runs real agents, hence e2e). */
const root = mkdtempSync(`${tmpdir()}/hacrm-ra-`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function hacrm(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const status = await runHacrm(args, {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: { HACRM_STATE_DIR: `${root}/state`, HACRM_NODE: "n1", ...env },
    cwd: root,
  });
  return { status, out, err };
}

describe("hacrm ra", () => {
  it("lists agents by class and provider", async () => {
    const r = await hacrm(["ra", "list", "ocf:hacrm"]);
    expect(r.status).toBe(0);
    expect(r.out.trim().split("\n")).toEqual([
      "ocf:hacrm:Dummy",
      "ocf:hacrm:IPaddr",
      "ocf:hacrm:Stateful",
      "ocf:hacrm:ping",
    ]);
    const all = (await hacrm(["ra", "list"])).out;
    for (const a of [
      "ocf:heartbeat:Dummy",
      "ocf:pacemaker:Stateful",
      "lsb:hacrm-sleeper",
      "stonith:fence_hacrm",
      "stonith:fence_dummy",
    ]) {
      expect(all.split("\n")).toContain(a);
    }
    expect((await hacrm(["ra", "list", "upstart"])).status).toBe(1);
  });

  it("describes an agent's parameters and actions", async () => {
    const r = await hacrm(["ra", "info", "ocf:hacrm:IPaddr"]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^ocf:hacrm:IPaddr - Manages one IP address/);
    expect(r.out).toMatch(/\*\+ip \(string\)/);
    expect(r.out).toMatch(/\* nic \(string\)/);
    expect(r.out).toMatch(/monitor\s+timeout=20s interval=10s/);
    const fence = await hacrm(["ra", "info", "stonith:fence_hacrm"]);
    expect(fence.out).toMatch(/\* hosts_dir/);
    const missing = await hacrm(["ra", "info", "ocf:hacrm:Nope"]);
    expect(missing.status).toBe(1);
    expect(missing.err).toMatch(/ocf:hacrm:Nope: no such agent/);
  });

  it("runs actions by hand: exit status is the OCF code", async () => {
    const dir = `${root}/exec`;
    const env = { HACRM_STATE_DIR: dir };
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "monitor"], env)).status).toBe(7);
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "start"], env)).status).toBe(0);
    expect(existsSync(`${dir}/rsctmp/Dummy-Dummy.state`)).toBe(true);
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "monitor"], env)).status).toBe(0);
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "monitor", "fail_monitor=9"], env)).status).toBe(9);
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "stop"], env)).status).toBe(0);
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "monitor"], env)).status).toBe(7);
    const md = await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "meta-data"], env);
    expect(md.out).toMatch(/<resource-agent name="Dummy"/);
  });

  it("refuses unknown parameters, reports a timeout as such and shows the environment", async () => {
    const bad = await hacrm(["ra", "exec", "ocf:hacrm:Dummy", "start", "dealy_start=1"]);
    expect(bad.status).toBe(6);
    expect(bad.err).toMatch(/no parameter 'dealy_start'/);
    const slow = await hacrm([
      "ra",
      "exec",
      "ocf:hacrm:Dummy",
      "start",
      "--timeout",
      "300ms",
      "delay_start=5",
      "--resource",
      "slow",
    ]);
    expect(slow.status).toBe(124);
    expect(slow.err).toMatch(/timed out/);
    const shown = await hacrm([
      "ra",
      "exec",
      "ocf:hacrm:Dummy",
      "validate-all",
      "--show-env",
      "--meta",
      "clone-max=3",
      "state=/tmp/a b",
    ]);
    expect(shown.status).toBe(0);
    expect(shown.err).toContain("OCF_RESKEY_state='/tmp/a b'");
    expect(shown.err).toContain("OCF_RESKEY_CRM_meta_clone_max='3'");
    expect((await hacrm(["ra", "exec", "ocf:hacrm:Dummy"])).status).toBe(2);
  });
});

const cib = `<cib admin_epoch="0" epoch="3" num_updates="7" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="n1"/></nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status><node_state id="1" uname="n1" in_ccm="true" crmd="online"/></status>
</cib>`;

describe("hacrm attribute", () => {
  it("sets, queries and deletes transient and permanent attributes in a CIB file", async () => {
    const file = `${root}/cib.xml`;
    writeFileSync(file, cib);
    const env = { CIB_file: file };
    expect(
      (
        await hacrm(
          ["attribute", "--node", "n1", "--name", "master-db", "--update", "10", "--lifetime", "reboot"],
          env,
        )
      ).status,
    ).toBe(0);
    expect((await hacrm(["attribute", "-N", "n1", "-n", "site", "-v", "east"], env)).status).toBe(0);
    const tree = parseXml(readFileSync(file, "utf8"));
    const text = serializeXml(tree);
    expect(text).toMatch(
      /<node_state id="1"[^>]*>\s*<transient_attributes id="1">\s*<instance_attributes id="status-1">\s*<nvpair id="status-1-master-db" name="master-db" value="10"\/>/,
    );
    expect(text).toMatch(
      /<node id="1" uname="n1">\s*<instance_attributes id="nodes-1">\s*<nvpair id="nodes-1-site" name="site" value="east"\/>/,
    );
    // status change: num_updates only; configuration change: epoch
    expect(tree.attrs).toMatchObject({ epoch: "4", num_updates: "0" });
    const q = await hacrm(["attribute", "-N", "n1", "-n", "master-db", "-G", "-l", "reboot"], env);
    expect(q.out.trim()).toBe("scope=status  name=master-db value=10");
    expect(
      (await hacrm(["attribute", "-N", "n1", "-n", "master-db", "-G", "-q", "-l", "forever"], env)).status,
    ).toBe(105);
    expect(
      (await hacrm(["attribute", "-N", "n1", "-n", "master-db", "-D", "-l", "reboot"], env)).status,
    ).toBe(0);
    expect(
      (await hacrm(["attribute", "-N", "n1", "-n", "master-db", "-G", "-l", "reboot"], env)).status,
    ).toBe(105);
  });

  it("uses the local attribute store without CIB_file", async () => {
    const env = { HACRM_ATTR_DIR: `${root}/attrs` };
    expect((await hacrm(["attribute", "-n", "pingd", "-v", "3", "-l", "reboot"], env)).status).toBe(0);
    expect(readFileSync(`${root}/attrs/reboot/n1/pingd`, "utf8")).toBe("3");
    expect((await hacrm(["attribute", "-n", "pingd", "-G", "-q", "-l", "reboot"], env)).out).toBe("3\n");
    expect((await hacrm(["attribute", "-n", "pingd", "-D", "-l", "reboot"], env)).status).toBe(0);
    expect(existsSync(`${root}/attrs/reboot/n1/pingd`)).toBe(false);
    expect((await hacrm(["attribute", "-n", "pingd"], env)).status).toBe(2);
    expect((await hacrm(["attribute", "-n", "../x", "-v", "1"], env)).status).toBe(1);
  });
});
