/**
 * A window of 2500 fresh membership seeds that moves with every commit (see
 * membership-sim-lib.ts): the test name says which seeds ran and why.
 * SIM_WINDOW=N pins the window's first seed.
 */
import { describe } from "vitest";
import { defineSeedRange, freshWindowStart } from "./membership-sim-lib.js";

const { start, from } = freshWindowStart();

describe(`membership simulation, fresh seeds ${start}-${start + 2499} (${from})`, () => {
  defineSeedRange(start, start + 2499, false);
});
