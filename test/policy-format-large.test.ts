/**
 * The simulate formatter on 200,000 resources (issue 14, item 12: it once
 * overflowed the stack at 177k, spreading every line into one push call).
 * Only the formatter is under test: the result object is built by hand.
 */
import { describe, expect, it } from "vitest";
import { formatSimulation, type ScheduleResult } from "@hacrm/policy";

describe("formatSimulation at scale", () => {
  it("formats 200,000 resources without overflowing the stack", () => {
    const count = 200_000;
    const resources = Array.from({ length: count }, (_, i) => ({
      kind: "primitive",
      id: `r${i}`,
      agent: "ocf:heartbeat:Dummy",
      managed: true,
    }));
    const res = {
      workingSet: { nodes: [], primitives: [], resources },
      actions: [],
      graph: { actions: [] },
      placement: [],
    } as unknown as ScheduleResult;
    const text = formatSimulation(res);
    expect(text.split("\n").filter((l) => l.includes("(ocf:heartbeat:Dummy)")).length).toBe(2 * count);
  });
});
