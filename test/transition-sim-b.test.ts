/**
 * Seeded simulation of the transition engine with the whole cluster: the
 * second half of seeds 1..SIM_SEEDS (default 200); see transition-sim-lib.ts.
 * Replay one seed exactly, with its trace: SIM_SEED=123 npx vitest run test/transition-sim
 */
import { describe } from "vitest";
import { defineTransitionSeeds } from "./transition-sim-lib.js";

describe("transition simulation, second half of the seeds", () => {
  defineTransitionSeeds(1);
});
