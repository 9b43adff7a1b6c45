import { HacrmError } from "@hacrm/common";

/**
 * The CIB's value vocabulary, in one place: scores, durations, booleans,
 * roles, agent classes and cluster options. The shell's checks, `verify`,
 * the commit path, the scheduler and the executor all read values through
 * these functions; nothing else parses them. Pure.
 *
 * Each `parseX` returns `{ ok, value }` or `{ ok: false, why }` so a caller
 * decides whether a bad value is an error (verify, commit, executor) or is
 * read with a default (the scheduler, which only ever sees a CIB that passed
 * verify, and reads an unset value with Pacemaker's default).
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why: string): Parsed<T> => ({ ok: false, why });

// ---- scores ------------------------------------------------------------------

/** Pacemaker's INFINITY: scores saturate here. */
export const INFINITY = 1_000_000;

/** Clamp a number into [-INFINITY, INFINITY], dropping any fraction. */
export function clampScore(n: number): number {
  if (n >= INFINITY) return INFINITY;
  if (n <= -INFINITY) return -INFINITY;
  return Math.trunc(n);
}

const integerPattern = /^[-+]?[0-9]+$/;
const infinityPattern = /^([-+]?)INFINITY$/i;

/**
 * A score: an integer (clamped to +-INFINITY) or `INFINITY`, `+INFINITY`,
 * `-INFINITY` (any case). Anything else, such as crmsh's `inf` (the shell
 * writes it as INFINITY), `12abc` or `1.5`,
 * is not a score: Pacemaker would read `12abc` as 12 with a
 * warning; hacrm refuses it so a typo never becomes a weight.
 */
export function parseScore(text: string): Parsed<number> {
  const t = text.trim();
  const inf = infinityPattern.exec(t);
  if (inf) return ok(inf[1] === "-" ? -INFINITY : INFINITY);
  if (integerPattern.test(t)) return ok(clampScore(Number(t)));
  return bad(`"${text}" is not a score (an integer, INFINITY or -INFINITY)`);
}

export function isScore(text: string): boolean {
  return parseScore(text).ok;
}

/** The node-health colours a node attribute may carry instead of a score, at Pacemaker's defaults. */
export const healthColourScores: Readonly<Record<string, number>> = { red: -INFINITY, yellow: 0, green: 0 };

/**
 * A score as the scheduler reads it: unset or not a score reads as
 * `fallback` (the value verify would have refused never reaches a committed
 * CIB); a node-health colour reads as its score.
 */
export function scoreOr(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const colour = healthColourScores[text.trim().toLowerCase()];
  if (colour !== undefined) return colour;
  const p = parseScore(text);
  return p.ok ? p.value : fallback;
}

/** Render a score the way operators read it. */
export function formatScore(n: number): string {
  if (n >= INFINITY) return "INFINITY";
  if (n <= -INFINITY) return "-INFINITY";
  return String(n);
}

// ---- durations ---------------------------------------------------------------

