/**
 * Seeded simulation of the controller cores with the membership core: the
 * first half of seeds 1..SIM_SEEDS (default 2000) here, the second half in
 * controller-sim-b.test.ts (two files, so vitest uses two cores).
 * Replay one seed exactly, with its trace: SIM_SEED=123 npx vitest run test/controller-sim
 */
import { describe } from "vitest";
import { defineSeedHalf } from "./controller-sim-lib.js";

describe("controller simulation, first half of the seeds (1-1000 by default)", () => {
  defineSeedHalf(0);
});
