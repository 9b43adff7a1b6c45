// A session file run by `hacrm < FILE` and `hacrm -f FILE`, as `crm -f FILE`
// runs it: levels, status and cd inside the script, changes committed when the
// configure level is left (no terminal: no question), an error stops the script.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHacrm } from "@hacrm/shell";

const repo = fileURLToPath(new URL("..", import.meta.url));
const corpus = join(repo, "../shared/conformance/crmsh");

async function hacrm(
  args: string[],
  env: NodeJS.ProcessEnv,
  input = "",
): Promise<{ status: number; out: string; err: string }> {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const status = await runHacrm(args, { stdin, stdout, stderr, env, cwd: repo });
  return { status, out, err };
}

describe("hacrm < session file, hacrm -f FILE", () => {
  let dir: string;
  let cib: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hacrm-script-"));
    cib = join(dir, "cib.xml");
    copyFileSync(join(corpus, "cases/cmd-delete.initial.xml"), cib);
    env = { CIB_file: cib, OCF_ROOT: "/usr/lib/ocf", PATH: process.env["PATH"] ?? "" };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs a session from standard input: configure, status and cd inside it, up commits", async () => {
    const script = [
      "configure",
      "primitive s1 Dummy",
      "status",
      "cd resource",
      "stop s1",
      "cd ..",
      "node show node1",
      "resource status s1",
    ].join("\n");
    const r = await hacrm([], env, script);
    expect(r.err).toBe("resource s1 is NOT running\n");
    expect(r.status).toBe(0);
    expect(r.out).toContain("Cluster Summary:");
    expect(r.out).toContain("node1: member");
    expect(r.err + r.out).not.toContain("There are changes pending");
    const written = readFileSync(cib, "utf8");
    expect(written).toContain('id="s1"');
    expect(written).toContain(
      '<nvpair id="s1-meta_attributes-target-role" name="target-role" value="Stopped"/>',
    );
  });

  it("runs -f FILE; the first error stops it, nothing after the last commit is written", async () => {
    const file = join(dir, "bad.crm");
    writeFileSync(file, "configure\nprimitive f1 Dummy\ncommit\nprimitive f2 Dummy\nprimitve f3 Dummy\n");
    const r = await hacrm(["-f", file], env);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/bad\.crm:5:1: configure\.primitve: No such command/);
    const written = readFileSync(cib, "utf8");
    expect(written).toContain('id="f1"');
    expect(written).not.toContain('id="f2"');
  });

  it("-F accepts an agent that is not installed, with a warning; without it the agent is refused", async () => {
    const refused = await hacrm(["configure", "primitive", "x1", "ocf:heartbeat:NoSuchAgent"], env);
    expect(refused.status).toBe(1);
    expect(refused.err).toMatch(/ocf:heartbeat:NoSuchAgent: no such resource agent is installed/);
    expect(readFileSync(cib, "utf8")).not.toContain('id="x1"');
    const forced = await hacrm(["-F", "configure", "primitive", "x1", "ocf:heartbeat:NoSuchAgent"], env);
    expect(forced.status).toBe(0);
    expect(forced.err).toMatch(
      /WARNING: .*NoSuchAgent: no such resource agent is installed \(accepted: -F\)/,
    );
    expect(readFileSync(cib, "utf8")).toContain('id="x1"');
  });

  it("help answers at the command line: levels and commands", async () => {
    expect((await hacrm(["help", "configure"], env)).out).toContain("configure - change the configuration");
    const prim = await hacrm(["help", "primitive"], env);
    expect(prim.out).toContain("Examples:");
    expect(prim.out).toContain("primitive vip IPaddr2");
    const none = await hacrm(["help", "primitve"], env);
    expect(none.status).toBe(1);
    expect(none.err).toMatch(/did you mean 'primitive'\?/);
  });

  it("node standby|online --all acts on every node; cleanup with no resource cleans all", async () => {
    expect((await hacrm(["node", "standby", "--all"], env)).status).toBe(0);
    expect(readFileSync(cib, "utf8")).toContain('name="standby" value="on"');
    expect((await hacrm(["node", "online", "--all"], env)).status).toBe(0);
    expect(readFileSync(cib, "utf8")).not.toContain('name="standby" value="on"');
    const lrm =
      '<status><node_state id="node1" uname="node1"><lrm id="node1"><lrm_resources><lrm_resource id="d1" class="ocf" provider="heartbeat" type="Dummy"/><lrm_resource id="gone" class="ocf" provider="heartbeat" type="Dummy"/></lrm_resources></lrm></node_state></status>';
    writeFileSync(cib, readFileSync(cib, "utf8").replace(/<status\/>|<status>[\s\S]*<\/status>/, lrm));
    const r = await hacrm(["resource", "cleanup"], env);
    expect(r.err).toMatch(/Cleaned up all resources: 2 operation history entries removed/);
    expect(readFileSync(cib, "utf8")).not.toMatch(/<lrm_resource /);
  });
});
