/** placement-strategy with node and resource utilization (each expectation checked with crm_simulate 2.1.5). */
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";

/** Two nodes with 4 CPUs each; resources r0.. needing the given CPUs. */
function cib(strategy: string, cpus: number[]): string {
  const rscs = cpus.map(
    (c, i) => `<primitive id="r${i}" class="ocf" provider="pacemaker" type="Dummy">
      <utilization id="r${i}-u"><nvpair id="r${i}-u-cpu" name="cpu" value="${c}"/></utilization></primitive>`,
  );
  const node = (n: string): string =>
    `<node id="${n}" uname="${n}"><utilization id="${n}-u"><nvpair id="${n}-u-cpu" name="cpu" value="4"/></utilization></node>`;
  const state = (n: string): string =>
    `<node_state id="${n}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`;
  return `<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1">
  <configuration><crm_config><cluster_property_set id="o">
    <nvpair id="o-s" name="stonith-enabled" value="false"/>
    <nvpair id="o-p" name="placement-strategy" value="${strategy}"/>
  </cluster_property_set></crm_config>
  <nodes>${node("n1")}${node("n2")}</nodes><resources>${rscs.join("")}</resources><constraints/></configuration>
  <status>${state("n1")}${state("n2")}</status></cib>`;
}

function perNode(strategy: string, cpus: number[]): Record<string, string[]> {
  const res = schedule(parseXml(cib(strategy, cpus), strategy), 0);
  const out: Record<string, string[]> = {};
  for (const p of res.placement) (out[p.node] ??= []).push(p.resource);
  return out;
}

describe("placement-strategy", () => {
  it("default ignores capacity; the others never exceed it", () => {
    expect(perNode("default", [8, 1])).toEqual({ n1: ["r0"], n2: ["r1"] });
    expect(perNode("utilization", [8, 1])).toEqual({ n1: ["r1"] });
    expect(perNode("balanced", [3, 3, 3])).toEqual({ n1: ["r0"], n2: ["r1"] });
  });

  it("minimal packs onto as few nodes as possible, balanced spreads by free capacity", () => {
    expect(perNode("minimal", [1, 1, 1])).toEqual({ n1: ["r0", "r1", "r2"] });
    expect(perNode("balanced", [2, 1, 1])).toEqual({ n1: ["r0"], n2: ["r1", "r2"] });
  });
});
