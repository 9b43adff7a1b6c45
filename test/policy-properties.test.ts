/** Property tests: score arithmetic and transition-graph invariants. */
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { addScores, assertAcyclic, INFINITY, schedule, type GraphAction } from "@hacrm/policy";
import { genCib, SHAPES } from "./policy-differential-lib.js";

const score = fc.oneof(
  fc.integer({ min: -2 * INFINITY, max: 2 * INFINITY }),
  fc.constantFrom(INFINITY, -INFINITY, 0, 1, -1),
);

describe("score arithmetic", () => {
  it("stays within [-INFINITY, INFINITY] and is commutative", () => {
    fc.assert(
      fc.property(score, score, (a, b) => {
        const s = addScores(a, b);
        expect(s).toBeGreaterThanOrEqual(-INFINITY);
        expect(s).toBeLessThanOrEqual(INFINITY);
        expect(addScores(b, a)).toBe(s);
      }),
    );
  });

  it("-INFINITY wins over everything, +INFINITY over everything else", () => {
    fc.assert(
      fc.property(score, (a) => {
        expect(addScores(a, -INFINITY)).toBe(-INFINITY);
        if (a > -INFINITY) expect(addScores(a, INFINITY)).toBe(INFINITY);
      }),
    );
  });

  it("is plain addition away from the bounds, with 0 as identity", () => {
    const small = fc.integer({ min: -400_000, max: 400_000 });
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        expect(addScores(a, b)).toBe(a + b);
        expect(addScores(addScores(a, b), c)).toBe(addScores(a, addScores(b, c)));
        expect(addScores(a, 0)).toBe(a);
      }),
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

describe("transition graph invariants on generated CIBs", () => {
  it("is acyclic, stops before starting a moved resource, and acts only on eligible nodes", () => {
    const shapes = Object.keys(SHAPES);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(...shapes), (seed, shape) => {
        const xml = execFileSync("node", [genCib, "--seed", String(seed), ...SHAPES[shape]!], {
          encoding: "utf8",
        });
        const res = schedule(parseXml(xml, `${shape}-${seed}`), 0);
        const g = res.graph.actions;
        expect(() => assertAcyclic(g)).not.toThrow();
        const nodes = res.workingSet.nodesByName;
        for (const a of g) {
          if (a.pseudo || !a.node) continue;
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
            expect(ancestors(g, start.id).has(stop.id), `stop before start of ${start.resource}`).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

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
