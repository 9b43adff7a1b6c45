/**
 * `hacrm ra exec` against a stubborn agent and a hostile operator's input
 * (issue 14, item 11): interrupts end the agent's process group, a TERM-proof
 * agent ends soon after its timeout, long timeouts do not overflow, bad
 * timeouts are refused, --show-env is safe to source, control bytes are shown
 * escaped, and a missing agent exits 5 as the usage says.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnce, hacrmCli, sleep } from "./membership-e2e-lib.js";

const dir = mkdtempSync(join(tmpdir(), "hacrm-ra-"));
/** The agent's own command line holds this unique path. */
const marker = join(dir, "ocf", "test", "Stubborn");
const env = { ...process.env, HACRM_OCF_PATH: join(dir, "ocf"), HACRM_STATE_DIR: join(dir, "state") };
const agent = `#!/bin/sh
trap '' TERM
case "$1" in
meta-data) echo '<?xml version="1.0"?><resource-agent name="Stubborn"><version>1.0</version><shortdesc lang="en">s</shortdesc><longdesc lang="en">s</longdesc><parameters><parameter name="p"><content type="string"/><shortdesc lang="en">p</shortdesc></parameter></parameters><actions><action name="start" timeout="20s"/><action name="monitor" timeout="20s"/><action name="meta-data" timeout="5s"/></actions></resource-agent>'; exit 0;;
esac
printf 'ocf-exit-reason:bad \\033]0;title\\007\\033[31mred\\n' >&2
sleep 1000 &
while :; do sleep 1; done
`;

const run = (args: string[]) =>
  spawnSync(process.execPath, [hacrmCli, "ra", "exec", ...args], { env, encoding: "utf8", timeout: 30_000 });
const leftovers = () =>
  execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes("ps -eo")).length;

describe("hacrm ra exec against a stubborn agent", () => {
  beforeAll(() => {
    buildOnce();
    mkdirSync(join(dir, "ocf", "test"), { recursive: true });
    writeFileSync(join(dir, "ocf", "test", "Stubborn"), agent);
    chmodSync(join(dir, "ocf", "test", "Stubborn"), 0o755);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} ends the agent's process group, then hacrm (128+N)`, async () => {
      const p = spawn(
        process.execPath,
        [hacrmCli, "ra", "exec", "ocf:test:Stubborn", "start", "--timeout", "600h"],
        {
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
      for (let i = 0; i < 100 && leftovers() === 0; i++) await sleep(100);
      expect(leftovers()).toBeGreaterThan(0); // running, and a 600 h timeout has not fired at once
      if (signal === "SIGINT") {
        await sleep(2500); // a 600 h timer that overflowed would have fired by now
        expect(leftovers()).toBeGreaterThan(0);
      }
      p.kill(signal);
      const code = await exited;
      expect(code).toBe(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
      await sleep(200);
      expect(leftovers()).toBe(0);
    });
  }

  it("an agent that ignores SIGTERM ends soon after a 2 s timeout; its output is shown escaped", () => {
    const t = Date.now();
    const r = run(["ocf:test:Stubborn", "monitor", "--timeout", "2s"]);
    const tookMs = Date.now() - t;
    expect(r.status).toBe(124);
    expect(tookMs).toBeLessThan(7000); // was 9.2 s plus start-up; now 2 s + 0.2 s grace + start-up and sweep
    expect(r.stderr).toContain("ocf-exit-reason:bad \\x1b]0;title\\x07\\x1b[31mred");
    expect(r.stderr).not.toContain("\u001b");
    expect(leftovers()).toBe(0);
  });

  it("refuses a timeout of 0 or below, and says why", () => {
    for (const [arg, why] of [
      ["--timeout=0", /--timeout: '0' is not above 0/],
      ["--timeout=-1s", /--timeout: "-1s" is not a duration/],
    ] as const) {
      const r = run(["ocf:test:Stubborn", "start", arg]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const r = run(["ocf:test:Stubborn", "start", "--timeout", "-1s"]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("--show-env prints values quoted for sh; sourcing it runs nothing", () => {
    const pwned = join(dir, "pwned");
    const r = run(["ocf:test:Stubborn", "meta-data", "--show-env", `p=$(touch ${pwned})'$(touch ${pwned})'`]);
    expect(r.status).toBe(0);
    const line = r.stderr.split("\n").find((l) => l.startsWith("OCF_RESKEY_p=")) ?? "";
    expect(line).toBe(`OCF_RESKEY_p='$(touch ${pwned})'\\''$(touch ${pwned})'\\'''`);
    const echoed = execFileSync("sh", ["-c", `${r.stderr}\nprintf %s "$OCF_RESKEY_p"`], { encoding: "utf8" });
    expect(echoed).toBe(`$(touch ${pwned})'$(touch ${pwned})'`);
    expect(existsSync(pwned)).toBe(false);
  });

  it("a missing agent exits 5 (not installed), as 'ra --help' documents", () => {
    const r = run(["ocf:test:Nope", "start"]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/ocf:test:Nope: no such agent/);
    const help = spawnSync(process.execPath, [hacrmCli, "ra", "--help"], { encoding: "utf8" }).stdout;
    expect(help).toMatch(/5 when the agent does not exist/);
  });
});
