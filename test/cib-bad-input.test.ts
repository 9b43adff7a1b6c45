import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createSilentLogger } from "@hacrm/common/logger";
import { openCibStore } from "@hacrm/cib/store";
import { parseXml, parseXmlReference, problemLine, serializeXml, type XmlElement } from "@hacrm/cib";
import { validateCibFile } from "@hacrm/cib/file";
import { validateCibText } from "@hacrm/cib/validate";
import { crmVerify, hacrmIn } from "./hacrm-cli-lib.js";

const dir = fileURLToPath(new URL("./fixtures/bad-cib/", import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, string[]>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".xml"))
  .sort();
const good = readFileSync(
  fileURLToPath(new URL("../../shared/conformance/scheduler/cases/group5.xml", import.meta.url)),
  "utf8",
);
const deps = { clock: { nowMs: () => 0, wallMs: () => 0 }, logger: createSilentLogger() };
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

const verify = (args: string[]) => hacrmIn(["verify", ...args], { cwd: dir });

describe("bad-input corpus (test/fixtures/bad-cib)", () => {
  it("has at least 40 inputs, each with its expected problem lines", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(expected).sort()).toEqual(files);
    for (const f of files) expect(expected[f]?.length, f).toBeGreaterThan(0);
  });

  it.each(files)("%s is rejected with its precise message, and nothing is written", async (file) => {
    const path = join(dir, file);
    const before = sha(path);
    const lines = validateCibFile(path)
      .problems.map(problemLine)
      .map((l) => l.replace(dir, ""));
    expect(lines).toEqual(expected[file]);

    const r = await verify(["--xml-file", path]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err.replaceAll(dir, "").trim().split("\n")).toEqual([
      ...(expected[file] ?? []),
      `hacrm verify: ${file}: ${expected[file]?.length} problem${expected[file]?.length === 1 ? "" : "s"}, CIB not valid`,
    ]);

    // A store holding a good CIB refuses it and keeps exactly what it had.
    const storePath = join(mkdtempSync(join(tmpdir(), "hacrm-bad-")), "cib.sqlite");
    const store = openCibStore({ path: storePath }, deps);
    const kept = store.commit(parseXml(good));
    expect(() => store.commit(parseXml(readFileSync(path, "utf8"), file))).toThrow();
    expect(store.current()?.digest).toBe(kept.digest);
    store.close();
    const db = new Database(storePath);
    expect((db.prepare("SELECT COUNT(*) AS n FROM versions").get() as { n: number }).n).toBe(1);
    db.close();
    expect(sha(path)).toBe(before);
  });

  it("is rejected by Pacemaker's crm_verify too (each file)", async () => {
    const accepted: string[] = [];
    const queue = [...files];
    const worker = async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
        if ((await crmVerify(join(dir, f))) === 0) accepted.push(f);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(accepted).toEqual([]);
  }, 60_000);
});

function bigCib(primitives: number, constraints = ""): string {
  const rs: string[] = [];
  for (let i = 0; i < primitives; i++)
    rs.push(`<primitive id="r${i}" class="ocf" provider="heartbeat" type="Dummy"/>`);
  return `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>${rs.join("\n")}</resources><constraints>${constraints}</constraints></configuration><status/></cib>`;
}

describe("generated huge and deep inputs", () => {
  it("refuses 100000 nested elements without overflowing the stack", () => {
    const depth = 100_000;
    const text = `<cib admin_epoch="0" epoch="1" num_updates="0">\n${"<x>".repeat(depth)}${"</x>".repeat(depth)}</cib>`;
    const r = validateCibText(text, "deep.xml");
    expect(r.problems.map(problemLine)).toEqual([
      "deep.xml:2: elements nested deeper than 256 levels: a CIB is at most a few levels deep; this input is not a CIB",
    ]);
  });

  it("refuses input over the size limit before parsing, from text and from a file", () => {
    const text = bigCib(40_000);
    expect(text.length).toBeGreaterThan(2_000_000);
    const limits = { textCharsMax: 1_000_000 };
    expect(validateCibText(text, "huge.xml", { limits }).problems.map((p) => p.code)).toEqual(["TOO_LARGE"]);
    const file = join(mkdtempSync(join(tmpdir(), "hacrm-huge-")), "huge.xml");
    writeFileSync(file, text);
    const [p] = validateCibFile(file, { limits: { textCharsMax: 100_000 } }).problems;
    expect(p && problemLine(p)).toMatch(
      /huge\.xml: file is over the limit of 100000 characters: refused after that many bytes$/,
    );
  });

  it("finds the one duplicate id among 50000 resources and names it", () => {
    const text = bigCib(50_000).replace('<primitive id="r49999"', '<primitive id="r17"');
    expect(validateCibText(text, "big.xml").problems.map(problemLine)).toEqual([
      `primitive[id=r17]: id "r17" used again: already used by <primitive>; ids must be unique`,
    ]);
  });

  it("lists at most 500 problems and summarises the rest", () => {
    const constraints = Array.from(
      { length: 20_000 },
      (_, i) => `<rsc_location id="l${i}" rsc="ghost${i}" node="n" score="1"/>`,
    ).join("");
    const problems = validateCibText(bigCib(1, constraints), "many.xml").problems;
    expect(problems).toHaveLength(501);
    expect(problemLine(problems[0]!)).toBe(
      `rsc_location[id=l0]: rsc="ghost0": no resource or tag has id ghost0`,
    );
    expect(problemLine(problems[500]!)).toBe("cib: 19500 more problems: not listed (the first 500 are)");
  });
});

/** Random small trees with awkward attribute values and text. */
const nameArb = fc.constantFrom("cib", "primitive", "nvpair", "x-new", "rsc_location", "op");
const valueArb = fc.string({
  unit: fc.constantFrom("a", " ", "&", "<", ">", '"', "'", "\n", "\t", "é", "#", ";", "x"),
});
function treeArbAt(depth: number): fc.Arbitrary<XmlElement> {
  return fc.record({
    name: nameArb,
    attrs: fc.dictionary(fc.constantFrom("id", "name", "value", "score", "x-y"), valueArb, { maxKeys: 4 }),
    children: depth === 0 ? fc.constant([]) : fc.array(treeArbAt(depth - 1), { maxLength: 3 }),
  });
}
const treeArb = treeArbAt(3);

describe("XML reader against fast-xml-parser (the oracle)", () => {
  it("reads what serializeXml writes back to the same tree, as fast-xml-parser does", () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const text = serializeXml(tree);
        expect(parseXml(text)).toEqual(tree);
        expect(parseXmlReference(text)).toEqual(tree);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("never accepts a corrupted document that fast-xml-parser rejects", () => {
    const doc = serializeXml(parseXml(good));
    const corrupt = fc.record({
      at: fc.nat({ max: doc.length - 1 }),
      insert: fc.constantFrom("<", ">", "&", '"', "/", "=", "", "'"),
    });
    fc.assert(
      fc.property(corrupt, ({ at, insert }) => {
        const text = doc.slice(0, at) + insert + doc.slice(at + 1);
        let ours = true;
        try {
          parseXml(text);
        } catch {
          ours = false;
        }
        let reference = true;
        try {
          parseXmlReference(text);
        } catch {
          reference = false;
        }
        if (ours) expect(reference).toBe(true);
      }),
      { numRuns: 400, seed: 11 },
    );
  });
});
