/**
 * Replayable property runs. Every property runs from PROPERTY_SEED (a fixed
 * seed by default, so CI is deterministic; PROPERTY_SEED=random draws one)
 * and PROPERTY_RUNS times when that is set (else its own count). A failure
 * prints the seed and the command line that replays it.
 */
import fc from "fast-check";

const DEFAULT_SEED = 20261203;
const seedEnv = process.env["PROPERTY_SEED"];
const propertySeed =
  seedEnv === "random" ? Math.floor(Math.random() * 2 ** 31) : seedEnv ? Number(seedEnv) : DEFAULT_SEED;
const runsEnv = process.env["PROPERTY_RUNS"];
if (!Number.isInteger(propertySeed)) throw new Error(`PROPERTY_SEED=${seedEnv}: an integer or "random"`);
if (runsEnv !== undefined && !/^[1-9][0-9]*$/.test(runsEnv))
  throw new Error(`PROPERTY_RUNS=${runsEnv}: a positive integer`);

export function runsOf(defaultRuns: number): number {
  return runsEnv === undefined ? defaultRuns : Number(runsEnv);
}

/**
 * Time allowed to a property over generated CIBs: three seconds a run, two
 * minutes at least (PROPERTY_RUNS=600 took 1.15 s a run on two cores at
 * load 15, and timed out at one second a run).
 */
export function budgetMs(defaultRuns: number): number {
  return Math.max(120_000, runsOf(defaultRuns) * 3_000);
}

/** Run a property from the session's seed; a failure names the seed and the line that replays it. */
export function check<T>(file: string, property: fc.IProperty<T>, defaultRuns: number): void {
  const numRuns = runsOf(defaultRuns);
  try {
    fc.assert(property, { seed: propertySeed, numRuns });
  } catch (err) {
    const runs = runsEnv === undefined ? "" : ` PROPERTY_RUNS=${runsEnv}`;
    const replay = `PROPERTY_SEED=${propertySeed}${runs} npx vitest run ${file}`;
    (err as Error).message =
      `property failed with seed ${propertySeed}; replay: ${replay}\n${(err as Error).message}`;
    throw err;
  }
}
