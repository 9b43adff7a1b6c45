import { clampScore, INFINITY } from "@hacrm/cib";

// Reading and writing scores is the CIB vocabulary's (`@hacrm/cib`); score
// arithmetic is the scheduler's.
export { INFINITY, clampScore, formatScore, isTrue, scoreOr } from "@hacrm/cib";

/**
 * Saturating score addition: -INFINITY wins over anything (including
 * +INFINITY), otherwise +INFINITY wins, otherwise the clamped sum.
 */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

/** Multiply a score by a colocation factor (score / INFINITY), keeping infinities. */
export function scaleScore(score: number, factor: number): number {
  if (factor === 0 || score === 0) return 0;
  const scaled = score * factor;
  // A pull that scales to less than one point still counts one point, in the direction of the factor, as in Pacemaker.
  if (scaled > -1 && scaled < 1) return factor > 0 ? 1 : -1;
  return clampScore(scaled);
}
