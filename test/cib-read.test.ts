import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseXml, readCib, serializeXml, walk, type Clone, type Group, type RscOrder } from "@hacrm/cib";

const cases = new URL("../../shared/conformance/scheduler/cases/", import.meta.url);
const load = (name: string) => readCib(parseXml(readFileSync(new URL(name, cases), "utf8"), name));

describe("readCib", () => {
  it("reads version attributes, resources, constraints and status of a real CIB", () => {
    const cib = load("1-a-then-bm-move-b.xml");
    expect(cib.version).toEqual({
      admin_epoch: 0,
      epoch: expect.any(Number),
      num_updates: expect.any(Number),
    });
    expect(cib["validate-with"]).toMatch(/^pacemaker-/);
    expect(cib.configuration.resources.map((r) => `${r.element}:${r.id}`)).toEqual([
      "primitive:A",
      "primitive:B",
    ]);
    const order = cib.configuration.constraints.find((c) => c.element === "rsc_order") as RscOrder;
    expect([order.first, order.then]).toEqual(["A", "B"]);
    expect(cib.status.node_state.map((n) => n.uname).sort()).toEqual(["18node1", "18node2", "18node3"]);
    const ops = cib.status.node_state.flatMap((n) => n.lrm?.lrm_resources ?? []).flatMap((r) => r.lrm_rsc_op);
    expect(ops.every((o) => typeof o.operation === "string" && o["rc-code"] !== undefined)).toBe(true);
  });

  it("reads groups inside clones, promotable clones and resource sets", () => {
    const cib = load("clone-interleave-1.xml");
    const clones = cib.configuration.resources.filter((r): r is Clone => r.element === "clone");
    expect(clones.length).toBeGreaterThan(0);
    const sets = load("order-sets.xml").configuration.constraints.flatMap((c) => c.resource_sets);
    expect(sets.length).toBeGreaterThan(0);
    expect(sets[0]?.resource_refs.length).toBeGreaterThan(0);
    const grp = load("group5.xml").configuration.resources.find((r): r is Group => r.element === "group");
    expect(grp?.primitives.length).toBeGreaterThan(1);
  });

  it("keeps the raw tree so unknown attributes survive and rules are typed", () => {
    const tree =
      parseXml(`<cib epoch="3" num_updates="1" admin_epoch="0" x-new="1"><configuration><crm_config/><nodes/>
      <resources><primitive id="r" class="ocf" provider="heartbeat" type="Dummy" x-attr="kept"/></resources>
      <constraints><rsc_location id="l" rsc="r"><rule id="ru" score="-INFINITY" boolean-op="or">
        <expression id="e" attribute="#uname" operation="eq" value="n1"/>
        <date_expression id="d" operation="date_spec"><date_spec id="ds" hours="9-17"/></date_expression>
      </rule></rsc_location></constraints></configuration><status/></cib>`);
    const cib = readCib(tree);
    expect(cib.version).toEqual({ admin_epoch: 0, epoch: 3, num_updates: 1 });
    const loc = cib.configuration.constraints[0];
    expect(loc?.element === "rsc_location" && loc.rules[0]?.expressions.map((e) => e.element)).toEqual([
      "expression",
      "date_expression",
    ]);
    expect(serializeXml(cib.raw)).toContain(`x-attr="kept"`);
    expect(cib.raw.attrs["x-new"]).toBe("1");
  });

  it("walks elements depth-first in document order", () => {
    const tree = parseXml(`<a><b><c/><d/></b><e><f/></e></a>`);
    expect([...walk(tree)].map((e) => e.name).join("")).toBe("abcdef");
  });

  it("refuses a document whose root is not cib", () => {
    expect(() => readCib(parseXml("<configuration/>"))).toThrow(/root element is <configuration>/);
  });
});
