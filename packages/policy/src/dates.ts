import type { XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";

/**
 * `<date_expression>` of CIB rules, evaluated at `now` (seconds since the
 * epoch, UTC): `in_range` (start and/or end, or start plus a `<duration>`),
 * `gt` (after start), `lt` (before end) and `date_spec` (calendar fields
 * such as hours="9-16" weekdays="1-5"). Dates are ISO 8601: calendar
 * (2024-05-01, with an optional time and offset), ordinal (2005-001) or week
 * dates (2024-W18-3); without an offset they are UTC.
 */

function bad(e: XmlElement, what: string): HacrmError {
  return new HacrmError({
    code: "RULE_INVALID",
    where: `date_expression ${e.attrs.id ?? "(no id)"}`,
    message: what,
    hint: "dates are ISO 8601, e.g. 2024-05-01, 2024-05-01 12:00:00Z or 2024-122",
  });
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The date (year, month 1-12, day) of a day number since 1970-01-01. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** ISO weekday of a day number: Monday 1 .. Sunday 7 (1970-01-01 was a Thursday). */
function weekdayOf(days: number): number {
  return (((((days % 7) + 7) % 7) + 3) % 7) + 1;
}

/** Parse an ISO 8601 date (and time) into seconds since the epoch; undefined when it is not one. */
export function parseIsoDate(text: string): number | undefined {
  const t = text.trim();
  const m =
    /^(\d{4})-?(?:(\d{2})-?(\d{2})|(\d{3})|W(\d{2})-?(\d))?(?:[T ](\d{2}):?(\d{2})(?::?(\d{2}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      t,
    );
  if (!m) return undefined;
  const year = Number(m[1]);
  let days: number;
  if (m[4] !== undefined) days = daysFromCivil(year, 1, 1) + Number(m[4]) - 1;
  else if (m[5] !== undefined) {
    // ISO week 1 holds January 4th; weeks start on Monday.
    const jan4 = daysFromCivil(year, 1, 4);
    days = jan4 - (weekdayOf(jan4) - 1) + (Number(m[5]) - 1) * 7 + Number(m[6]) - 1;
  } else {
    const month = m[2] !== undefined ? Number(m[2]) : 1;
    const day = m[3] !== undefined ? Number(m[3]) : 1;
    if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
    days = daysFromCivil(year, month, day);
  }
  let secs = days * 86_400 + Number(m[7] ?? 0) * 3600 + Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0);
  const zone = m[10];
  if (zone && zone.toUpperCase() !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const offset = (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60;
    secs -= z[1] === "-" ? -offset : offset;
  }
  return secs;
}

function dateAttr(e: XmlElement, name: "start" | "end"): number | undefined {
  const v = e.attrs[name];
  if (v === undefined) return undefined;
  const s = parseIsoDate(v);
  if (s === undefined) throw bad(e, `${name}="${v}" is not an ISO 8601 date`);
  return s;
}

/** start + a `<duration>` (years, months, weeks, days, hours, minutes, seconds), calendar-aware. */
function addDuration(start: number, d: XmlElement): number {
  const n = (k: string): number => Number.parseInt(d.attrs[k] ?? "0", 10) || 0;
  const days = Math.floor(start / 86_400);
  const [y, mo, day] = civilFromDays(days);
  const months = mo - 1 + n("months") + 12 * n("years");
  const year = y + Math.floor(months / 12);
  const month = (((months % 12) + 12) % 12) + 1;
  const shifted = daysFromCivil(year, month, day) * 86_400 + (start - days * 86_400);
  return (
    shifted +
    n("weeks") * 7 * 86_400 +
    n("days") * 86_400 +
    n("hours") * 3600 +
    n("minutes") * 60 +
    n("seconds")
  );
}

/** The calendar fields date_spec tests, at `now` (UTC). */
function fields(now: number): Record<string, number> {
  const days = Math.floor(now / 86_400);
  const secs = now - days * 86_400;
  const [year, month, monthday] = civilFromDays(days);
  const weekday = weekdayOf(days);
  // ISO week: the week holding this date's Thursday.
  const thursday = days + 4 - weekday;
  const weekyear = civilFromDays(thursday)[0];
  const week = Math.floor((thursday - daysFromCivil(weekyear, 1, 1)) / 7) + 1;
  const yearday = days - daysFromCivil(year, 1, 1) + 1;
  return {
    years: year,
    months: month,
    monthdays: monthday,
    hours: Math.floor(secs / 3600),
    minutes: Math.floor((secs % 3600) / 60),
    seconds: secs % 60,
    yeardays: yearday,
    // The schema's spelling.
    yearsdays: yearday,
    weekdays: weekday,
    weekyears: weekyear,
    weeks: week,
  };
}

function inSpecRange(e: XmlElement, field: string, spec: string, value: number): boolean {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(spec);
  if (!m) throw bad(e, `date_spec ${field}="${spec}" is not a number or a range N-M`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  return value >= lo && value <= hi;
}

function matchesSpec(e: XmlElement, spec: XmlElement, now: number): boolean {
  const f = fields(now);
  for (const [k, v] of Object.entries(spec.attrs)) {
    if (k === "id") continue;
    if (k === "moon") throw bad(e, "date_spec moon is not supported (Pacemaker deprecated it)");
    const value = f[k];
    if (value === undefined) throw bad(e, `date_spec has no field "${k}"`);
    if (!inSpecRange(e, k, v, value)) return false;
  }
  return true;
}

/** Evaluate a `<date_expression>` at `now`. */
export function evaluateDateExpression(e: XmlElement, now: number): boolean {
  const op = (e.attrs.operation ?? "in_range").toLowerCase();
  switch (op) {
    case "gt": {
      const start = dateAttr(e, "start");
      if (start === undefined) throw bad(e, 'operation "gt" needs a start');
      return now > start;
    }
    case "lt": {
      const end = dateAttr(e, "end");
      if (end === undefined) throw bad(e, 'operation "lt" needs an end');
      return now < end;
    }
    case "in_range": {
      const start = dateAttr(e, "start");
      let end = dateAttr(e, "end");
      const duration = e.children.find((c) => c.name === "duration");
      if (end === undefined && duration && start !== undefined) end = addDuration(start, duration);
      if (start === undefined && end === undefined)
        throw bad(e, 'operation "in_range" needs a start or an end');
      return (start === undefined || now >= start) && (end === undefined || now <= end);
    }
    case "date_spec": {
      const spec = e.children.find((c) => c.name === "date_spec");
      if (!spec) throw bad(e, 'operation "date_spec" needs a <date_spec>');
      return matchesSpec(e, spec, now);
    }
    default:
      throw bad(e, `unknown operation "${op}" (in_range, gt, lt or date_spec)`);
  }
}
