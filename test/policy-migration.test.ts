/** Live migration (allow-migrate): summary verb, JSON contract and the graph's migrate_to/migrate_from. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { schedule, type GraphAction, type ScheduleResult } from "@hacrm/policy";
import { toJsonContract } from "../packages/shell/src/commands/simulate.js";
import { corpusDir } from "./policy-conformance-lib.js";

function run(name: string): ScheduleResult {
  const file = path.join(corpusDir, "cases", `${name}.xml`);
  return schedule(parseXml(fs.readFileSync(file, "utf8"), file), 0);
}

const label = (a: GraphAction): string => `${a.resource ?? ""} ${a.task} ${a.node ?? ""}`.trim();

/** Whether `first` must finish before `then` (transitively). */
function before(res: ScheduleResult, first: string, then: string): boolean {
  const byId = new Map(res.graph.actions.map((a) => [a.id, a]));
  const target = res.graph.actions.find((a) => label(a) === then);
  if (!target) throw new Error(`no action ${then} in ${res.graph.actions.map(label).join(", ")}`);
  const stack = [...target.inputs];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const a = byId.get(id)!;
    if (label(a) === first) return true;
    stack.push(...a.inputs);
  }
  return false;
}

describe("live migration", () => {
  it("migrates instead of moving, without restarting what is ordered after it", () => {
    const res = run("2-am-then-b-move-a");
    expect(toJsonContract(res).actions).toEqual([
      { action: "migrate", resource: "A", from: "18node1", to: "18node2" },
    ]);
    const tasks = res.graph.actions.filter((a) => !a.pseudo).map(label);
    expect(tasks).toContain("A migrate_to 18node1");
    expect(tasks).toContain("A migrate_from 18node2");
    expect(tasks).toContain("A stop 18node1");
    expect(tasks.filter((t) => t.startsWith("B "))).toEqual([]);
    expect(res.graph.actions.find((a) => label(a) === "A start 18node2")?.pseudo).toBe(true);
    expect(before(res, "A migrate_to 18node1", "A migrate_from 18node2")).toBe(true);
    expect(before(res, "A migrate_from 18node2", "A stop 18node1")).toBe(true);
  });

  it("a group member migrates while unmigratable members move around it", () => {
    const res = run("7-migrate-group-one-unmigratable");
    const lines = res.actions.map((a) => `${a.action} ${a.resource}`);
    expect(lines.sort()).toEqual(["migrate A", "move B", "move C"]);
    expect(before(res, "B stop 18node1", "A migrate_to 18node1")).toBe(true);
    expect(before(res, "A start 18node2", "B start 18node2")).toBe(true);
  });

  it("a resource ordered after another one's real start cannot migrate: both move", () => {
    const res = run("5-am-then-bm-a-not-migratable");
    expect(res.actions.map((a) => a.action).sort()).toEqual(["move", "move"]);
    expect(res.graph.actions.some((a) => a.task.startsWith("migrate"))).toBe(false);
  });

  it("a half-done migration completes with migrate_from only; a completed one only cleans up its source", () => {
    const partial = run("migrate-partial-2");
    expect(partial.actions.map((a) => `${a.action} ${a.from} ${a.to}`)).toEqual(["migrate hex-14 hex-13"]);
    expect(partial.graph.actions.filter((a) => a.task === "migrate_to")).toEqual([]);
    expect(partial.graph.actions.map(label)).toContain("test-vm migrate_from hex-13");
    const done = run("migrate-partial-1");
    expect(done.actions).toEqual([]);
    expect(done.graph.actions.map(label)).toContain("test-vm stop hex-14");
    expect(done.placement.filter((p) => p.resource === "test-vm")).toEqual([
      { resource: "test-vm", role: "Started", node: "hex-13" },
    ]);
  });
});
