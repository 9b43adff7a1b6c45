/**
 * Shared driver of the seeded membership simulation tests. SIM_SEED=N runs
 * only seed N and prints its run; SIM_SEEDS=K scales the number of seeds.
 */
import { expect, it } from "vitest";
import { runMembershipScenario, type ScenarioResult } from "@hacrm/sim";

const chunk = 250;
const yieldEverySeeds = 10;

function describeFailure(r: ScenarioResult): string {
  const s = r.shape;
  return [
    `seed ${r.seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, consensus ${s.consensusMs} ms, quorum ${s.quorumName}, cipher ${s.cipher}${s.intruder ? ", keyless intruder" : ""}):`,
    ...r.violations.map((v) => `  ${v}`),
    `replay: SIM_SEED=${r.seed} npx vitest run test/membership-sim`,
  ].join("\n");
}

export function defineSeedRange(first: number, last: number, replayHere = true): void {
  const only = process.env["SIM_SEED"];
  if (only !== undefined) {
    if (!replayHere) {
      it.skip(`seed ${only} replays in test/membership-sim.test.ts`, () => undefined);
      return;
    }
    it(`seed ${only}`, () => {
      const r = runMembershipScenario(Number(only));
      console.log(
        JSON.stringify({
          shape: r.shape,
          convergedAfterMs: r.convergedAfterMs,
          boundMs: r.boundMs,
          crashOnly: r.crashOnly,
          delivered: r.delivered,
          dropped: r.dropped,
        }),
      );
      expect(r.violations, describeFailure(r)).toEqual([]);
    });
    return;
  }
  const scale = Number(process.env["SIM_SEEDS"] ?? 5000) / 5000;
  const end = first - 1 + Math.max(1, Math.round((last - first + 1) * scale));
  for (let from = first; from <= end; from += chunk) {
    const to = Math.min(end, from + chunk - 1);
    it(`seeds ${from}-${to}: views agree, no disjoint quorate partitions, reliable once-in-order, nothing from a keyless node`, async () => {
      const failures: string[] = [];
      let converged = 0;
      for (let seed = from; seed <= to; seed++) {
        // Seeds are pure CPU: let the worker's event loop breathe between
        // them, or vitest's RPC replies queue behind a minute of work and time out.
        if ((seed - from) % yieldEverySeeds === 0) await new Promise((resolve) => setImmediate(resolve));
        const r = runMembershipScenario(seed);
        if (r.violations.length > 0) failures.push(describeFailure(r));
        if (r.convergedAfterMs !== null) converged++;
      }
      expect(failures.slice(0, 3).join("\n"), `${failures.length} failing seed(s)`).toBe("");
      expect(converged).toBe(to - from + 1);
    });
  }
}
