/**
 * Property tests: score arithmetic and transition-graph invariants.
 *
 * Replayable (policy-property-lib.ts): PROPERTY_SEED and PROPERTY_RUNS; a
 * generated CIB that breaks the engine is named by the gen-cib line that
 * writes it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import {
  addScores,
  assertAcyclic,
  assertTransition,
  checkTransition,
  INFINITY,
  schedule,
  type GraphAction,
  type ScheduleResult,
  type TransitionGraph,
} from "@hacrm/policy";
import { compare, genCib, SHAPES } from "./policy-differential-lib.js";
import { repoRoot } from "./policy-conformance-lib.js";
import { budgetMs, check } from "./policy-property-lib.js";

const FILE = "test/policy-properties.test.ts";

const score = fc.oneof(
  fc.integer({ min: -2 * INFINITY, max: 2 * INFINITY }),
  fc.constantFrom(INFINITY, -INFINITY, 0, 1, -1),
);

describe("score arithmetic", () => {
  it("stays within [-INFINITY, INFINITY] and is commutative", () => {
    check(
      FILE,
      fc.property(score, score, (a, b) => {
        const s = addScores(a, b);
        expect(s).toBeGreaterThanOrEqual(-INFINITY);
        expect(s).toBeLessThanOrEqual(INFINITY);
        expect(addScores(b, a)).toBe(s);
      }),
      100,
    );
  });

  it("-INFINITY wins over everything, +INFINITY over everything else", () => {
    check(
      FILE,
      fc.property(score, (a) => {
        expect(addScores(a, -INFINITY)).toBe(-INFINITY);
        if (a > -INFINITY) expect(addScores(a, INFINITY)).toBe(INFINITY);
      }),
      100,
    );
  });

  it("is plain addition away from the bounds, with 0 as identity", () => {
    const small = fc.integer({ min: -400_000, max: 400_000 });
    check(
      FILE,
      fc.property(small, small, small, (a, b, c) => {
        expect(addScores(a, b)).toBe(a + b);
        expect(addScores(addScores(a, b), c)).toBe(addScores(a, addScores(b, c)));
        expect(addScores(a, 0)).toBe(a);
      }),
      100,
    );
  });
});

function ancestors(g: GraphAction[], id: number): Set<number> {
  const byId = new Map(g.map((a) => [a.id, a]));
  const seen = new Set<number>();
  const stack = [...(byId.get(id)?.inputs ?? [])];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(byId.get(x)?.inputs ?? []));
  }
  return seen;
}

/** Tier-1/2 shapes of the differential test plus failure shapes (fencing, quorum loss). */
const PROPERTY_SHAPES: Record<string, string[]> = {
  ...SHAPES,
  unclean:
    "--nodes 4 --resources 8 --groups 1 --clones 1 --promotable 1 --location 3 --colocation 2 --order 2 --running --stonith --unclean 1".split(
      " ",
    ),
  noQuorumStop:
    "--nodes 5 --resources 8 --groups 1 --clones 1 --location 3 --colocation 2 --order 2 --running --offline 3 --no-quorum-policy stop".split(
      " ",
    ),
};

function generated(shape: string, seed: number): ScheduleResult {
  const args = ["--seed", String(seed), ...PROPERTY_SHAPES[shape]!];
  const xml = execFileSync("node", [genCib, ...args], { encoding: "utf8" });
  try {
    // schedule() asserts the transition invariants itself: a violation throws here.
    return schedule(parseXml(xml, `${shape}-${seed}`), 0);
  } catch (err) {
    (err as Error).message = `${shape} CIB (node ${genCib} ${args.join(" ")}): ${(err as Error).message}`;
    throw err;
  }
}

