/** `hacrm simulate`, run in-process: human output, --json, --show-scores, --save-graph, CIB_file, errors. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hacrmIn } from "./hacrm-cli-lib.js";
import { corpusDir } from "./policy-conformance-lib.js";

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => hacrmIn(args, { env });

const caseFile = (name: string): string => path.join(corpusDir, "cases", `${name}.xml`);

describe("hacrm simulate", () => {
  it("prints current status, transition summary and revised status", async () => {
    const r = await run(["simulate", "--xml-file", caseFile("rsc_dep4")]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Current cluster status:[\s\S]*rsc4\t\(ocf:heartbeat:apache\):\t Started node1/);
    expect(r.out).toMatch(/Transition Summary:\n[\s\S]*Move +rsc4\t\( node1 -> node2 \)/);
    expect(r.out).toMatch(/Revised Cluster Status:[\s\S]*rsc4\t\(ocf:heartbeat:apache\):\t Started node2/);
  });

  it("--json prints the contract, and CIB_file works", async () => {
    const r = await run(["simulate", "--json"], { CIB_file: caseFile("rsc_dep4") });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { actions: unknown[]; placement: unknown[] };
    expect(j.actions).toContainEqual({ action: "move", resource: "rsc4", from: "node1", to: "node2" });
    expect(j.actions).toContainEqual({ action: "start", resource: "rsc2", node: "node1" });
    expect(j.placement).toContainEqual({ resource: "rsc3", role: "Started", node: "node2" });
  });

  it("--json reports promotion and blocked actions", async () => {
    const p = JSON.parse((await run(["simulate", "--xml-file", caseFile("promoted-1"), "--json"])).out) as {
      actions: { action: string }[];
    };
    expect(p.actions.filter((a) => a.action === "promote")).toHaveLength(1);
    const b = JSON.parse(
      (await run(["simulate", "--xml-file", caseFile("unmanaged-stop-1"), "--json"])).out,
    ) as {
      actions: unknown[];
      placement: unknown[];
    };
    expect(b.actions).toEqual([{ action: "stop", resource: "rsc1", node: "yingying.site", blocked: true }]);
    expect(b.placement).toContainEqual({ resource: "rsc2", role: "Failed", node: "yingying.site" });
  });

  it("--show-scores explains each score by its parts", async () => {
    const r = await run(["simulate", "--xml-file", caseFile("rsc_dep4"), "--show-scores"]);
    expect(r.out).toMatch(
      /rsc3:\n\s+node1\s+-INFINITY\n\s+-INFINITY\s+colocation same_3_4: rsc4 is not here/,
    );
    const s = await run(["simulate", "--xml-file", caseFile("promoted-1"), "--show-scores"]);
    expect(s.out).toMatch(/Promotion scores:[\s\S]*100\s+location promoted-node2 \(Promoted\)/);
  });

  it("--save-graph writes an acyclic JSON graph, or Graphviz with --dot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hacrm-graph-"));
    try {
      const json = path.join(dir, "g.json");
      expect(
        (await run(["simulate", "--xml-file", caseFile("rsc_dep4"), "--save-graph", json, "--json"])).code,
      ).toBe(0);
      const g = JSON.parse(fs.readFileSync(json, "utf8")) as {
        actions: { id: number; resource?: string; task: string; node?: string; inputs: number[] }[];
      };
      const stop = g.actions.find((a) => a.resource === "rsc4" && a.task === "stop")!;
      const start = g.actions.find((a) => a.resource === "rsc4" && a.task === "start")!;
      expect(stop.node).toBe("node1");
      expect(start.node).toBe("node2");
      expect(start.inputs).toContain(stop.id);
      const dot = path.join(dir, "g.dot");
      await run(["simulate", "--xml-file", caseFile("rsc_dep4"), "--save-graph", dot, "--dot", "--json"]);
      expect(fs.readFileSync(dot, "utf8")).toMatch(
        /^digraph transition \{[\s\S]*"rsc4_stop_0 node1" -> "rsc4_start_0 node2";/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails clearly without a cluster to ask, on a missing file, and on what stays refused (bundles)", async () => {
    // Without --xml-file or CIB_file it simulates on the running cluster's CIB (live mode): none here.
    const socket = path.join(os.tmpdir(), `hacrm-no-daemon-${process.pid}.sock`);
    const live = await run(["simulate"], { HACRM_SOCKET: socket });
    expect(live.code).toBe(1);
    expect(live.err).toMatch(/cannot connect[\s\S]*is hacrmd running/);
    const missing = await run(["simulate", "--xml-file", "/nonexistent/cib.xml"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read/);
    const bundle = await run(["simulate", "--xml-file", caseFile("bundle-order-startup"), "--json"]);
    expect(bundle.code).toBe(1);
    expect(bundle.err).toMatch(/bundles are not supported/);
    // Date rules are evaluated, not refused.
    expect((await run(["simulate", "--xml-file", caseFile("date-1"), "--json"])).code).toBe(0);
  });
});
