import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  commitCib,
  element,
  parseXml,
  problemLine,
  rebaseChanges,
  serializeXml,
  type XmlElement,
} from "@hacrm/cib";
import { commitCibFile, writeFileDurably } from "@hacrm/cib/file";
import { validateCib } from "@hacrm/cib/validate";

const cibText = (resources: string, status = "", counters = 'admin_epoch="0" epoch="5" num_updates="3"') =>
  `<cib validate-with="pacemaker-3.9" crm_feature_set="3.17.4" ${counters}><configuration><crm_config/><nodes/>` +
  `<resources>${resources}</resources><constraints/></configuration><status>${status}</status></cib>`;
const dummy = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
const validate = (cib: XmlElement) => validateCib(cib);
const counters = (cib: XmlElement) => [
  cib.attrs["admin_epoch"],
  cib.attrs["epoch"],
  cib.attrs["num_updates"],
];

describe("commitCib (pure)", () => {
  const current = parseXml(cibText(dummy("a")));

  it("moves epoch and resets num_updates on a configuration change", () => {
    const r = commitCib(current, parseXml(cibText(dummy("a") + dummy("b"))), { validate });
    expect(r.ok && counters(r.cib)).toEqual(["0", "6", "0"]);
    expect(r.ok && r.kind).toBe("configuration");
  });

  it("moves num_updates only on a status change, and nothing when nothing changed", () => {
    const status = parseXml(cibText(dummy("a"), `<node_state id="1" uname="n1"/>`));
    const r = commitCib(current, status, { validate });
    expect(r.ok && counters(r.cib)).toEqual(["0", "5", "4"]);
    const same = commitCib(current, parseXml(cibText(dummy("a"))), { validate });
    expect(same.ok && [same.kind, ...counters(same.cib)]).toEqual(["none", "0", "5", "3"]);
  });

  it("ignores counters written in the proposal, except a higher admin_epoch", () => {
    const r = commitCib(
      current,
      parseXml(cibText(dummy("b"), "", 'admin_epoch="0" epoch="99" num_updates="7"')),
      {
        validate,
      },
    );
    expect(r.ok && counters(r.cib)).toEqual(["0", "6", "0"]);
    const admin = commitCib(
      current,
      parseXml(cibText(dummy("a"), "", 'admin_epoch="2" epoch="5" num_updates="3"')),
      {
        validate,
      },
    );
    expect(admin.ok && counters(admin.cib)).toEqual(["2", "0", "0"]);
  });

  it("refuses what verify refuses, with verify's problems", () => {
    const bad = parseXml(cibText(`<primitive id="a" class="ocf" type="Dummy"/>`));
    const r = commitCib(current, bad, { validate });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map(problemLine)).toEqual(validateCib(bad).map(problemLine));
  });
});

describe("rebaseChanges", () => {
  const base = parseXml(cibText(dummy("a")));
  it("replays an addition on a CIB someone else added to", () => {
    const mine = parseXml(cibText(dummy("a") + dummy("mine")));
    const theirs = parseXml(cibText(dummy("a") + dummy("theirs")));
    const merged = rebaseChanges(base, mine, theirs);
    const ids = merged.children[0]?.children
      .find((c) => c.name === "resources")
      ?.children.map((c) => c.attrs["id"]);
    expect(ids?.sort()).toEqual(["a", "mine", "theirs"]);
  });
  it("refuses when both changed the same attribute differently", () => {
    const mine = parseXml(cibText(dummy("a").replace("Dummy", "Stateful")));
    const theirs = parseXml(cibText(dummy("a").replace("Dummy", "IPaddr2")));
    expect(() => rebaseChanges(base, mine, theirs)).toThrow(/both writers changed type/);
  });
});

describe("CIB files", () => {
  const dir = mkdtempSync(join(tmpdir(), "hacrm-write-"));

  it("writes through a symlink to its target, keeps the mode, leaves no temporary file", async () => {
    const target = join(dir, "real.xml");
    writeFileSync(target, cibText(dummy("a")), { mode: 0o640 });
    const link = join(dir, "link.xml");
    symlinkSync(target, link);
    await writeFileDurably(link, "new");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(["link.xml", "real.xml"]);
  });

  it("commits a valid change and writes nothing for an invalid one", async () => {
    const file = join(dir, "c.xml");
    writeFileSync(file, cibText(dummy("a")));
    const ok = await commitCibFile(file, parseXml(cibText(dummy("a") + dummy("b"))));
    expect(ok.ok).toBe(true);
    expect(counters(parseXml(readFileSync(file, "utf8")))).toEqual(["0", "6", "0"]);
    const before = readFileSync(file, "utf8");
    const bad = parseXml(cibText(dummy("a") + `<primitive id="c" class="nope" type="x"/>`));
    const r = await commitCibFile(file, bad);
    expect(r.ok).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("rebases a proposal made from an older version on what the file holds now", async () => {
    const file = join(dir, "r.xml");
    writeFileSync(file, cibText(dummy("a")));
    const base = parseXml(readFileSync(file, "utf8"));
    const one = parseXml(serializeXml(base));
    one.children[0]?.children
      .find((c) => c.name === "resources")
      ?.children.push(element("primitive", { id: "x", class: "ocf", provider: "heartbeat", type: "Dummy" }));
    const two = parseXml(serializeXml(base));
    two.children[0]?.children
      .find((c) => c.name === "resources")
      ?.children.push(element("primitive", { id: "y", class: "ocf", provider: "heartbeat", type: "Dummy" }));
    await commitCibFile(file, one, { base });
    await commitCibFile(file, two, { base });
    const now = parseXml(readFileSync(file, "utf8"));
    expect(
      now.children[0]?.children.find((c) => c.name === "resources")?.children.map((c) => c.attrs["id"]),
    ).toEqual(["a", "y", "x"]);
    expect(counters(now)).toEqual(["0", "7", "0"]);
  });
});
