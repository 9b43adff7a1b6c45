/** The second half of the controller simulation's seeds (see controller-sim.test.ts). */
import { describe } from "vitest";
import { defineSeedHalf } from "./controller-sim-lib.js";

describe("controller simulation, second half of the seeds (1001-2000 by default)", () => {
  defineSeedHalf(1);
});
