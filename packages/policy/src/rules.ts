import { durationMs, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { evaluateDateExpression } from "./dates.js";
import type { IdIndex } from "./id-index.js";

/** What a rule can test: node attributes, resource meta, time. */
export interface RuleContext {
  nodeAttrs?: Map<string, string>;
  rscMeta?: Map<string, string>;
  rscParams?: Map<string, string>;
  now?: number;
  rscClass?: string;
  rscProvider?: string;
  rscType?: string;
  opName?: string;
  opIntervalMs?: number;
}

function compareValues(a: string, b: string, type: string, op: string): boolean {
  let cmp: number;
  const x = type === "integer" ? parseInteger(a) : type === "number" ? parseNumber(a) : undefined;
  const y = type === "integer" ? parseInteger(b) : type === "number" ? parseNumber(b) : undefined;
  if ((type === "number" || type === "integer") && x !== undefined && y !== undefined) {
    cmp = x < y ? -1 : x > y ? 1 : 0;
  } else if (type === "version") {
    const xs = a.split(".").map((s) => Number.parseInt(s, 10) || 0);
    const ys = b.split(".").map((s) => Number.parseInt(s, 10) || 0);
    cmp = 0;
    for (let i = 0; i < Math.max(xs.length, ys.length) && cmp === 0; i++) {
      const d = (xs[i] ?? 0) - (ys[i] ?? 0);
      cmp = d < 0 ? -1 : d > 0 ? 1 : 0;
    }
  } else {
    cmp = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (op) {
    case "eq":
      return cmp === 0;
    case "ne":
      return cmp !== 0;
    case "lt":
      return cmp < 0;
    case "lte":
      return cmp <= 0;
    case "gt":
      return cmp > 0;
    case "gte":
      return cmp >= 0;
    default:
      return false;
  }
}

/** An integer as Pacemaker reads one: the leading digits ("3.6" is 3); undefined when there are none. */
function parseInteger(v: string): number | undefined {
  const m = /^\s*([+-]?\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** A decimal number, leading part (e.g. "2.5x" is 2.5); undefined when there is none. */
function parseNumber(v: string): number | undefined {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(v);
  return m ? Number(m[1]) : undefined;
}

/**
 * The comparison type: as given (a value that does not parse as that type
 * is compared as a string); otherwise string, except that lt/lte/gt/gte
 * compare numbers (decimal when the value has a point), as Pacemaker does.
 */
function guessType(value: string | undefined, given: string | undefined, op: string): string {
  if (given) return given.toLowerCase();
  if (op === "lt" || op === "lte" || op === "gt" || op === "gte")
    return value !== undefined && value.includes(".") ? "number" : "integer";
  return "string";
}

function evalExpression(e: XmlElement, ctx: RuleContext): boolean {
  const attr = e.attrs.attribute ?? "";
  const op = (e.attrs.operation ?? "").toLowerCase();
  const actual = ctx.nodeAttrs?.get(attr);
  if (op === "defined") return actual !== undefined;
  if (op === "not_defined") return actual === undefined;
  let expected = e.attrs.value;
  const source = (e.attrs["value-source"] ?? "literal").toLowerCase();
  if (source === "param" && expected !== undefined) expected = ctx.rscParams?.get(expected);
  else if (source === "meta" && expected !== undefined) expected = ctx.rscMeta?.get(expected);
  if (actual === undefined || expected === undefined) return op === "ne" && actual === undefined;
  const type = guessType(expected, e.attrs.type, op);
  return compareValues(actual, expected, type, op);
}

function refuse(e: XmlElement, what: string): never {
  throw new HacrmError({
    code: "RULE_UNSUPPORTED",
    where: `rule expression ${e.attrs.id ?? "(no id)"}`,
    message: `${what} is not supported by hacrm's policy engine yet`,
    hint: "remove the rule or use a location score on a node",
  });
}

/** Evaluate a <rule> against a context; unsupported expressions are refused, never skipped. */
export function evaluateRule(rule: XmlElement, ctx: RuleContext, ids: IdIndex): boolean {
  const r = rule.attrs["id-ref"] !== undefined ? (ids.get(rule.attrs["id-ref"]!) ?? rule) : rule;
  const or = (r.attrs["boolean-op"] ?? "and").toLowerCase() === "or";
  let any = false;
  let all = true;
  let count = 0;
  for (const e of r.children) {
    let v: boolean;
    if (e.name === "expression") v = evalExpression(e, ctx);
    else if (e.name === "rule") v = evaluateRule(e, ctx, ids);
    else if (e.name === "date_expression") {
      if (ctx.now === undefined) v = refuse(e, "a date expression here");
      else v = evaluateDateExpression(e, ctx.now);
    } else if (e.name === "rsc_expression") v = evalRscExpression(e, ctx);
    else if (e.name === "op_expression") v = evalOpExpression(e, ctx);
    else continue;
    count++;
    any ||= v;
    all &&= v;
  }
  if (count === 0) return true;
  return or ? any : all;
}

function evalRscExpression(e: XmlElement, ctx: RuleContext): boolean {
  if (e.attrs.class !== undefined && e.attrs.class !== ctx.rscClass) return false;
  if (e.attrs.provider !== undefined && e.attrs.provider !== ctx.rscProvider) return false;
  if (e.attrs.type !== undefined && e.attrs.type !== ctx.rscType) return false;
  return true;
}

function evalOpExpression(e: XmlElement, ctx: RuleContext): boolean {
  if (e.attrs.name !== undefined && e.attrs.name !== ctx.opName) return false;
  if (e.attrs.interval !== undefined && ctx.opIntervalMs !== undefined) {
    return durationMs(e.attrs.interval, `op_expression ${e.attrs.id ?? ""} interval`) === ctx.opIntervalMs;
  }
  return true;
}
