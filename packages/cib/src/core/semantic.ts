import { dateSpecFields } from "../types.js";
import {
  agentClassNames,
  checkClusterOption,
  isScore,
  parseBoolean,
  parseDurationMs,
  parseRole,
} from "../vocabulary.js";
import type { XmlElement } from "../xml.js";
import { findOrderLoops } from "./order-loops.js";
import { problem, type CibProblem } from "./problems.js";

/**
 * The checks a schema cannot express: unique ids, references that must name
 * something that exists, scores, agent classes, target roles and rules that
 * cannot be evaluated. Pure; works on the XML tree (run after the schema
 * check, tolerates anything the schema would already have reported).
 */
export function checkSemantics(tree: XmlElement): CibProblem[] {
  const configuration = tree.children.find((c) => c.name === "configuration");
  if (!configuration) return [];
  const index = indexConfiguration(tree, configuration);
  const out: CibProblem[] = [...checkCharacters(tree), ...index.problems];
  for (const chain of index.chains) {
    const el = chain[chain.length - 1] as XmlElement;
    checkReferences(chain, el, index, out);
    checkScore(chain, el, out);
    checkAgentClass(chain, el, out);
    checkMetaValue(chain, el, out);
    checkClusterProperty(chain, el, out);
    checkOperations(chain, el, out);
    checkRule(chain, el, out);
  }
  out.push(...findOrderLoops(configuration, chainLookup(index)).problems);
  return out;
}

/** The ancestor chain of a configuration element, looked up by the element. */
export function chainLookup(index: { chains: XmlElement[][] }): (el: XmlElement) => XmlElement[] {
  const byEl = new Map<XmlElement, XmlElement[]>();
  for (const c of index.chains) byEl.set(c[c.length - 1] as XmlElement, c);
  return (el) => byEl.get(el) ?? [el];
}

/** Elements whose `id` attribute refers to something instead of defining it. */
const referenceElements = new Set(["resource_ref", "obj_ref"]);
const resourceElements = new Set(["primitive", "group", "clone", "master", "bundle", "template"]);

export interface ConfigIndex {
  /** Every configuration element with its ancestor chain (cib first). */
  chains: XmlElement[][];
  /** id -> defining element. */
  ids: Map<string, XmlElement>;
  resources: Set<string>;
  tags: Set<string>;
  problems: CibProblem[];
}

export function indexConfiguration(tree: XmlElement, configuration: XmlElement): ConfigIndex {
  const index: ConfigIndex = {
    chains: [],
    ids: new Map(),
    resources: new Set(),
    tags: new Set(),
    problems: [],
  };
  const nodeIds = new Map<string, XmlElement>();
  const visit = (el: XmlElement, chain: XmlElement[]): void => {
    const here = [...chain, el];
    index.chains.push(here);
    const id = el.attrs["id"];
    const parent = chain[chain.length - 1];
    const definesId = id !== undefined && !referenceElements.has(el.name) && !isAclRoleRef(el, parent);
    if (definesId && el.name === "node" && parent?.name === "nodes") {
      noteDuplicate(nodeIds, id, here, index.problems, "node id");
    } else if (definesId) {
      noteDuplicate(index.ids, id, here, index.problems, "id");
      if (resourceElements.has(el.name)) index.resources.add(id);
      if (el.name === "tag") index.tags.add(id);
    }
    for (const c of el.children) visit(c, here);
  };
  visit(configuration, [tree]);
  return index;
}

function isAclRoleRef(el: XmlElement, parent: XmlElement | undefined): boolean {
  return el.name === "role" && parent !== undefined && parent.name !== "acls";
}

function noteDuplicate(
  seen: Map<string, XmlElement>,
  id: string,
  chain: XmlElement[],
  out: CibProblem[],
  label: string,
): void {
  const first = seen.get(id);
  const el = chain[chain.length - 1] as XmlElement;
  if (first === undefined) {
    seen.set(id, el);
    return;
  }
  out.push(
    problem(
      "DUPLICATE_ID",
      chain,
      `${label} "${id}" used again`,
      `already used by <${first.name}>; ids must be unique`,
    ),
  );
}

