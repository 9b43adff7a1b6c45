/**
 * Date rules (date_expression: in_range with end or duration, gt, lt,
 * date_spec) in location constraints, evaluated at `--date`, each checked
 * against crm_simulate --set-datetime on the same CIB.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";
import { parseDate } from "../packages/shell/src/commands/simulate.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hacrm-rules-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** r1 prefers node2 (score 100) while the date expression holds, node1 (50) always; node2 has test_val=`value`. */
function cib(expression: string, value = "3.4"): string {
  const state = (n: string): string =>
    `<node_state id="${n}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`;
  return `<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1">
  <configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2">
    <instance_attributes id="n2-a"><nvpair id="n2-a-t" name="test_val" value="${value}"/></instance_attributes></node></nodes>
  <resources><primitive id="r1" class="ocf" provider="pacemaker" type="Dummy"/></resources>
  <constraints>
    <rsc_location id="l1" rsc="r1" node="node1" score="50"/>
    <rsc_location id="l2" rsc="r1"><rule id="l2-r" score="100">
      <expression id="l2-e" attribute="#uname" operation="eq" value="node2"/>${expression}</rule></rsc_location>
  </constraints></configuration>
  <status>${state("node1")}${state("node2")}</status></cib>`;
}

function ours(xml: string, date: string): string | undefined {
  return schedule(parseXml(xml, "rule"), parseDate(date)).placement.find((p) => p.resource === "r1")?.node;
}

function theirs(xml: string, date: string): string | undefined {
  const file = path.join(dir, "rule.xml");
  fs.writeFileSync(file, xml);
  const out = execFileSync("crm_simulate", ["-S", "-x", file, "--set-datetime", date], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return /Start\s+r1\s+\(\s*(\S+)\s*\)/.exec(out)?.[1];
}

const expressions: [string, string][] = [
  ["gt", `<date_expression id="d" operation="gt" start="2024-03-01"/>`],
  ["lt", `<date_expression id="d" operation="lt" end="2024-03-01T12:00:00Z"/>`],
  ["in_range", `<date_expression id="d" operation="in_range" start="2024-02-01" end="2024-03-15"/>`],
  [
    "in_range + duration",
    `<date_expression id="d" operation="in_range" start="2024-02-20"><duration id="dd" hours="480"/></date_expression>`,
  ],
  [
    "date_spec hours and weekdays",
    `<date_expression id="d" operation="date_spec"><date_spec id="ds" hours="9-16" weekdays="1-5"/></date_expression>`,
  ],
  ["ordinal date", `<date_expression id="d" operation="gt" start="2024-061"/>`],
];
const dates = [
  "2024-01-15T10:00:00Z",
  "2024-03-01T10:00:00Z",
  "2024-03-02T20:00:00Z",
  "2024-03-20T08:30:00Z",
];

describe("date rules against crm_simulate --set-datetime", () => {
  for (const [name, expr] of expressions) {
    it(name, () => {
      const xml = cib(expr);
      const seen = new Set<string | undefined>();
      for (const date of dates) {
        const node = ours(xml, date);
        expect(node, `${name} at ${date}`).toBe(theirs(xml, date));
        seen.add(node);
      }
      // Each expression is true at some of the dates and false at others.
      expect(seen.size).toBe(2);
    });
  }

  it("refuses a date that is not ISO 8601, naming the expression", () => {
    const xml = cib(`<date_expression id="bad-date" operation="gt" start="next tuesday"/>`);
    expect(() => ours(xml, "2024-01-01")).toThrow(
      expect.objectContaining({ where: "date_expression bad-date" }),
    );
  });
});

describe("attribute expressions against crm_simulate", () => {
  const cases: [string, string, string][] = [
    ["integer reads leading digits", `type="integer" operation="eq" value="3.6"`, "3.4"],
    [
      "number that does not parse compares as a string",
      `type="number" operation="gt" value="as10.0"`,
      "as2.0",
    ],
    ["gt without a type compares integers", `operation="gt" value="10"`, "9"],
    ["eq without a type compares strings", `operation="eq" value="01"`, "1"],
    ["version", `type="version" operation="lt" value="1.10"`, "1.9"],
  ];
  for (const [name, attrs, value] of cases) {
    it(name, () => {
      const xml = cib(`<expression id="x" attribute="test_val" ${attrs}/>`, value);
      expect(ours(xml, "2024-01-01")).toBe(theirs(xml, "2024-01-01"));
    });
  }
});
