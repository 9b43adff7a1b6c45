import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("..", import.meta.url));
const corpus = join(repo, "../shared/conformance/crmsh");
const session = `hacrm-e2e-${process.pid}`;

async function tmux(...args: string[]): Promise<string> {
  return (await run("tmux", args)).stdout;
}

/** Type text literally (tmux would read "up" as the Up key), then press the given keys. */
async function type(text: string, ...keys: string[]): Promise<void> {
  await tmux("send-keys", "-t", session, "-l", text);
  if (keys.length > 0) await tmux("send-keys", "-t", session, ...keys);
}

/** Wait until the pane shows `text` (the shell answers asynchronously). */
async function waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let pane = "";
  while (Date.now() < deadline) {
    pane = await tmux("capture-pane", "-p", "-t", session);
    if (typeof text === "string" ? pane.includes(text) : text.test(pane)) return pane;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pane never showed ${String(text)}:\n${pane}`);
}

describe("interactive hacrm in a terminal (tmux)", () => {
  let dir: string;
  let cib: string;

  beforeAll(async () => {
    // A type error in another package must not hide what the shell does: tsc still emits.
    await promisify(execFile)("npx", ["tsc", "-b", "packages/shell"], { cwd: repo }).catch(
      (e: { stdout?: string }) => {
        process.stderr.write(`tsc -b packages/shell reported errors:\n${e.stdout ?? ""}\n`);
      },
    );
    dir = mkdtempSync(join(tmpdir(), "hacrm-tty-"));
    cib = join(dir, "cib.xml");
    copyFileSync(join(corpus, "cases/cmd-rename.initial.xml"), cib);
    const cmd = `EDITOR='sed -i s/fake=1/fake=7/' CIB_file=${cib} HACRM_HISTORY=${join(dir, "history")} OCF_ROOT=/usr/lib/ocf ${join(repo, "bin/hacrm")}; sleep 30`;
    await tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", cmd);
  }, 180_000);

  afterAll(async () => {
    await tmux("kill-session", "-t", session).catch(() => "");
    rmSync(dir, { recursive: true, force: true });
  });

  it("types commands, completes a resource id and an agent, shows, commits", async () => {
    await waitFor("hacrm(cib.xml)#");
    await type("configure", "Enter");
    await waitFor("hacrm(cib.xml)configure#");

    // agent name and parameter completion
    await type("primitive web ocf:heartbeat:Dumm", "Tab");
    await waitFor("primitive web ocf:heartbeat:Dummy");
    await type("params fa", "Tab");
    await waitFor("params fake=");
    await type("1", "Enter");

    // resource id completion: g + Tab -> g1, the only resource id starting with g
    await type("colocation web-with-g1 inf: web g", "Tab");
    await waitFor("colocation web-with-g1 inf: web g1");
    await tmux("send-keys", "-t", session, "Enter");

    await type("show web-with-g1", "Enter");
    await waitFor("colocation web-with-g1 INFINITY: web g1");

    // a mistake is reported with its position and the session goes on
    await type("primitve x ocf:heartbeat:Dummy", "Enter");
    await waitFor(/ERROR: <input>:1:1: configure\.primitve: No such command \(did you mean 'primitive'\?\)/);

    // edit: $EDITOR (here a sed script) changes the crm text of one object
    await type("edit web", "Enter");
    await type("show web", "Enter");
    await waitFor("params fake=7");

    expect(readFileSync(cib, "utf8")).not.toContain('id="web"');
    await type("commit", "Enter");
    await type("up", "Enter");
    await waitFor(/hacrm\(cib\.xml\)#\s*$/m);
    const written = readFileSync(cib, "utf8");
    expect(written).toContain('<primitive id="web" class="ocf" provider="heartbeat" type="Dummy">');
    expect(written).toContain('<nvpair id="web-instance_attributes-fake" name="fake" value="7"/>');
    expect(written).toContain('<rsc_colocation id="web-with-g1" score="INFINITY" rsc="web" with-rsc="g1"/>');
    expect(written).toMatch(/epoch="3"/);

    // history: the up-arrow brings back the last command
    await tmux("send-keys", "-t", session, "Up");
    await waitFor(/hacrm\(cib\.xml\)# up$/m);
    await tmux("send-keys", "-t", session, "C-u");
    await type("quit", "Enter");
    expect(readFileSync(join(dir, "history"), "utf8")).toContain(
      "primitive web ocf:heartbeat:Dummy params fake=1",
    );
  }, 60_000);
});

describe("interactive hacrm: help on every level, a shadow CIB, the commit question (tmux)", () => {
  const s2 = `hacrm-e2e2-${process.pid}`;
  let dir: string;
  let cib: string;
  const typeIn = async (text: string): Promise<void> => {
    await tmux("send-keys", "-t", s2, "-l", text);
    await tmux("send-keys", "-t", s2, "Enter");
  };
  const pane = async (): Promise<string> => tmux("capture-pane", "-p", "-S", "-200", "-t", s2);
  const waitFor2 = async (text: string | RegExp, timeoutMs = 10_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    let p = "";
    while (Date.now() < deadline) {
      p = await pane();
      if (typeof text === "string" ? p.includes(text) : text.test(p)) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`pane never showed ${String(text)}:\n${p}`);
  };
  /** Wait until a file holds `text` (the shell writes asynchronously to what is typed). */
  const waitFile = async (path: string, text: string, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (readFileSync(path, "utf8").includes(text)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${path} never held ${text}`);
  };
  const clear = async (): Promise<void> => {
    await tmux("send-keys", "-t", s2, "-R");
    await tmux("clear-history", "-t", s2);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hacrm-tty2-"));
    cib = join(dir, "cib.xml");
    copyFileSync(join(corpus, "cases/cmd-rename.initial.xml"), cib);
    const cmd = `CIB_file=${cib} HACRM_HISTORY=${join(dir, "history")} OCF_ROOT=/usr/lib/ocf ${join(repo, "bin/hacrm")}; sleep 30`;
    await tmux("new-session", "-d", "-s", s2, "-x", "200", "-y", "60", cmd);
  }, 60_000);

  afterAll(async () => {
    await tmux("kill-session", "-t", s2).catch(() => "");
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints help for every level and for one command", async () => {
    await waitFor2("hacrm(cib.xml)#");
    const levels: [string, string, string][] = [
      ["", "hacrm - cluster shell", "Other hacrm commands:"],
      ["configure", "configure - change the configuration", "primitive"],
      ["resource", "resource - act on resources", "cleanup"],
      ["node", "node - act on nodes", "standby"],
      ["ra", "ra - resource agents installed on this machine", "providers"],
      ["cib", "cib - shadow CIBs", "commit"],
    ];
    for (const [level, title, command] of levels) {
      if (level !== "") await typeIn(`cd ${level}`);
      await waitFor2(`hacrm(cib.xml)${level}#`);
      await clear();
      await typeIn("help");
      const p = await waitFor2(title);
      expect(p).toContain(command);
    }
    await clear();
    await typeIn("?");
    await waitFor2("cib - shadow CIBs");
    await typeIn("cd configure");
    await clear();
    await typeIn("help primitive");
    const p = await waitFor2("Examples:");
    expect(p).toContain("primitive ID {CLASS:PROVIDER:TYPE | CLASS:TYPE | TYPE | @TEMPLATE}");
    await typeIn("up");
    await waitFor2(/hacrm\(cib\.xml\)#\s*$/m);
  }, 60_000);

  it("asks before leaving configure with changes: n drops them, y commits", async () => {
    await typeIn("configure");
    await typeIn("primitive ask1 Dummy");
    await typeIn("up");
    await waitFor2("There are changes pending. Do you want to commit them (y/n)?");
    await typeIn("n");
    await waitFor2(/hacrm\(cib\.xml\)#\s*$/m);
    await typeIn("status");
    await waitFor2("Cluster Summary:");
    expect(readFileSync(cib, "utf8")).not.toContain('id="ask1"');
    await clear();
    await typeIn("configure");
    await typeIn("primitive ask2 Dummy");
    await typeIn("end");
    await waitFor2("(y/n)?");
    await typeIn("y");
    await waitFile(cib, 'id="ask2"');
    expect(readFileSync(cib, "utf8")).not.toContain('id="ask1"');
  }, 60_000);

  it("edits a shadow CIB, simulates it, commits it to the real one", async () => {
    await clear();
    await typeIn("cib new trial");
    await waitFor2("hacrm(trial)#");
    await typeIn("configure");
    await typeIn("primitive shadowed Dummy");
    await typeIn("commit");
    await waitFile(join(dir, "shadow.trial"), 'id="shadowed"');
    expect(readFileSync(cib, "utf8")).not.toContain('id="shadowed"');
    await clear();
    await typeIn("simulate");
    await waitFor2("Transition Summary:");
    await typeIn("up");
    await clear();
    await typeIn("cib diff");
    await waitFor2("+ primitive shadowed ocf:heartbeat:Dummy");
    await typeIn("cib commit trial");
    await waitFor2("committed shadow trial");
    expect(readFileSync(cib, "utf8")).toContain('id="shadowed"');
    await typeIn("cib use live");
    await waitFor2(/hacrm\(cib\.xml\)#\s*$/m);
    await typeIn("quit");
  }, 60_000);
});
