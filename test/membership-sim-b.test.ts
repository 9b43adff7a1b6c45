/** Seeds 2501..5000 of the membership simulation (see membership-sim.test.ts). */
import { describe } from "vitest";
import { defineSeedRange } from "./membership-sim-lib.js";

describe("membership simulation, seeds 2501-5000", () => {
  defineSeedRange(2501, 5000, false);
});
