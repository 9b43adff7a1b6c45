import { HacrmError } from "@hacrm/common";

const unitsMs: Record<string, number> = {
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

/**
 * A Pacemaker duration ("20s", "2min", "100ms", "1h", bare number = seconds)
 * in milliseconds. Throws DURATION on anything else.
 */
export function parseDurationMs(text: string, where = "duration"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? "";
  const factor = unit === "" ? 1000 : unitsMs[unit];
  if (!m || factor === undefined) {
    throw new HacrmError({
      code: "DURATION",
      where,
      message: `'${text}' is not a duration`,
      hint: "use a number with ms, s, min or h (a bare number is seconds)",
    });
  }
  return Math.round(Number(m[1]) * factor);
}
