import { XMLParser } from "fast-xml-parser";
import { HacrmError } from "@hacrm/common";
import { durationMs } from "@hacrm/cib";

/** One agent parameter as declared by its meta-data. */
export interface AgentParameter {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly reloadable: boolean;
  readonly deprecated: boolean;
  /** content type: string, integer, boolean, select, ... */
  readonly type: string;
  readonly default: string | undefined;
  readonly shortdesc: string;
  readonly longdesc: string;
  /** `select` type: the allowed values. */
  readonly options: readonly string[];
}

/** One action as declared, with its default timeout and interval. */
export interface AgentAction {
  readonly name: string;
  readonly timeoutMs: number | undefined;
  readonly intervalMs: number | undefined;
  readonly depth: number | undefined;
  readonly role: string | undefined;
}

export interface AgentMetadata {
  readonly name: string;
  readonly version: string;
  readonly ocfVersion: string;
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly parameters: readonly AgentParameter[];
  readonly actions: readonly AgentAction[];
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  isArray: (name) => ["parameter", "action", "option", "longdesc", "shortdesc"].includes(name),
  processEntities: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

function text(v: unknown): string {
  if (Array.isArray(v)) return text(v[0]);
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "#text" in v) return String((v as Node)["#text"]);
  return "";
}

function flag(v: unknown): boolean {
  return v === "1" || v === "true" || v === "yes";
}

function attr(n: Node, name: string): string | undefined {
  const v = n[`@${name}`];
  return typeof v === "string" ? v : undefined;
}

function parseParameter(p: Node): AgentParameter {
  const content = (p["content"] ?? {}) as Node;
  const options = ((content["option"] ?? []) as Node[]).map((o) => attr(o, "value") ?? "");
  return {
    name: attr(p, "name") ?? "",
    required: flag(attr(p, "required")),
    unique: flag(attr(p, "unique")),
    reloadable: flag(attr(p, "reloadable")),
    deprecated: flag(attr(p, "deprecated")) || p["deprecated"] !== undefined,
    type: attr(content, "type") ?? "string",
    default: attr(content, "default"),
    shortdesc: text(p["shortdesc"]).replace(/\s+/g, " "),
    longdesc: text(p["longdesc"]),
    options,
  };
}

function optionalMs(v: string | undefined, where: string): number | undefined {
  return v === undefined || v === "" ? undefined : durationMs(v, where);
}

function parseAction(a: Node, where: string): AgentAction {
  const name = attr(a, "name") ?? "";
  const depth = attr(a, "depth");
  return {
    name,
    timeoutMs: optionalMs(attr(a, "timeout"), `${where}: action ${name} timeout`),
    intervalMs: optionalMs(attr(a, "interval"), `${where}: action ${name} interval`),
    depth: depth === undefined ? undefined : Number(depth),
    role: attr(a, "role"),
  };
}

/** Parse an agent's meta-data XML (OCF 1.0/1.1 and fence-agent dialects). */
export function parseAgentMetadata(xml: string, where = "meta-data"): AgentMetadata {
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    throw new HacrmError(
      { code: "METADATA_MALFORMED", where, message: `meta-data is not well-formed XML: ${String(err)}` },
      { cause: err },
    );
  }
  const ra = doc["resource-agent"] as Node | undefined;
  if (!ra || typeof ra !== "object") {
    throw new HacrmError({
      code: "METADATA_MALFORMED",
      where,
      message: "meta-data has no <resource-agent> element",
    });
  }
  const params = ((ra["parameters"] as Node | undefined)?.["parameter"] ?? []) as Node[];
  const actions = ((ra["actions"] as Node | undefined)?.["action"] ?? []) as Node[];
  return {
    name: attr(ra, "name") ?? "",
    version: attr(ra, "version") ?? "",
    ocfVersion: text(ra["version"]),
    shortdesc: text(ra["shortdesc"]) || (attr(ra, "shortdesc") ?? ""),
    longdesc: text(ra["longdesc"]),
    parameters: params.map(parseParameter),
    actions: actions.map((a) => parseAction(a, where)),
  };
}

/** The default timeout the meta-data gives `action` (monitor: the one matching interval/role if any). */
export function defaultTimeoutMs(md: AgentMetadata, action: string, intervalMs = 0): number | undefined {
  const same = md.actions.filter((a) => a.name === action);
  const exact = same.find((a) => (a.intervalMs ?? 0) === intervalMs);
  return (exact ?? same[0])?.timeoutMs;
}

/** One problem found in instance attributes, before any agent runs. */
export interface ParameterProblem {
  readonly code: "PARAM_UNKNOWN" | "PARAM_REQUIRED" | "PARAM_TYPE" | "PARAM_SELECT";
  readonly parameter: string;
  readonly message: string;
}

export interface CheckParametersOptions {
  /** Parameter names accepted although undeclared (e.g. stonith's pcmk_*). */
  readonly allowUnknown?: (name: string) => boolean;
  /** Required parameters someone else supplies when the agent runs (a fence agent's action and plug). */
  readonly supplied?: (name: string) => boolean;
}

function typeProblem(p: AgentParameter, value: string): string | undefined {
  if (p.type === "integer" && !/^[+-]?(\d+|INFINITY)$/i.test(value.trim())) return "is not an integer";
  if (p.type === "boolean" && !/^(1|0|true|false|yes|no|on|off|y|n)$/i.test(value.trim()))
    return "is not a boolean";
  return undefined;
}

/** Check instance attributes against meta-data; returns every problem (empty = fine). */
export function checkParameters(
  md: AgentMetadata,
  params: Readonly<Record<string, string>>,
  opts: CheckParametersOptions = {},
): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const byName = new Map(md.parameters.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(params)) {
    const p = byName.get(name);
    if (!p) {
      if (opts.allowUnknown?.(name)) continue;
      const known = md.parameters.map((q) => q.name).join(", ") || "none";
      problems.push({
        code: "PARAM_UNKNOWN",
        parameter: name,
        message: `${md.name} has no parameter '${name}' (it has: ${known})`,
      });
      continue;
    }
    const bad = typeProblem(p, value);
    if (bad) problems.push({ code: "PARAM_TYPE", parameter: name, message: `'${name}=${value}' ${bad}` });
    if (p.type === "select" && p.options.length > 0 && !p.options.includes(value)) {
      problems.push({
        code: "PARAM_SELECT",
        parameter: name,
        message: `'${name}' must be one of ${p.options.join(", ")}`,
      });
    }
  }
  for (const p of md.parameters) {
    if (p.required && params[p.name] === undefined && !opts.supplied?.(p.name)) {
      problems.push({
        code: "PARAM_REQUIRED",
        parameter: p.name,
        message: `${md.name} needs parameter '${p.name}' (${p.shortdesc || "required"})`,
      });
    }
  }
  return problems;
}