// ---- references --------------------------------------------------------------

const resourceRefAttrs: Record<string, readonly string[]> = {
  rsc_location: ["rsc"],
  rsc_colocation: ["rsc", "with-rsc"],
  rsc_order: ["first", "then"],
  rsc_ticket: ["rsc"],
  resource_ref: ["id"],
};

function checkReferences(chain: XmlElement[], el: XmlElement, index: ConfigIndex, out: CibProblem[]): void {
  for (const attr of resourceRefAttrs[el.name] ?? []) {
    const target = el.attrs[attr];
    if (target === undefined || index.resources.has(target) || index.tags.has(target)) continue;
    out.push(problem("DANGLING_REF", chain, `${attr}="${target}"`, `no resource or tag has id ${target}`));
  }
  const template = el.attrs["template"];
  if (el.name === "primitive" && template !== undefined && index.ids.get(template)?.name !== "template") {
    out.push(problem("DANGLING_REF", chain, `template="${template}"`, `no template has id ${template}`));
  }
  if (el.name === "obj_ref" && el.attrs["id"] !== undefined && !index.ids.has(el.attrs["id"])) {
    out.push(
      problem("DANGLING_REF", chain, `obj_ref id="${el.attrs["id"]}"`, `nothing has id ${el.attrs["id"]}`),
    );
  }
  const idRef = el.attrs["id-ref"];
  if (idRef !== undefined && el.attrs["id"] === undefined) {
    const target = index.ids.get(idRef);
    if (!target) out.push(problem("DANGLING_REF", chain, `id-ref="${idRef}"`, `nothing has id ${idRef}`));
    else if (target.name !== el.name) {
      out.push(
        problem(
          "DANGLING_REF",
          chain,
          `id-ref="${idRef}"`,
          `${idRef} is a <${target.name}>, not a <${el.name}>`,
        ),
      );
    }
  }
  if (el.name === "fencing-level") checkFencingDevices(chain, el, index, out);
}

function checkFencingDevices(
  chain: XmlElement[],
  el: XmlElement,
  index: ConfigIndex,
  out: CibProblem[],
): void {
  for (const device of (el.attrs["devices"] ?? "").split(",")) {
    if (device === "" || index.resources.has(device)) continue;
    out.push(problem("DANGLING_REF", chain, `devices names "${device}"`, `no resource has id ${device}`));
  }
}

// ---- scores, classes, roles --------------------------------------------------

function checkScore(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  const score = el.attrs["score"];
  if (score === undefined || isScore(score)) return;
  if (el.name === "node" && ["red", "yellow", "green"].includes(score)) return;
  out.push(problem("BAD_SCORE", chain, `score="${score}"`, "a score is an integer, INFINITY or -INFINITY"));
}

function checkAgentClass(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  if (el.name !== "primitive" && el.name !== "template") return;
  const cls = el.attrs["class"];
  if (cls === undefined) {
    if (el.attrs["template"] === undefined) {
      out.push(
        problem("UNKNOWN_CLASS", chain, "no class", "a resource needs class and type (or a template)"),
      );
    }
    return;
  }
  if (!agentClassNames.includes(cls)) {
    out.push(
      problem(
        "UNKNOWN_CLASS",
        chain,
        `class="${cls}"`,
        `unknown agent class; known: ${agentClassNames.join(", ")}`,
      ),
    );
  } else if (cls === "ocf" && el.attrs["provider"] === undefined) {
    out.push(
      problem(
        "UNKNOWN_CLASS",
        chain,
        `class="ocf" without provider`,
        "ocf agents need a provider (e.g. heartbeat)",
      ),
    );
  }
  if (el.attrs["type"] === undefined) {
    out.push(problem("UNKNOWN_CLASS", chain, "no type", "a resource needs an agent type"));
  }
}

