/**
 * Seeded simulation of the real membership core: the fixed seeds 1-2500 and
 * the named regression seeds here, this commit's window of 2500 fresh seeds in
 * membership-sim-b.test.ts (two files so vitest can use two cores).
 * Replay any seed exactly: SIM_SEED=123 npx vitest run test/membership-sim
 */
import { describe } from "vitest";
import { defineRegressionSeeds, defineSeedRange } from "./membership-sim-lib.js";

describe("membership simulation, regression seeds", () => {
  defineRegressionSeeds();
});

describe("membership simulation, seeds 1-2500", () => {
  defineSeedRange(1, 2500);
});
