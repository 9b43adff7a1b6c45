import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import {
  applyPatch,
  cloneElement,
  compareVersions,
  configurationDigest,
  diffCib,
  documentDigest,
  flattenCib,
  setVersion,
  withRoot,
  element,
  nextVersionOf,
  parseXml,
  serializeXml,
  versionOf,
  walk,
  type XmlElement,
} from "@hacrm/cib";
import type { HacrmError } from "@hacrm/common";

const cases = new URL("../../shared/conformance/scheduler/cases/", import.meta.url);
const load = (name: string) => parseXml(readFileSync(new URL(name, cases), "utf8"), name);
const base = load("clone-interleave-1.xml");

describe("versions", () => {
  it("orders (admin_epoch, epoch, num_updates) lexicographically", () => {
    const v = (admin_epoch: number, epoch: number, num_updates: number) => ({
      admin_epoch,
      epoch,
      num_updates,
    });
    expect(compareVersions(v(1, 0, 0), v(0, 99, 99))).toBe(1);
    expect(compareVersions(v(0, 2, 0), v(0, 1, 50))).toBe(1);
    expect(compareVersions(v(0, 2, 3), v(0, 2, 4))).toBe(-1);
    expect(compareVersions(v(0, 2, 3), v(0, 2, 3))).toBe(0);
  });

  it("moves epoch on a configuration edit and num_updates on a status update", () => {
    const start = versionOf(base);
    const edited = cloneElement(base);
    const resources = [...walk(edited)].find((e) => e.name === "resources") as XmlElement;
    resources.children.push(
      element("primitive", { id: "new1", class: "ocf", provider: "heartbeat", type: "Dummy" }),
    );
    const config = nextVersionOf(base, edited);
    expect(config.kind).toBe("configuration");
    expect(versionOf(config.cib)).toEqual({ ...start, epoch: start.epoch + 1, num_updates: 0 });
    expect(configurationDigest(config.cib)).not.toBe(configurationDigest(base));

    const statusEdit = cloneElement(config.cib);
    const nodeState = [...walk(statusEdit)].find((e) => e.name === "node_state") as XmlElement;
    nodeState.attrs["crmd"] = "offline";
    const status = nextVersionOf(config.cib, statusEdit);
    expect(status.kind).toBe("status");
    expect(versionOf(status.cib)).toEqual({ ...versionOf(config.cib), num_updates: 1 });
    expect(configurationDigest(status.cib)).toBe(configurationDigest(config.cib));

    expect(nextVersionOf(status.cib, cloneElement(status.cib)).kind).toBe("none");
    expect(versionOf(nextVersionOf(status.cib, cloneElement(status.cib)).cib)).toEqual(versionOf(status.cib));
  });

  it("ignores counters written by the caller except a higher admin_epoch", () => {
    const proposed = cloneElement(base);
    proposed.attrs["epoch"] = "999";
    expect(versionOf(nextVersionOf(base, proposed).cib)).toEqual(versionOf(base));
    proposed.attrs["admin_epoch"] = String(versionOf(base).admin_epoch + 1);
    expect(versionOf(nextVersionOf(base, proposed).cib)).toEqual({
      admin_epoch: versionOf(base).admin_epoch + 1,
      epoch: 0,
      num_updates: 0,
    });
  });
});

/** Random edits of a CIB tree, driven by fast-check integers. */
type Edit = { kind: number; at: number; value: number };

function mutate(doc: XmlElement, edits: Edit[]): XmlElement {
  const out = cloneElement(doc);
  for (const e of edits) {
    const all = [...walk(out)].slice(1);
    const target = all[e.at % all.length] as XmlElement;
    const parent = all.find((p) => p.children.includes(target)) ?? out;
    switch (e.kind % 7) {
      case 0:
        target.attrs[`x-attr${e.value % 3}`] = `v${e.value}`;
        break;
      case 1:
        delete target.attrs[
          Object.keys(target.attrs)[e.value % Math.max(1, Object.keys(target.attrs).length)] ?? ""
        ];
        break;
      case 2:
        parent.children.splice(parent.children.indexOf(target), 1);
        break;
      case 3:
        target.children.splice(
          e.value % (target.children.length + 1),
          0,
          element("x-new", { id: `n${e.value}` }),
        );
        break;
      case 4:
        target.children.splice(e.value % (target.children.length + 1), 0, element("lrm", {}));
        break;
      case 5:
        target.children.reverse();
        break;
      case 6:
        target.attrs = Object.fromEntries(Object.entries(target.attrs).reverse());
        break;
    }
  }
  return out;
}