/** meta_attributes nvpairs with a constrained value. */
function checkMetaValue(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  if (el.name !== "nvpair") return;
  const set = chain[chain.length - 2];
  const name = el.attrs["name"];
  const value = el.attrs["value"];
  if (set?.name !== "meta_attributes" || value === undefined) return;
  if (name !== undefined) checkBooleanMeta(chain, name, value, out);
  if (name === "target-role" && value !== "#default" && !parseRole(value).ok) {
    out.push(
      problem(
        "BAD_ROLE",
        chain,
        `target-role="${value}"`,
        "roles are Stopped, Started, Promoted, Unpromoted (or Master, Slave)",
      ),
    );
  }
  if (name === "resource-stickiness" && !isScore(value)) {
    out.push(
      problem(
        "BAD_SCORE",
        chain,
        `resource-stickiness="${value}"`,
        "a score is an integer, INFINITY or -INFINITY",
      ),
    );
  }
}

/** crm_config nvpairs: each known cluster option's value must be of its type. */
function checkClusterProperty(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  if (el.name !== "nvpair" || chain[chain.length - 2]?.name !== "cluster_property_set") return;
  const { name, value } = el.attrs;
  if (name === undefined || value === undefined) return;
  const why = checkClusterOption(name, value);
  if (why !== undefined) out.push(problem("BAD_VALUE", chain, `${name}="${value}"`, why));
}

