/**
 * Seeded simulation of the real membership core: seeds 1..2500 here, the
 * rest in membership-sim-b.test.ts (two files so vitest can use two cores).
 * Replay any seed exactly: SIM_SEED=123 npx vitest run test/membership-sim
 */
import { describe } from "vitest";
import { defineSeedRange } from "./membership-sim-lib.js";

describe("membership simulation, seeds 1-2500", () => {
  defineSeedRange(1, 2500);
});
