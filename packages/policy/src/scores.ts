import { HacrmError } from "@hacrm/common";

/** Pacemaker's INFINITY: scores saturate here. */
export const INFINITY = 1_000_000;

/** Clamp a number into [-INFINITY, INFINITY]. */
export function clampScore(n: number): number {
  if (n >= INFINITY) return INFINITY;
  if (n <= -INFINITY) return -INFINITY;
  return Math.trunc(n);
}

/**
 * Saturating score addition: -INFINITY wins over anything (including
 * +INFINITY), otherwise +INFINITY wins, otherwise the clamped sum.
 */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

/** Parse a score string (`INFINITY`, `+INFINITY`, `-INFINITY`, `inf`, integers). */
export function parseScore(text: string | undefined, where = "score", fallback?: number): number {
  if (text === undefined || text === "") {
    if (fallback !== undefined) return fallback;
    throw new HacrmError({ code: "SCORE_INVALID", where, message: "missing score" });
  }
  const t = text.trim().toLowerCase();
  if (t === "infinity" || t === "+infinity" || t === "inf" || t === "+inf") return INFINITY;
  if (t === "-infinity" || t === "-inf") return -INFINITY;
  if (t === "red") return -INFINITY;
  if (t === "green" || t === "yellow") return 0;
  const n = Number.parseInt(t, 10);
  if (Number.isNaN(n)) {
    if (fallback !== undefined) return fallback;
    throw new HacrmError({ code: "SCORE_INVALID", where, message: `invalid score "${text}"` });
  }
  return clampScore(n);
}

/** Render a score the way operators read it. */
export function formatScore(n: number): string {
  if (n >= INFINITY) return "INFINITY";
  if (n <= -INFINITY) return "-INFINITY";
  return String(n);
}

/** Multiply a score by a colocation factor (score / INFINITY), keeping infinities. */
export function scaleScore(score: number, factor: number): number {
  if (factor === 0 || score === 0) return 0;
  const scaled = score * factor;
  // A pull that scales to less than one point still counts one point, in the direction of the factor, as in Pacemaker.
  if (scaled > -1 && scaled < 1) return factor > 0 ? 1 : -1;
  return clampScore(scaled);
}

export function isTrue(v: string | undefined): boolean {
  if (v === undefined) return false;
  const t = v.trim().toLowerCase();
  return t === "true" || t === "on" || t === "yes" || t === "y" || t === "1";
}