/** An op's interval and timeout are durations; one resource never has two recurring ops of one name and interval. */
function checkOperations(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  if (el.name !== "operations") return;
  const seen = new Map<string, string>();
  for (const op of el.children) {
    if (op.name !== "op") continue;
    const here = [...chain, op];
    let intervalMs: number | undefined;
    for (const attr of ["interval", "timeout", "start-delay"]) {
      const v = op.attrs[attr];
      if (v === undefined) continue;
      const d = parseDurationMs(v);
      if (!d.ok) out.push(problem("BAD_VALUE", here, `${attr}="${v}"`, d.why));
      else if (attr === "interval") intervalMs = d.value;
    }
    // Pacemaker refuses duplicates among recurring operations only (is_op_dup).
    if (!intervalMs || op.attrs["name"] === undefined) continue;
    const key = `${op.attrs["name"]} ${intervalMs}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out.push(
        problem(
          "DUPLICATE_OP",
          here,
          `${op.attrs["name"]} interval="${op.attrs["interval"] ?? ""}"`,
          `${first} already is a ${op.attrs["name"]} with this interval; give each a different interval`,
        ),
      );
    } else seen.set(key, op.attrs["id"] ?? op.attrs["name"]);
  }
}

/** Meta attributes whose value is a boolean. */
const booleanMeta = new Set([
  "is-managed",
  "maintenance",
  "globally-unique",
  "interleave",
  "ordered",
  "notify",
  "promotable",
  "allow-migrate",
  "critical",
  "multiple-active-ok",
]);

function checkBooleanMeta(chain: XmlElement[], name: string, value: string, out: CibProblem[]): void {
  if (!booleanMeta.has(name)) return;
  const b = parseBoolean(value);
  if (!b.ok) out.push(problem("BAD_VALUE", chain, `${name}="${value}"`, b.why));
}

/**
 * Characters XML 1.0 cannot carry (C0 controls other than tab, newline and
 * carriage return; U+FFFE, U+FFFF; lone surrogates): a document holding one
 * in a value or text is no longer XML once written, and xmllint and crm_verify
 * refuse the file.
 */
const notXmlChar =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkCharacters(tree: XmlElement): CibProblem[] {
  const out: CibProblem[] = [];
  const visit = (el: XmlElement, chain: XmlElement[]): void => {
    const here = [...chain, el];
    for (const [k, v] of Object.entries(el.attrs)) {
      const m = notXmlChar.exec(v);
      if (m)
        out.push(
          problem(
            "BAD_VALUE",
            here,
            `${k}="${escapeChar(v)}"`,
            `U+${codePoint(m[0])} cannot be written in XML`,
          ),
        );
    }
    const t = el.text === undefined ? null : notXmlChar.exec(el.text);
    if (t) out.push(problem("BAD_VALUE", here, "text", `U+${codePoint(t[0])} cannot be written in XML`));
    for (const c of el.children) visit(c, here);
  };
  visit(tree, []);
  return out;
}

const codePoint = (c: string): string => (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
const escapeChar = (v: string): string =>
  v.replace(new RegExp(notXmlChar.source, "g"), (c) => `\\u${codePoint(c)}`);

// ---- rules -------------------------------------------------------------------

const isoDate =
  /^\d{4}(-\d{2}(-\d{2})?|-\d{3}|-W\d{2}(-\d)?)?([T ]\d{2}(:?\d{2}(:?\d{2})?)?\s?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;
const rangePattern = /^-?\d+(\s*-\s*\d+)?$/;

function checkRule(chain: XmlElement[], el: XmlElement, out: CibProblem[]): void {
  const bad = (what: string, why: string): void => {
    out.push(problem("BAD_RULE", chain, what, why));
  };
  switch (el.name) {
    case "rule":
      if (el.attrs["score"] !== undefined && el.attrs["score-attribute"] !== undefined) {
        bad("both score and score-attribute", "a rule takes one of them");
      }
      return;
    case "expression":
      return checkExpression(el, bad);
    case "date_expression":
      return checkDateExpression(el, bad);
    case "date_spec":
    case "duration":
      return checkDateFields(el, el.name === "duration" ? /^\d+$/ : rangePattern, bad);
    case "rsc_expression":
    case "op_expression":
      return checkDefaultsOnly(chain, el, bad);
  }
}

type Bad = (what: string, why: string) => void;

function checkExpression(el: XmlElement, bad: Bad): void {
  const op = el.attrs["operation"];
  const value = el.attrs["value"];
  if (op === undefined) return; // the schema reports it
  if (op !== "defined" && op !== "not_defined" && value === undefined) {
    bad(`operation="${op}" without value`, "there is nothing to compare the attribute with");
    return;
  }
  // A value that does not parse as the declared type is compared as a
  // string (Pacemaker does the same), so it is not reported.
}

function checkDateExpression(el: XmlElement, bad: Bad): void {
  const op = el.attrs["operation"] ?? "in_range";
  const { start, end } = el.attrs;
  for (const [name, v] of [
    ["start", start],
    ["end", end],
  ] as const) {
    if (v !== undefined && !isoDate.test(v.trim())) bad(`${name}="${v}"`, "not an ISO 8601 date and time");
  }
  const hasDuration = el.children.some((c) => c.name === "duration");
  if (op === "in_range" && start === undefined && end === undefined) {
    bad("in_range without start or end", "the range is unbounded on both sides");
  } else if (op === "in_range" && hasDuration && start === undefined) {
    bad("in_range with duration but no start", "a duration counts from start");
  } else if (op === "gt" && start === undefined) {
    bad("gt without start", "gt compares the date with start");
  } else if (op === "lt" && end === undefined) {
    bad("lt without end", "lt compares the date with end");
  } else if (op === "date_spec" && !el.children.some((c) => c.name === "date_spec")) {
    bad("date_spec operation without <date_spec>", "there is no specification to match");
  }
}

function checkDateFields(el: XmlElement, pattern: RegExp, bad: Bad): void {
  for (const f of dateSpecFields) {
    const v = el.attrs[f];
    if (v !== undefined && !pattern.test(v.trim())) bad(`${f}="${v}"`, "not a number or a range like 9-17");
  }
}

function checkDefaultsOnly(chain: XmlElement[], el: XmlElement, bad: Bad): void {
  const section = chain.find((c) => c.name === "rsc_defaults" || c.name === "op_defaults");
  if (el.name === "op_expression" && section?.name !== "op_defaults") {
    bad("op_expression", "can only be evaluated inside op_defaults");
  } else if (el.name === "rsc_expression" && section === undefined) {
    bad("rsc_expression", "can only be evaluated inside rsc_defaults or op_defaults");
  }
}