const editsArb = fc.array(fc.record({ kind: fc.nat(), at: fc.nat(), value: fc.nat({ max: 1000 }) }), {
  minLength: 0,
  maxLength: 12,
});

describe("patches", () => {
  it("diff then apply reproduces the target exactly and leaves the base untouched", () => {
    fc.assert(
      fc.property(editsArb, (edits) => {
        const target = mutate(base, edits);
        const before = serializeXml(base);
        const patch = diffCib(base, target);
        const result = applyPatch(base, JSON.parse(JSON.stringify(patch)) as typeof patch);
        expect(serializeXml(result)).toBe(serializeXml(target));
        expect(serializeXml(base)).toBe(before);
      }),
      { numRuns: 150, seed: 20261121 },
    );
  });

  it("handles ids no path can quote by replacing their parent", () => {
    const target = cloneElement(base);
    const resources = [...walk(target)].find((e) => e.name === "resources") as XmlElement;
    resources.children.push(element("x-odd", { id: `it's "odd"` }));
    const patch = diffCib(base, target);
    expect(serializeXml(applyPatch(base, patch))).toBe(serializeXml(target));
    expect(patch.ops.some((o) => o.op === "replace")).toBe(true);
  });

  it("is refused on any other version, and on the same version with other content", () => {
    const edited = nextVersionOf(base, mutate(base, [{ kind: 0, at: 5, value: 1 }])).cib;
    const patch = diffCib(base, edited);
    // Small: the version attributes of <cib> and the one edited element.
    expect(patch.ops.map((o) => o.op)).toEqual(["attrs", "attrs"]);
    const newer = nextVersionOf(base, mutate(base, [{ kind: 0, at: 9, value: 2 }])).cib;
    expect(() => applyPatch(newer, patch)).toThrow(/patch is for version 0\.\d+\.\d+, this CIB is/);
    const sameVersionOtherContent = mutate(base, [{ kind: 0, at: 7, value: 3 }]);
    let err: HacrmError | undefined;
    try {
      applyPatch(sameVersionOtherContent, patch);
    } catch (e) {
      err = e as HacrmError;
    }
    expect(err?.code).toBe("PATCH_REFUSED");
    expect(err?.message).toMatch(/differs from the one the patch was made from/);
  });

  it("is never half-applied: a patch whose later op fails leaves the base as it was", () => {
    const target = mutate(base, [
      { kind: 0, at: 3, value: 1 },
      { kind: 0, at: 40, value: 2 },
    ]);
    const patch = diffCib(base, target);
    expect(patch.ops.length).toBeGreaterThanOrEqual(2);
    patch.ops.push({ op: "delete", path: "/cib/configuration/resources/primitive[@id='no-such']" });
    const before = documentDigest(base);
    expect(() => applyPatch(base, patch)).toThrow(/no element/);
    expect(documentDigest(base)).toBe(before);
    // A tampered op that succeeds but produces something else is caught by the target digest.
    const tampered = diffCib(base, target);
    const first = tampered.ops[0];
    if (first?.op === "attrs") first.attrs["x-attr9"] = "evil";
    expect(() => applyPatch(base, tampered)).toThrow(/does not match the patch's target digest/);
  });
});

describe("flattened documents (the store's single serialization)", () => {
  it("equal the flat serialization and its digest, before and after the counters move", () => {
    fc.assert(
      fc.property(editsArb, (edits) => {
        const doc = mutate(base, edits);
        const flat = flattenCib(doc);
        expect(flat.xml).toBe(serializeXml(doc, { indent: "" }));
        expect(flat.digest).toBe(documentDigest(doc));
        expect(flat.configDigest).toBe(configurationDigest(doc));
        setVersion(doc, { admin_epoch: 3, epoch: 9, num_updates: 1 });
        expect(withRoot(doc, flat).digest).toBe(documentDigest(doc));
      }),
      { numRuns: 60, seed: 5 },
    );
    const bare = element("cib", { epoch: "1" });
    expect(flattenCib(bare).xml).toBe(serializeXml(bare, { indent: "" }));
  });
});
