/**
 * Shared driver of the seeded controller simulation tests (DC election, join
 * and CIB replication on the real membership core). SIM_SEED=N runs only
 * seed N and prints its trace; SIM_SEEDS=K runs K seeds over the two files.
 */
import { expect, it } from "vitest";
import { runControllerScenario, type ControllerResult } from "@hacrm/sim";

const chunk = 25;
const yieldEverySeeds = 5;
/** Seeds over both files when SIM_SEEDS is not set. */
export const defaultSeeds = 2000;

function describeFailure(r: ControllerResult): string {
  const s = r.shape;
  return [
    `seed ${r.seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, consensus ${s.consensusMs} ms, no-quorum-policy ${s.policy}, faults ${s.faults.join(" ")}):`,
    ...r.violations.map((v) => `  ${v}`),
    `replay: SIM_SEED=${r.seed} npx vitest run test/controller-sim`,
  ].join("\n");
}

/** Half `part` (0 or 1) of the seeds 1..SIM_SEEDS (default 2000). */
export function defineSeedHalf(part: 0 | 1): void {
  const replayHere = part === 0;
  const only = process.env["SIM_SEED"];
  if (only !== undefined) {
    if (!replayHere) {
      it.skip(`seed ${only} replays in test/controller-sim.test.ts`, () => undefined);
      return;
    }
    it(`seed ${only}`, () => {
      const lines: string[] = [];
      const r = runControllerScenario(Number(only), (l) => lines.push(l));
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
    it(`seeds ${from}-${to}: one DC per view, versions never back, acknowledged writes kept, one CIB after faults`, async () => {
      const failures: string[] = [];
      let acked = 0;
      for (let seed = from; seed <= to; seed++) {
        // Seeds are pure CPU: let vitest's worker RPC breathe between them.
        if ((seed - from) % yieldEverySeeds === 0) await new Promise((resolve) => setImmediate(resolve));
        const r = runControllerScenario(seed);
        if (r.violations.length > 0) failures.push(describeFailure(r));
        acked += r.acked;
      }
      expect(failures.slice(0, 3).join("\n"), `${failures.length} failing seed(s)`).toBe("");
      // A run that acknowledges nothing proves nothing.
      expect(acked).toBeGreaterThan((to - from + 1) * 5);
    });
  }
}
