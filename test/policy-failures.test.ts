/**
 * Failure handling checked against crm_simulate on hand-written CIBs that
 * reproduce what operators run into (issue 10), plus the migration-threshold
 * property on generated CIBs.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { INFINITY, schedule } from "@hacrm/policy";
import { compare } from "./policy-differential-lib.js";
import { repoRoot } from "./policy-conformance-lib.js";
import { check } from "./policy-property-lib.js";

const fixture = (name: string): string => path.join(repoRoot, "test/fixtures/policy", name);

describe("failures against crm_simulate", () => {
  it("MooseFS stack: a service at fail-count INFINITY moves, and the promoted disk is demoted, not stopped", async () => {
    const file = fixture("moosefs-failcount.xml");
    const xml = fs.readFileSync(file, "utf8");
    const r = await compare(file, xml);
    expect(r.ours, r.error).toEqual(r.theirs);
    const res = schedule(parseXml(xml, file), 0);
    const lines = res.actions.map((a) => `${a.action} ${a.resource} ${a.node ?? `${a.from} -> ${a.to}`}`);
    expect(lines).toContain("demote drbd-mfs:0 mfs1");
    expect(lines).toContain("promote drbd-mfs:1 mfs2");
    expect(lines).toContain("recover mfs-master mfs1 -> mfs2");
    expect(lines.some((l) => l.startsWith("stop drbd-mfs"))).toBe(false);
    expect(res.placement).toContainEqual({ resource: "drbd-mfs:0", role: "Unpromoted", node: "mfs1" });
  });
});

interface FailureCase {
  nodes: number;
  resources: {
    threshold: number;
    failCount: number;
    timeoutSec: number;
    failedAgoSec: number;
    failedOn: number;
    preferScore: number;
    running: boolean;
  }[];
}

const NOW = 1_800_000_000;

/** A CIB with one failed recurring monitor per resource, its fail count and a location preference for that node. */
function failureCib(c: FailureCase): string {
  const nodes = Array.from({ length: c.nodes }, (_, i) => `n${i + 1}`);
  const rscs = c.resources.map((r, i) => {
    const timeout =
      r.timeoutSec > 0 ? `<nvpair id="r${i}-ft" name="failure-timeout" value="${r.timeoutSec}s"/>` : "";
    return `<primitive id="r${i}" class="ocf" provider="pacemaker" type="Dummy">
      <meta_attributes id="r${i}-meta"><nvpair id="r${i}-mt" name="migration-threshold" value="${r.threshold}"/>${timeout}</meta_attributes>
      <operations><op id="r${i}-mon" name="monitor" interval="10s"/></operations></primitive>`;
  });
  const locs = c.resources.map(
    (r, i) =>
      `<rsc_location id="loc-r${i}" rsc="r${i}" node="${nodes[r.failedOn % c.nodes]}" score="${r.preferScore}"/>`,
  );
  const states = nodes.map((n, ni) => {
    const attrs: string[] = [];
    const lrm: string[] = [];
    c.resources.forEach((r, i) => {
      if (r.failedOn % c.nodes !== ni) return;
      const at = NOW - r.failedAgoSec;
      if (r.failCount > 0) {
        attrs.push(
          `<nvpair id="${n}-fc-r${i}" name="fail-count-r${i}#monitor_10000" value="${r.failCount}"/>`,
        );
        attrs.push(`<nvpair id="${n}-lf-r${i}" name="last-failure-r${i}#monitor_10000" value="${at}"/>`);
      }
      const last = r.running
        ? `<lrm_rsc_op id="r${i}_last_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" last-rc-change="${at - 100}"/>`
        : `<lrm_rsc_op id="r${i}_last_0" operation="stop" call-id="4" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" last-rc-change="${at + 1}"/>`;
      lrm.push(`<lrm_resource id="r${i}" class="ocf" provider="pacemaker" type="Dummy">${last}
        <lrm_rsc_op id="r${i}_last_failure_0" operation="monitor" call-id="3" rc-code="7" op-status="0" interval="10000" transition-key="2:1:0:x" last-rc-change="${at}"/></lrm_resource>`);
    });
    return `<node_state id="${n}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="${n}-ta"><instance_attributes id="${n}-ia">${attrs.join("")}</instance_attributes></transient_attributes>
      <lrm id="${n}-lrm"><lrm_resources>${lrm.join("")}</lrm_resources></lrm></node_state>`;
  });
  return `<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" execution-date="${NOW}">
  <configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes>${nodes.map((n) => `<node id="${n}" uname="${n}"/>`).join("")}</nodes>
  <resources>${rscs.join("")}</resources><constraints>${locs.join("")}</constraints></configuration>
  <status>${states.join("")}</status></cib>`;
}

describe("migration-threshold (property)", () => {
  const failure = fc.record({
    threshold: fc.integer({ min: 1, max: 3 }),
    failCount: fc.integer({ min: 0, max: 4 }),
    timeoutSec: fc.constantFrom(0, 60, 600),
    failedAgoSec: fc.constantFrom(5, 59, 61, 599, 601, 3600),
    failedOn: fc.nat(),
    preferScore: fc.constantFrom(50, 1000, INFINITY),
    running: fc.boolean(),
  });
  const cases = fc.record({
    nodes: fc.integer({ min: 2, max: 4 }),
    resources: fc.array(failure, { minLength: 1, maxLength: 4 }),
  });

  it("a resource at its migration-threshold never runs on that node until the fail count expires or is cleared", () => {
    check(
      "test/policy-failures.test.ts",
      fc.property(cases, (c) => {
        const res = schedule(parseXml(failureCib(c), "generated"), 0);
        c.resources.forEach((r, i) => {
          const node = `n${(r.failedOn % c.nodes) + 1}`;
          const expired = r.timeoutSec > 0 && r.failedAgoSec >= r.timeoutSec;
          const there = res.placement.some((p) => p.resource === `r${i}` && p.node === node);
          const starts = res.graph.actions.some(
            (a) => a.resource === `r${i}` && a.task === "start" && a.node === node,
          );
          if (r.failCount >= r.threshold && !expired) {
            expect(there, `r${i} on ${node}`).toBe(false);
            expect(starts).toBe(false);
          } else if (r.preferScore === INFINITY) {
            // Below the threshold, expired or cleared: nothing keeps it from the node it must prefer.
            expect(there, `r${i} on ${node}`).toBe(true);
          }
        });
      }),
      200,
    );
  });
});