describe("transition graph invariants on generated CIBs", () => {
  it(
    "stops before starting a moved resource, acts only on eligible nodes, runs nothing twice",
    () => {
      const shapes = Object.keys(PROPERTY_SHAPES);
      check(
        FILE,
        fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(...shapes), (seed, shape) => {
          const res = generated(shape, seed);
          const g = res.graph.actions;
          expect(checkTransition(res.workingSet, res.graph)).toEqual([]);
          const nodes = res.workingSet.nodesByName;
          for (const a of g) {
            if (a.pseudo || !a.node || a.task === "fence") continue;
            const n = nodes.get(a.node)!;
            expect(n.online, `${a.task} ${a.resource} on offline ${a.node}`).toBe(true);
            if (a.task === "start" || a.task === "promote") {
              expect(n.standby || n.shutdown || n.maintenance, `${a.task} ${a.resource} on ${a.node}`).toBe(
                false,
              );
            }
          }
          for (const start of g.filter((a) => a.task === "start")) {
            const stop = g.find(
              (a) => a.task === "stop" && a.resource === start.resource && a.node !== start.node,
            );
            if (stop)
              expect(ancestors(g, start.id).has(stop.id), `stop before start of ${start.resource}`).toBe(
                true,
              );
          }
          const active = new Map<string, number>();
          for (const p of res.placement) {
            const rsc = res.workingSet.rscById.get(p.resource);
            if (rsc?.parent?.kind === "clone" || rsc?.parent?.parent?.kind === "clone") continue;
            active.set(p.resource, (active.get(p.resource) ?? 0) + 1);
          }
          for (const [r, count] of active)
            expect(count, `${r} active on ${count} nodes`).toBeLessThanOrEqual(1);
        }),
        30,
      );
    },
    budgetMs(30),
  );

  it(
    "with stonith-enabled=true, nothing that was on an unclean node starts elsewhere before its fence",
    () => {
      let fenced = 0;
      check(
        FILE,
        fc.property(fc.integer({ min: 1, max: 100_000 }), (seed) => {
          const res = generated("unclean", seed);
          const ws = res.workingSet;
          expect(ws.options.stonithEnabled).toBe(true);
          const g = res.graph.actions;
          for (const node of ws.nodes.filter((n) => n.unclean)) {
            const fence = g.find((a) => a.task === "fence" && a.node === node.uname);
            if (fence) fenced++;
            for (const p of ws.primitives.filter((q) => q.runningOn.includes(node))) {
              for (const a of g) {
                if (a.resource !== p.id || a.pseudo || a.node === node.uname) continue;
                if (a.task !== "start" && a.task !== "promote" && a.task !== "migrate_from") continue;
                expect(
                  fence,
                  `${a.task} ${p.id} on ${a.node} while ${node.uname} is unclean and not fenced`,
                ).toBeDefined();
                expect(
                  ancestors(g, a.id).has(fence!.id),
                  `${a.task} ${p.id} before fencing ${node.uname}`,
                ).toBe(true);
              }
            }
          }
        }),
        10,
      );
      // The generator's unclean nodes are fenced: the property is not vacuous.
      expect(fenced).toBeGreaterThan(0);
    },
    budgetMs(10),
  );

  it(
    "with no-quorum-policy=stop and no quorum, nothing starts anywhere",
    () => {
      check(
        FILE,
        fc.property(fc.integer({ min: 1, max: 100_000 }), (seed) => {
          const res = generated("noQuorumStop", seed);
          expect(res.workingSet.options.haveQuorum).toBe(false);
          const starts = res.graph.actions.filter(
            (a) => !a.pseudo && (a.task === "start" || a.task === "promote"),
          );
          expect(starts.map((a) => `${a.task} ${a.resource} ${a.node}`)).toEqual([]);
        }),
        10,
      );
    },
    budgetMs(10),
  );

  it("assertAcyclic rejects a cycle", () => {
    const a = (id: number, inputs: number[]): GraphAction => ({
      id,
      task: "start",
      intervalMs: 0,
      timeoutMs: 1,
      pseudo: false,
      inputs,
    });
    expect(() => assertAcyclic([a(0, [1]), a(1, [0])])).toThrow(/cycle/);
    expect(() => assertAcyclic([a(0, []), a(1, [0])])).not.toThrow();
  });
});

describe("regressions found by the graph property", () => {
  it("a promotable clone restarting beside a new instance: the new instance has no stop (smallRunning seed 4368)", async () => {
    // p1:0 and p1:1 restart in place (their order after c1-clone, which starts
    // new instances, requires it) while p1:2 starts on node1. The clone's stop
    // used to give p1:2, active nowhere, a stop on no node, not ordered before
    // its start: a graph action standing for nothing, which Pacemaker's graph
    // does not hold.
    const file = path.join(repoRoot, "test/fixtures/policy/promotable-restart-beside-new-instance.xml");
    const xml = fs.readFileSync(file, "utf8");
    const r = await compare(file, xml);
    expect(r.ours, r.error).toEqual(r.theirs);
    const res = schedule(parseXml(xml, file), 0);
    const g = res.graph.actions;
    expect(
      g.filter((a) => a.resource?.startsWith("p1:2")).map((a) => `${a.task} ${a.node} ${a.intervalMs}`),
    ).toEqual(expect.arrayContaining(["start node1 0", "monitor node1 11000"]));
    expect(g.filter((a) => a.resource === "p1:2" && a.task === "stop")).toEqual([]);
    const nodeless = g.filter(
      (a) => a.node === undefined && res.workingSet.rscById.get(a.resource ?? "")?.kind === "primitive",
    );
    expect(nodeless.map((a) => `${a.task} ${a.resource}`)).toEqual([]);
    for (const inst of ["p1:0", "p1:1"]) {
      const stop = g.find((a) => a.task === "stop" && a.resource === inst)!;
      const start = g.find((a) => a.task === "start" && a.resource === inst)!;
      expect(ancestors(g, start.id).has(stop.id), `${inst} stops before it starts`).toBe(true);
    }
    expect(checkTransition(res.workingSet, res.graph)).toEqual([]);
  });
});

