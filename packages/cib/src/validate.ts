import { isHacrmError } from "@hacrm/common";
import { checkSemantics } from "./core/semantic.js";
import { problem, type CibProblem } from "./core/problems.js";
import { createSchemaChecker, type SchemaChecker } from "./schema.js";
import { parseXml, type ParseLimits, type XmlElement } from "./xml.js";

export * from "./schema.js";

export interface ValidateOptions {
  /** A compiled schema to reuse across calls; compiled on first use otherwise. */
  schema?: SchemaChecker;
  /** Problems listed before the rest are summarised in one last line. Default 500. */
  problemsMax?: number;
}

let defaultChecker: SchemaChecker | undefined; // memoised compiled schema (read-only after creation)

function checker(opts: ValidateOptions): SchemaChecker {
  return opts.schema ?? defaultSchemaChecker();
}

/** The compiled default schema, compiled on first use and kept. */
export function defaultSchemaChecker(): SchemaChecker {
  defaultChecker ??= createSchemaChecker();
  return defaultChecker;
}

/**
 * Every problem of a CIB tree: the JSON Schema first (structure, required
 * attributes, enumerations), then the semantic checks. An empty list means
 * valid. Semantic checks are skipped when the root is not even a `cib`.
 */
export function validateCib(tree: XmlElement, opts: ValidateOptions = {}): CibProblem[] {
  if (tree.name !== "cib") {
    return [
      problem("SCHEMA", [tree], `root element <${tree.name}>`, "a CIB document's root element is <cib>"),
    ];
  }
  const all = [...checker(opts).check(tree), ...checkSemantics(tree)];
  const max = opts.problemsMax ?? 500;
  if (all.length <= max) return all;
  const rest = all.length - max;
  const more: CibProblem = {
    code: all[max]?.code ?? "SCHEMA",
    element: "cib",
    where: "cib",
    what: `${rest} more problems`,
    why: `not listed (the first ${max} are)`,
  };
  return [...all.slice(0, max), more];
}

export interface TextValidation {
  /** The parsed tree, when the text was well-formed XML within limits. */
  tree?: XmlElement;
  problems: CibProblem[];
}

/** Parse then validate; malformed, oversized or too deep input is one problem. */
export function validateCibText(
  text: string,
  source: string,
  opts: ValidateOptions & { limits?: ParseLimits } = {},
): TextValidation {
  let tree: XmlElement;
  try {
    tree = parseXml(text, source, opts.limits);
  } catch (err) {
    if (!isHacrmError(err)) throw err;
    const code =
      err.code === "XML_TOO_LARGE" ? "TOO_LARGE" : err.code === "XML_TOO_DEEP" ? "TOO_DEEP" : "XML_MALFORMED";
    return {
      problems: [
        {
          code,
          element: "document",
          where: err.where ?? source,
          what: err.message.replace(/^malformed XML: /, ""),
          why: err.hint ?? "the file is not well-formed XML",
        },
      ],
    };
  }
  return { tree, problems: validateCib(tree, opts) };
}
