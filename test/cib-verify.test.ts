import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseXml, problemLine } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import { hacrmIn } from "./hacrm-cli-lib.js";

const cases = new URL("../../shared/conformance/scheduler/cases/", import.meta.url);

function cib(resources: string, constraints = "", extra = ""): string {
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>
  <crm_config/><nodes><node id="1" uname="n1"/></nodes>
  <resources>${resources}</resources><constraints>${constraints}</constraints>${extra}</configuration><status/></cib>`;
}
const dummy = (id: string, meta = "") =>
  `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;

const run = (args: string[], env: Record<string, string> = {}, input?: string) =>
  hacrmIn(args, { env, ...(input !== undefined ? { stdin: input } : {}) });

describe("validateCib", () => {
  it("accepts a small valid CIB", () => {
    expect(
      validateCib(parseXml(cib(dummy("r1"), `<rsc_location id="l" rsc="r1" node="n1" score="INFINITY"/>`))),
    ).toEqual([]);
  });

  it("reports a dangling reference with where, what and why", () => {
    const problems = validateCib(parseXml(cib(dummy("r1"), `<rsc_order id="o" first="r1" then="ghost"/>`)));
    expect(problems.map(problemLine)).toEqual([
      `rsc_order[id=o]: then="ghost": no resource or tag has id ghost`,
    ]);
  });

  it("reports target-role Bogus as a bad role", () => {
    const meta = `<meta_attributes id="m"><nvpair id="m-tr" name="target-role" value="Bogus"/></meta_attributes>`;
    const [p] = validateCib(parseXml(cib(dummy("r1", meta))));
    expect(p?.code).toBe("BAD_ROLE");
    expect(p && problemLine(p)).toMatch(
      /^nvpair\[id=m-tr\]: target-role="Bogus": roles are Stopped, Started/,
    );
  });

  it("reports several problems, one line each", () => {
    const problems = validateCib(
      parseXml(cib(dummy("r1") + dummy("r1"), `<rsc_location id="l" rsc="r1" node="n1" score="lots"/>`)),
    );
    expect(problems.map((p) => p.code).sort()).toEqual(["BAD_SCORE", "DUPLICATE_ID"]);
  });
});

describe("hacrm verify", () => {
  const dir = mkdtempSync(join(tmpdir(), "hacrm-verify-"));

  it("prints one OK line and exits 0 for a valid CIB (--xml-file and CIB_file)", async () => {
    const file = new URL("group5.xml", cases).pathname;
    const a = await run(["verify", "--xml-file", file]);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/group5\.xml: OK \(version 0\.1\.1, 3 resources, 5 constraints\)\n$/);
    const b = await run(["verify"], { CIB_file: file });
    expect(b).toEqual(a);
  });

  it("exits 1 with one line per problem for an invalid CIB", async () => {
    const file = join(dir, "bad.xml");
    writeFileSync(file, cib(dummy("r1"), `<rsc_colocation id="c" rsc="r1" with-rsc="nope" score="x"/>`));
    const r = await run(["verify", "-x", file]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err.trim().split("\n")).toEqual([
      `rsc_colocation[id=c]: with-rsc="nope": no resource or tag has id nope`,
      `rsc_colocation[id=c]: score="x": a score is an integer, INFINITY or -INFINITY`,
      `hacrm verify: ${file}: 2 problems, CIB not valid`,
    ]);
  });

  it("reads the CIB from standard input with --xml-pipe", async () => {
    const good = await run(["verify", "--xml-pipe"], {}, cib(dummy("r1")));
    expect(good.code).toBe(0);
    expect(good.out).toBe("<stdin>: OK (version 0.1.0, 1 resources, 0 constraints, 1 warning)\n");
    expect(good.err).toMatch(/^warning: cib\/configuration: stonith-enabled is true and no fencing device/);
    const bad = await run(["verify", "-p"], {}, "<cib>");
    expect(bad.code).toBe(1);
    expect(bad.err.split("\n")[0]).toBe(
      "<stdin>:1:6: unclosed element <cib> at end of input: the file is not well-formed XML",
    );
  });

  it("without a file asks the running cluster, and a missing file is a clear error", async () => {
    const live = await run(["verify"], { HACRM_SOCKET: join(dir, "no.sock") });
    expect(live.code).toBe(1);
    expect(live.err).toMatch(/no\.sock: cannot connect: .*is hacrmd running\?/);
    const r = await run(["verify", "-x", join(dir, "missing.xml")]);
    expect(r.code).toBe(66); // could not read, not invalid (1)
    expect(r.err).toMatch(/^hacrm verify: .*missing\.xml: cannot read the CIB file/);
  });
});

describe("hacrm cib show", () => {
  const file = new URL("group5.xml", cases).pathname;
  it("prints one section as XML and as JSON", async () => {
    const xml = await run(["cib", "show", "--section", "constraints"], { CIB_file: file });
    expect(xml.code).toBe(0);
    expect(xml.out).toMatch(/^<constraints>\n {2}<rsc_order id="order1"/);
    const json = await run(["cib", "show", "--section", "resources", "--json"], { CIB_file: file });
    const parsed = JSON.parse(json.out) as {
      primitive: { "@id": string }[];
      group: { primitive: unknown[] }[];
    };
    expect(parsed.primitive.map((p) => p["@id"])).toEqual(["rsc1", "rsc3"]);
    expect(parsed.group[0]?.primitive).toHaveLength(3);
  });
  it("prints the whole CIB, which parses back to the same tree", async () => {
    const r = await run(["cib", "show"], { CIB_file: file });
    const { readFileSync } = await import("node:fs");
    expect(parseXml(r.out)).toEqual(parseXml(readFileSync(file, "utf8")));
  });
  it("rejects an unknown section", async () => {
    const r = await run(["cib", "show", "--section", "bogus"], { CIB_file: file });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown section 'bogus'/);
  });
});
