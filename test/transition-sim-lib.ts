/**
 * Shared driver of the seeded transition simulation (membership, controller,
 * operation histories, the real executor core with simulated agents, the
 * transition engine on the DC with the real scheduler; see
 * packages/sim/src/transition-scenario.ts for what each seed checks).
 * Seeds 1..SIM_SEEDS (default 200) over two files, so vitest uses two cores.
 * Replay one seed with its trace: SIM_SEED=123 npx vitest run test/transition-sim
 */
import { expect, it } from "vitest";
import { runTransitionScenario, type TransitionResult } from "@hacrm/sim";

const chunk = 25;
const defaultSeeds = 200;

function describeFailure(r: TransitionResult): string {
  const s = r.shape;
  return [
    `seed ${r.seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, ${s.primitives} primitives${s.group ? " + group" : ""}${s.clone ? " + clone" : ""}, batch-limit ${s.batchLimit}, start failures ${s.startFailRate}, hangs ${s.hangRate}, faults ${s.faults.join(" ")}):`,
    ...r.violations.map((v) => `  ${v}`),
    `replay: SIM_SEED=${r.seed} npx vitest run test/transition-sim`,
  ].join("\n");
}

/** Half `part` (0 or 1) of the seeds 1..SIM_SEEDS. */
export function defineTransitionSeeds(part: 0 | 1): void {
  const only = process.env["SIM_SEED"];
  if (only !== undefined) {
    if (part === 1) {
      it.skip(`seed ${only} replays in test/transition-sim.test.ts`, () => undefined);
      return;
    }
    it(`seed ${only}`, () => {
      const lines: string[] = [];
      const r = runTransitionScenario(Number(only), (l) => lines.push(l));
      console.log(lines.join("\n"));
      console.log(JSON.stringify({ ...r, violations: undefined }));
      expect(r.violations, describeFailure(r)).toEqual([]);
    });
    return;
  }
  const total = Math.max(2, Number(process.env["SIM_SEEDS"] ?? defaultSeeds));
  const half = Math.ceil(total / 2);
  const first = part * half + 1;
  const end = Math.min(total, first + half - 1);
  for (let from = first; from <= end; from += chunk) {
    const to = Math.min(end, from + chunk - 1);
    it(`seeds ${from}-${to}: one active copy unless a node was lost, actions only to members, the scheduler's placement reached`, async () => {
      const failures: string[] = [];
      let operations = 0;
      for (let seed = from; seed <= to; seed++) {
        if ((seed - from) % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
        const r = runTransitionScenario(seed);
        if (r.violations.length > 0) failures.push(describeFailure(r));
        operations += r.operations;
      }
      expect(failures.slice(0, 3).join("\n"), `${failures.length} failing seed(s)`).toBe("");
      // A run whose agents ran nothing proves nothing.
      expect(operations).toBeGreaterThan((to - from + 1) * 10);
    });
  }
}
