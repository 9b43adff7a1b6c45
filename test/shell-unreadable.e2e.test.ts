/**
 * "Could not read" is not "invalid" (issue 14, items 12 and 13): a CIB_file
 * that is a directory, unreadable for the user (tried as nobody), or endless
 * (/dev/zero) gets a one-line error and its own exit status, never a stack trace.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTextBounded } from "../packages/cib/src/file.js";
import { buildOnce, hacrmCli } from "./membership-e2e-lib.js";

const dir = mkdtempSync(join(tmpdir(), "hacrm-unreadable-"));
const verify = (cibFile: string, asNobody = false) => {
  const cmd = [process.execPath, hacrmCli, "verify"];
  const r = asNobody
    ? spawnSync(
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", `CIB_file=${cibFile}`, ...cmd],
        {
          encoding: "utf8",
        },
      )
    : spawnSync(cmd[0] as string, cmd.slice(1), {
        encoding: "utf8",
        env: { ...process.env, CIB_file: cibFile },
      });
  return { status: r.status, err: r.stderr };
};

describe("hacrm verify on input it cannot read", () => {
  beforeAll(() => buildOnce());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a directory: exit 66 and one line", () => {
    const r = verify(dir);
    expect(r.status).toBe(66);
    expect(r.err).toBe(
      `hacrm verify: ${dir}: cannot read the CIB file: it is a directory (CIB_file must name a readable CIB XML file)\n`,
    );
  });

  it("a file the user may not read (as nobody): exit 66, not 1 as for an invalid CIB", () => {
    const file = join(dir, "cib.xml");
    writeFileSync(file, "<cib/>");
    chmodSync(dir, 0o755);
    chmodSync(file, 0o600);
    const r = verify(file, true);
    expect(r.status).toBe(66);
    expect(r.err).toContain("cannot read the CIB file: permission denied");
    expect(r.err).not.toMatch(/\n\s+at /);
    writeFileSync(join(dir, "bad.xml"), "<cib");
    expect(verify(join(dir, "bad.xml")).status).toBe(1);
  });

  it("an endless file is read up to the limit in bytes, whatever its size says", () => {
    expect(readTextBounded("/dev/zero", 1 << 20, "CIB_FILE")).toBeNull();
    expect(readTextBounded("/proc/self/status", 1 << 20, "CIB_FILE")).toMatch(/^Name:/);
  });
});
