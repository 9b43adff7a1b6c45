import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from "ajv";
import { problem, type CibProblem } from "./core/problems.js";
import { resolvePointer, toJsonForm, type JsonForm } from "./core/json-form.js";
import type { XmlElement } from "./xml.js";

/** Where the JSON Schemas live: `cib-schemas/` at the repository root. */
export const cibSchemaUrl = new URL("../../../cib-schemas/cib.schema.json", import.meta.url);

/** A compiled CIB schema; compile once with `createSchemaChecker` and reuse. */
export interface SchemaChecker {
  check(tree: XmlElement): CibProblem[];
}

/** Problems reported per document before the rest is summarised. */
const schemaProblemsMax = 200;

export function createSchemaChecker(opts: { schemaUrl?: URL } = {}): SchemaChecker {
  const schema = JSON.parse(readFileSync(opts.schemaUrl ?? cibSchemaUrl, "utf8")) as object;
  // Loaded on first use: processes that never validate (replicas adopting
  // already-validated versions) do not pay for ajv at start-up.
  const { Ajv } = createRequire(import.meta.url)("ajv") as { Ajv: typeof AjvClass };
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    check(tree) {
      const form = toJsonForm(tree, { shallow: (el) => el.name === "status" });
      if (validate(form.root)) return [];
      return toProblems(form, validate.errors ?? []);
    },
  };
}

function toProblems(form: JsonForm, errors: ErrorObject[]): CibProblem[] {
  // anyOf/oneOf report every failed branch too; keep only the summary error.
  const summarized = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const kept = errors.filter(
    (e) =>
      e.keyword === "anyOf" ||
      e.keyword === "oneOf" ||
      !summarized.some(
        (s) => s.instancePath === e.instancePath && e.schemaPath.startsWith(`${s.schemaPath}/`),
      ),
  );
  const out: CibProblem[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const p = toProblem(form, e, errors);
    const key = `${p.where}|${p.what}|${p.why}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
    if (out.length >= schemaProblemsMax) break;
  }
  return out;
}

function describe(e: ErrorObject): string | undefined {
  const d = (e.parentSchema as { description?: unknown } | undefined)?.description;
  return typeof d === "string" ? d : undefined;
}

function toProblem(form: JsonForm, e: ErrorObject, all: ErrorObject[]): CibProblem {
  const { chain, attribute, childName } = resolvePointer(form, e.instancePath);
  const why = describe(e) ?? e.message ?? e.keyword;
  if (attribute !== undefined) {
    const value = String(e.data);
    return problem("SCHEMA", chain, `${attribute}="${value}"`, why);
  }
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const missing = String(params["missingProperty"]);
      return missing.startsWith("@")
        ? problem("SCHEMA", chain, `attribute ${missing.slice(1)} missing`, "the schema requires it")
        : problem("SCHEMA", chain, `element <${missing}> missing`, "the schema requires it");
    }
    case "additionalProperties":
      return problem(
        "SCHEMA",
        chain,
        `unexpected element <${String(params["additionalProperty"])}>`,
        `not allowed inside <${chain[chain.length - 1]?.name ?? "?"}>`,
      );
    case "maxItems":
      return problem(
        "SCHEMA",
        chain,
        `<${childName ?? "?"}> repeated`,
        `at most one <${childName ?? "?"}> is allowed here`,
      );
    case "minItems":
      return problem(
        "SCHEMA",
        chain,
        `<${childName ?? "?"}> missing`,
        `at least one <${childName ?? "?"}> is needed here`,
      );
    default:
      return problem("SCHEMA", chain, describeWhat(e, all), why);
  }
}

/** For anyOf/oneOf: what the first alternative lacks, e.g. "attribute interval missing". */
function describeWhat(e: ErrorObject, all: ErrorObject[]): string {
  if (e.keyword !== "anyOf" && e.keyword !== "oneOf") return `${e.keyword} violated`;
  const firstBranch = `${e.schemaPath}/0/`;
  const missing = all
    .filter(
      (x) =>
        x.instancePath === e.instancePath && x.keyword === "required" && x.schemaPath.startsWith(firstBranch),
    )
    .map((x) => String((x.params as Record<string, unknown>)["missingProperty"]));
  if (missing.length === 0) return e.keyword === "oneOf" ? "conflicting content" : "incomplete";
  const names = missing.map((m) => (m.startsWith("@") ? `attribute ${m.slice(1)}` : `element <${m}>`));
  return `${names.join(", ")} missing`;
}