/** A small cluster where r1 moves from node1 (standby now) to node2. */
const moveCib = `<cib have-quorum="1" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes>
      <node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1s" name="standby" value="on"/></instance_attributes></node>
      <node id="2" uname="node2"/>
      <node id="3" uname="node3"/>
    </nodes>
    <resources><primitive id="r1" class="ocf" provider="pacemaker" type="Dummy"/></resources>
    <constraints><rsc_location id="l1" rsc="r1" node="node3" score="-INFINITY"/></constraints>
  </configuration>
  <status>
    ${[1, 2, 3]
      .map(
        (
          i,
        ) => `<node_state id="${i}" uname="node${i}" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="${i}"><lrm_resources><lrm_resource id="r1" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="r1_last_0" operation="${i === 1 ? "start" : "monitor"}" call-id="1" rc-code="${i === 1 ? 0 : 7}" op-status="0" interval="0" transition-key="1:1:${i === 1 ? 0 : 7}:x"/>
      </lrm_resource></lrm_resources></lrm></node_state>`,
      )
      .join("\n")}
  </status>
</cib>`;

describe("the transition invariants catch a broken graph", () => {
  const fresh = (): {
    res: ScheduleResult;
    graph: TransitionGraph;
    start: GraphAction;
    stop: GraphAction;
  } => {
    const res = schedule(moveCib, 0);
    const graph: TransitionGraph = {
      actions: res.graph.actions.map((a) => ({ ...a, inputs: [...a.inputs] })),
    };
    const start = graph.actions.find((a) => a.task === "start" && a.resource === "r1")!;
    const stop = graph.actions.find((a) => a.task === "stop" && a.resource === "r1")!;
    return { res, graph, start, stop };
  };

  it("the intact graph moves r1 from node1 to node2 and passes", () => {
    const { res, graph, start, stop } = fresh();
    expect([start.node, stop.node]).toEqual(["node2", "node1"]);
    expect(checkTransition(res.workingSet, graph)).toEqual([]);
  });

  it("a start that does not wait for the stop is caught", () => {
    const { res, graph, start } = fresh();
    start.inputs = [];
    expect(checkTransition(res.workingSet, graph)).toEqual([
      "start of r1 on node2 does not wait for its stop on node1",
    ]);
    expect(() => assertTransition(res.workingSet, graph)).toThrow(/does not wait for its stop/);
  });

  it("a resource left active on two nodes is caught", () => {
    const { res, graph, stop } = fresh();
    graph.actions = graph.actions
      .filter((a) => a !== stop)
      .map((a) => ({ ...a, inputs: a.inputs.filter((i) => i !== stop.id) }));
    expect(checkTransition(res.workingSet, graph)).toEqual([
      "r1 would be active on node1, node2 after the transition",
    ]);
  });

  it("an action of a resource on no node is caught", () => {
    const { res, graph, stop } = fresh();
    graph.actions.push({ ...stop, id: 100, node: undefined, pseudo: true, inputs: [] });
    expect(checkTransition(res.workingSet, graph)).toEqual(["stop of r1 on no node"]);
  });

  it("a start on a node that cannot host it, or where it is banned, is caught", () => {
    const { res, graph, start } = fresh();
    start.node = "node1";
    expect(checkTransition(res.workingSet, graph)).toContain(
      "start of r1 on node1, which cannot host resources",
    );
    start.node = "node3";
    expect(checkTransition(res.workingSet, graph)).toContain(
      "start of r1 on node3, where its score is -INFINITY",
    );
  });

  it("a recovery from an unclean node before its fence is caught", () => {
    const { res, graph } = fresh();
    const ws = res.workingSet;
    ws.options.stonithEnabled = true;
    ws.nodesByName.get("node1")!.unclean = true;
    expect(checkTransition(ws, graph)).toContain("start of r1 on node2 before unclean node1 is fenced");
    const fence: GraphAction = {
      id: 100,
      task: "fence",
      node: "node1",
      intervalMs: 0,
      timeoutMs: 1,
      pseudo: false,
      inputs: [],
    };
    graph.actions.push(fence);
    for (const a of graph.actions) if (a.task === "stop" && a.resource === "r1") a.inputs.push(fence.id);
    expect(checkTransition(ws, graph)).toEqual([]);
  });
});