const unitMs: Readonly<Record<string, number>> = {
  us: 0.001,
  usec: 0.001,
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

const pacemakerDuration = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const isoDuration = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/**
 * A duration in milliseconds, in Pacemaker's forms: a number with `ms`,
 * `msec`, `us`, `usec`, `s`, `sec`, `m`, `min`, `h` or `hr` (any case), a bare
 * number (seconds), or ISO 8601 (`PT10S`, `PT1M30S`, `P1D`, `P2W`). The whole
 * text must be a duration: `10x` and `30stimeout=30s` are refused (Pacemaker
 * reads only a unit's first letters, so it would take the second as 30s).
 * Years and months are refused: their length in milliseconds is not fixed.
 */
export function parseDurationMs(text: string): Parsed<number> {
  const t = text.trim();
  const m = pacemakerDuration.exec(t);
  if (m) {
    const factor = m[2] === "" ? 1000 : unitMs[(m[2] as string).toLowerCase()];
    if (factor !== undefined) return ok(Math.round(Number(m[1]) * factor));
    return bad(`"${text}": unknown unit "${m[2]}" (use ms, s, min or h; a bare number is seconds)`);
  }
  // Pacemaker also reads hours and seconds written before the time designator ("P10S", in the corpus).
  const early = /^(P(?:\d+W)?(?:\d+D)?)((?:\d+H)?(?:\d+(?:\.\d+)?S)?)$/i.exec(t);
  const iso = isoDuration.exec(early?.[2] ? `${early[1]}T${early[2]}` : t);
  if (iso && t.length > 1 && !/T$/i.test(t)) {
    const [, w, d, h, min, s] = iso.map((x) => Number(x ?? 0)) as number[];
    const seconds = (((w as number) * 7 + (d as number)) * 24 + (h as number)) * 3600 + (min as number) * 60;
    return ok(Math.round((seconds + (s as number)) * 1000));
  }
  return bad(`"${text}" is not a duration (e.g. 30s, 5min, 1h, 500ms, PT10S; a bare number is seconds)`);
}

/** A duration in milliseconds, or a DURATION error naming `where`. */
export function durationMs(text: string, where = "duration"): number {
  const p = parseDurationMs(text);
  if (p.ok) return p.value;
  throw new HacrmError({
    code: "DURATION",
    where,
    message: p.why,
    hint: "use a number with ms, s, min or h (a bare number is seconds), or ISO 8601 such as PT10S",
  });
}

/**
 * An optional duration in milliseconds: unset or empty reads as `fallback`;
 * anything else must be a duration (a DURATION error naming `where`), so a
 * typo never becomes a monitor that does not run.
 */
export function optionalDurationMs(text: string | undefined, fallbackMs: number, where: string): number {
  return text === undefined || text.trim() === "" ? fallbackMs : durationMs(text, where);
}

// ---- booleans ----------------------------------------------------------------

const trueWords = new Set(["true", "on", "yes", "y", "1"]);
const falseWords = new Set(["false", "off", "no", "n", "0"]);

/** Pacemaker's booleans: true/false, yes/no, on/off, y/n, 1/0, any case. */
export function parseBoolean(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (trueWords.has(t)) return ok(true);
  if (falseWords.has(t)) return ok(false);
  return bad(`"${text}" is not a boolean (true/false, yes/no, on/off, y/n, 1/0)`);
}

/** A boolean as the scheduler reads it: unset or not a boolean reads as `fallback`. */
export function booleanOr(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const p = parseBoolean(text);
  return p.ok ? p.value : fallback;
}

/** Pacemaker's crm_is_true: only the true words are true; unset and anything else are false. */
export function isTrue(text: string | undefined): boolean {
  return booleanOr(text, false);
}

// ---- roles -------------------------------------------------------------------

export const roles = ["Stopped", "Started", "Unpromoted", "Promoted"] as const;
export type Role = (typeof roles)[number];

/** The names Pacemaker used before 2.1, accepted as input and never written. */
export const legacyRoleNames: Readonly<Record<string, Role>> = { Master: "Promoted", Slave: "Unpromoted" };

/** A role name (any case; Master and Slave read as Promoted and Unpromoted). */
export function parseRole(text: string): Parsed<Role> {
  const t = text.trim().toLowerCase();
  const role = roles.find((r) => r.toLowerCase() === t);
  if (role) return ok(role);
  const legacy = Object.entries(legacyRoleNames).find(([name]) => name.toLowerCase() === t);
  if (legacy) return ok(legacy[1]);
  return bad(`"${text}" is not a role (Stopped, Started, Unpromoted, Promoted; or Master, Slave)`);
}

// ---- agent classes -----------------------------------------------------------

export interface AgentClassInfo {
  readonly name: AgentClassName;
  /** `class:provider:type` (ocf) rather than `class:type`. */
  readonly hasProvider: boolean;
  /** hacrm's executor runs agents of this class today. */
  readonly runs: boolean;
  readonly note: string;
}

/**
 * Every agent class the CIB schema accepts (Pacemaker's resources-3.x
 * grammar, in its order), with what hacrm does with each. `heartbeat` is settled as
 * Pacemaker settles it: the schema still accepts it, so a CIB naming it is
 * valid and `verify` passes it, but no executor runs it (Pacemaker 2.x dropped
 * it; `crm_resource --list-standards` lists ocf, lsb, service and stonith).
 */
export const agentClassList = [
  {
    name: "ocf",
    hasProvider: true,
    runs: true,
    note: "Open Cluster Framework agents under resource.d/PROVIDER",
  },
  { name: "lsb", hasProvider: false, runs: true, note: "LSB init scripts" },
  {
    name: "heartbeat",
    hasProvider: false,
    runs: false,
    note: "Heartbeat v1 scripts; accepted by the schema, dropped by Pacemaker 2",
  },
  { name: "stonith", hasProvider: false, runs: true, note: "fence agents" },
  { name: "upstart", hasProvider: false, runs: false, note: "obsolete; accepted by the schema, never run" },
  {
    name: "service",
    hasProvider: false,
    runs: false,
    note: "lsb or systemd, whichever has the name; not run by hacrm yet",
  },
  { name: "systemd", hasProvider: false, runs: false, note: "systemd units; not run by hacrm yet" },
  { name: "nagios", hasProvider: false, runs: false, note: "nagios plugins; not run by hacrm" },
] as const satisfies readonly { name: string; hasProvider: boolean; runs: boolean; note: string }[];

export type AgentClassName = (typeof agentClassList)[number]["name"];

export const agentClassNames: readonly string[] = agentClassList.map((c) => c.name);

export function agentClassInfo(name: string): AgentClassInfo | undefined {
  return agentClassList.find((c) => c.name === name);
}

/** The provider `ocf:TYPE` means when a shell line leaves it out (crmsh's default). */
export const defaultOcfProvider = "heartbeat";

// ---- cluster options ---------------------------------------------------------

export type OptionType = "boolean" | "duration" | "integer" | "score" | "select" | "string" | "percentage";

export interface ClusterOptionInfo {
  readonly type: OptionType;
  /** Pacemaker's default, as text (undefined: no default). */
  readonly default?: string;
  /** The values a `select` option takes. */
  readonly values?: readonly string[];
}

/**
 * The cluster options (crm_config) Pacemaker 2.1 defines, with types and
 * defaults as `pacemaker-schedulerd metadata`, `pacemaker-controld metadata`
 * and `pacemaker-based metadata` print them.
 */
export const clusterOptions: Readonly<Record<string, ClusterOptionInfo>> = {
  // scheduler
  "no-quorum-policy": {
    type: "select",
    default: "stop",
    values: ["stop", "freeze", "ignore", "demote", "suicide"],
  },
  "symmetric-cluster": { type: "boolean", default: "true" },
  "maintenance-mode": { type: "boolean", default: "false" },
  "start-failure-is-fatal": { type: "boolean", default: "true" },
  "enable-startup-probes": { type: "boolean", default: "true" },
  "shutdown-lock": { type: "boolean", default: "false" },
  "shutdown-lock-limit": { type: "duration", default: "0" },
  "stonith-enabled": { type: "boolean", default: "true" },
  "stonith-action": { type: "select", default: "reboot", values: ["reboot", "off", "poweroff"] },
  "stonith-timeout": { type: "duration", default: "60s" },
  "have-watchdog": { type: "boolean", default: "false" },
  "concurrent-fencing": { type: "boolean", default: "false" },
  "startup-fencing": { type: "boolean", default: "true" },
  "priority-fencing-delay": { type: "duration", default: "0" },
  "cluster-delay": { type: "duration", default: "60s" },
  "batch-limit": { type: "integer", default: "0" },
  "migration-limit": { type: "integer", default: "-1" },
  "stop-all-resources": { type: "boolean", default: "false" },
  "stop-orphan-resources": { type: "boolean", default: "true" },
  "stop-orphan-actions": { type: "boolean", default: "true" },
  "remove-after-stop": { type: "boolean", default: "false" },
  "pe-error-series-max": { type: "integer", default: "-1" },
  "pe-warn-series-max": { type: "integer", default: "5000" },
  "pe-input-series-max": { type: "integer", default: "4000" },
  "node-health-strategy": {
    type: "select",
    default: "none",
    values: ["none", "migrate-on-red", "only-green", "progressive", "custom"],
  },
  "node-health-base": { type: "score", default: "0" },
  "node-health-green": { type: "score", default: "0" },
  "node-health-yellow": { type: "score", default: "0" },
  "node-health-red": { type: "score", default: "-INFINITY" },
  "placement-strategy": {
    type: "select",
    default: "default",
    values: ["default", "utilization", "minimal", "balanced"],
  },
  // Still read from crm_config by Pacemaker 2.1 (deprecated there in favour of rsc_defaults).
  "default-resource-stickiness": { type: "score", default: "0" },
  "is-managed-default": { type: "boolean", default: "true" },
  // controller
  "dc-version": { type: "string" },
  "cluster-infrastructure": { type: "string", default: "corosync" },
  "cluster-name": { type: "string" },
  "dc-deadtime": { type: "duration", default: "20s" },
  "cluster-recheck-interval": { type: "duration", default: "15min" },
  "load-threshold": { type: "percentage", default: "80%" },
  "node-action-limit": { type: "integer", default: "0" },
  "fence-reaction": { type: "select", default: "stop", values: ["stop", "panic"] },
  "election-timeout": { type: "duration", default: "2min" },
  "shutdown-escalation": { type: "duration", default: "20min" },
  "join-integration-timeout": { type: "duration", default: "3min" },
  "join-finalization-timeout": { type: "duration", default: "30min" },
  "transition-delay": { type: "duration", default: "0s" },
  "stonith-watchdog-timeout": { type: "duration", default: "0" },
  "stonith-max-attempts": { type: "integer", default: "10" },
  // CIB manager
  "enable-acl": { type: "boolean", default: "false" },
  "cluster-ipc-limit": { type: "integer", default: "500" },
};

/** Why `value` is not a valid value of `type`, or undefined when it is. */
export function checkValue(type: OptionType, value: string, values?: readonly string[]): string | undefined {
  switch (type) {
    case "boolean":
      return whyNot(parseBoolean(value));
    case "duration":
      return whyNot(parseDurationMs(value));
    case "score":
      return whyNot(parseScore(value));
    case "integer":
      return integerPattern.test(value.trim()) ? undefined : `"${value}" is not an integer`;
    case "percentage":
      return /^\d+(\.\d+)?%?$/.test(value.trim()) ? undefined : `"${value}" is not a percentage`;
    case "select":
      return values === undefined || values.includes(value.trim().toLowerCase())
        ? undefined
        : `"${value}" is not one of ${values.join(", ")}`;
    case "string":
      return undefined;
  }
}

function whyNot(p: Parsed<unknown>): string | undefined {
  return p.ok ? undefined : p.why;
}

/**
 * Why `value` is not valid for the cluster option `name`, or undefined when
 * it is (unknown option names are not judged here: Pacemaker keeps them).
 */
export function checkClusterOption(name: string, value: string): string | undefined {
  const info = clusterOptions[name];
  return info === undefined ? undefined : checkValue(info.type, value, info.values);
}

/** A cluster option as the scheduler reads it: its value when valid, else Pacemaker's default. */
export function clusterOptionText(name: string, value: string | undefined): string | undefined {
  const info = clusterOptions[name];
  if (
    value !== undefined &&
    (info === undefined || checkValue(info.type, value, info.values) === undefined)
  ) {
    return value;
  }
  return info?.default;
}
