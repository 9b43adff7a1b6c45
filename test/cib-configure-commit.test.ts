import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { hacrmIn } from "./hacrm-cli-lib.js";

// `hacrm configure` can never commit what `hacrm verify` rejects (issue 9):
// the verbatim seed line with a missing space, and every document of the
// bad-input corpus loaded through `configure load xml replace`, leave the
// CIB file byte for byte as it was and say where the problem is.
const repo = fileURLToPath(new URL("..", import.meta.url));
const badDir = join(repo, "test/fixtures/bad-cib");
const expected = JSON.parse(readFileSync(join(badDir, "expected.json"), "utf8")) as Record<string, string[]>;
const badFiles = readdirSync(badDir).filter((f) => f.endsWith(".xml"));
const emptyCib = `<cib validate-with="pacemaker-3.9" crm_feature_set="3.17.4" admin_epoch="0" epoch="1" num_updates="0">
  <configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/><constraints/></configuration>
  <status/>
</cib>
`;

const hacrm = (args: string[], env: Record<string, string>, stdin = "") =>
  hacrmIn(args, { env: { PATH: process.env["PATH"] ?? "", ...env }, stdin, cwd: badDir });

function scratchCib(): string {
  const file = join(mkdtempSync(join(tmpdir(), "hacrm-commit-")), "cib.xml");
  writeFileSync(file, emptyCib);
  return file;
}

describe("hacrm configure commits only what hacrm verify accepts", () => {
  it("refuses the seed line with a missing space, names the line, writes nothing", async () => {
    const file = scratchCib();
    const script =
      "primitive q ocf:heartbeat:Dummy\nprimitive p ocf:heartbeat:Dummy op monitor interval=30stimeout=30s\n";
    const r = await hacrm(["configure"], { CIB_file: file }, script);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/<stdin>:2:/);
    expect(r.err).toMatch(/30stimeout=30s/);
    expect(readFileSync(file, "utf8")).toBe(emptyCib);
    // The same line typed on the command line, as a user pastes it.
    const line = "primitive p ocf:heartbeat:Dummy op monitor interval=30stimeout=30s".split(" ");
    const r2 = await hacrm(["configure", ...line], { CIB_file: file });
    expect(r2.code).not.toBe(0);
    expect(r2.err).toMatch(/<command line>:1:/);
    expect(readFileSync(file, "utf8")).toBe(emptyCib);
  });

  it("commits the corrected line, which verify accepts", async () => {
    const file = scratchCib();
    const r = await hacrm(
      ["configure", "primitive", "p", "ocf:heartbeat:Dummy", "op", "monitor", "interval=30s", "timeout=30s"],
      { CIB_file: file },
    );
    // Committed, with crmsh's warning that nothing starts without a fencing device.
    expect(r.err).toMatch(
      /^WARNING: cib\/configuration: stonith-enabled is true and no fencing device is configured: no resource will start/,
    );
    expect(r.code).toBe(0);
    const v = await hacrm(["verify", "--xml-file", file], {});
    expect(v.code).toBe(0);
    expect(parseXml(readFileSync(file, "utf8")).attrs["epoch"]).toBe("2");
  });

  it.each(badFiles)("configure load xml replace %s writes nothing and says where", async (bad) => {
    const file = scratchCib();
    const r = await hacrm(["configure", "load", "xml", "replace", bad], { CIB_file: file });
    expect(r.code).not.toBe(0);
    expect(readFileSync(file, "utf8")).toBe(emptyCib);
    // Where: the file for what is not a CIB document, else the object verify
    // names first (the shell's own checks may name it first, in crm words).
    const first = expected[bad]?.[0] ?? "";
    const id = /\[id(?:-ref)?=([^\]]+)\]/.exec(first)?.[1];
    if (bad.startsWith("mal-") || bad === "schema-root-not-cib.xml") expect(r.err).toContain(bad);
    else if (id !== undefined) {
      const value = /: [^:]*"([^"]+)"/.exec(first)?.[1];
      expect(
        [id, value].some((w) => w !== undefined && r.err.includes(w)),
        r.err,
      ).toBe(true);
    } else expect(r.err).toMatch(/cib|configuration/);
  });
});
