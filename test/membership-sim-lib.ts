/**
 * Shared driver of the seeded membership simulation tests. SIM_SEED=N runs
 * only seed N and prints its run; SIM_SEEDS=K scales the number of seeds.
 *
 * CI runs three sets at a flat cost: the fixed seeds 1-2500, the named
 * regression seeds below, and a window of 2500 fresh seeds that moves with
 * every commit (its start is derived from `git rev-parse HEAD`, or from the
 * date when git is absent; SIM_WINDOW=N pins it), so coverage grows run
 * after run. Every failing seed prints its replay line.
 */
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { runMembershipScenario, type ScenarioResult } from "@hacrm/sim";

const chunk = 250;
const yieldEverySeeds = 10;
/** A chunk is ~10 s of CPU; on a machine shared with other jobs it can take several times that. */
const chunkTimeoutMs = 300_000;

/** Seeds that once failed, with what they found. They run in CI on every commit. */
export const regressionSeeds: { seed: number; found: string }[] = [
  {
    seed: 24531,
    found:
      "issue 20: a node judged quorum in a new view by its own stale configuration before merging a member's newer last_man_standing one; {1,3} and {2} both quorate. " +
      "Since the window is at least token + consensus + a heartbeat, this seed no longer reaches that interleaving; " +
      "the 'issue 20' case of test/membership-quorum-model.test.ts replays it step by step",
  },
];

/** Fresh windows start above every fixed seed and stay inside 31 bits. */
const windowBase = 100_000;
const windowSpan = 2 ** 31 - windowBase - 1_000_000;

/** First seed of this commit's fresh window: from HEAD, else from the date. */
export function freshWindowStart(): { start: number; from: string } {
  const pinned = process.env["SIM_WINDOW"];
  if (pinned !== undefined) return { start: Number(pinned), from: "SIM_WINDOW" };
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: "pipe" }).trim();
    const h = Number.parseInt(head.slice(0, 8), 16);
    return { start: windowBase + (h % windowSpan), from: `commit ${head.slice(0, 12)}` };
  } catch {
    const day = Math.floor(Date.now() / 86_400_000);
    return { start: windowBase + ((day * 7919 * 2500) % windowSpan), from: `day ${day}` };
  }
}

export function describeFailure(r: ScenarioResult): string {
  const s = r.shape;
  const h = s.hostFaults;
  const host = [
    h.crashBetweenEffectsRate > 0 ? `crash between effects ${h.crashBetweenEffectsRate}` : "",
    h.disk.fsyncFailRate > 0
      ? `fsync failures ${h.disk.fsyncFailRate}, torn writes ${h.disk.tornWriteRate}`
      : "",
    h.driftPpmMax > 0 ? `clock drift up to ${h.driftPpmMax} ppm` : "",
    s.crashAfterPersist ? "a crash after a persist" : "",
  ].filter((x) => x !== "");
  return [
    `seed ${r.seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, consensus ${s.consensusMs} ms, quorum ${s.quorumName}, cipher ${s.cipher}${s.intruder ? ", keyless intruder" : ""}${host.map((x) => `, ${x}`).join("")}):`,
    ...r.violations.map((v) => `  ${v}`),
    `replay: SIM_SEED=${r.seed} npx vitest run test/membership-sim`,
  ].join("\n");
}

function replayOne(seed: number): void {
  it(`seed ${seed}`, () => {
    const r = runMembershipScenario(seed);
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
}

/** Run seeds [first, last] in chunks of 250 (scaled by SIM_SEEDS / 5000). */
export function defineSeedRange(first: number, last: number, replayHere = true): void {
  const only = process.env["SIM_SEED"];
  if (only !== undefined) {
    if (replayHere) replayOne(Number(only));
    else it.skip(`seed ${only} replays in test/membership-sim.test.ts`, () => undefined);
    return;
  }
  const scale = Number(process.env["SIM_SEEDS"] ?? 5000) / 5000;
  const end = first - 1 + Math.max(1, Math.round((last - first + 1) * scale));
  for (let from = first; from <= end; from += chunk) {
    const to = Math.min(end, from + chunk - 1);
    it(
      `seeds ${from}-${to}: views agree, no disjoint quorate partitions, reliable once-in-order, nothing from a keyless node`,
      async () => {
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
      },
      chunkTimeoutMs,
    );
  }
}

/** The named regression seeds, one test each (skipped when SIM_SEED replays one seed). */
export function defineRegressionSeeds(): void {
  if (process.env["SIM_SEED"] !== undefined) return;
  for (const { seed, found } of regressionSeeds) {
    it(`regression seed ${seed} (${found.split(":")[0]})`, () => {
      const r = runMembershipScenario(seed);
      expect(r.violations, describeFailure(r)).toEqual([]);
    });
  }
}
