import { element, type XmlElement } from "@hacrm/cib";
import type { AgentCatalog } from "./agent-catalog.js";
import type * as A from "./ast.js";
import { IdAllocator, crmKind, findById, semanticError } from "./doc.js";
import type { Pos } from "./lexer.js";

/** Everything a configure command may touch while it builds XML. */
export interface BuildContext {
  cib: XmlElement;
  source: string;
  agents: AgentCatalog;
  /** -F: an agent that is not installed is accepted with a warning instead of refused. */
  force?: boolean;
  /** Where each reference was typed: key `OWNER\0REF` (for errors found at commit). */
  refPos: Map<string, Pos>;
  /** Advice that does not stop the command. */
  warn: (line: string) => void;
}

export function refKey(owner: string, ref: string): string {
  return `${owner}\u0000${ref}`;
}

/** Words that would make `show` output ambiguous if they were ids. */
export const RESERVED_IDS = new Set([
  "params",
  "meta",
  "utilization",
  "op",
  "operations",
  "op_params",
  "op_meta",
  "rule",
  "and",
  "or",
  "attributes",
  "to",
  "select",
  "description",
  "network",
  "port-mapping",
  "storage",
  "storage-mapping",
  "primitive",
  "docker",
  "rkt",
  "podman",
  "defined",
  "not_defined",
  "date",
  "xml",
  "fencing_topology",
]);

/** A new object's id must be free. */
export function claimId(ctx: BuildContext, ids: IdAllocator, w: A.Word, kind: string): void {
  if (RESERVED_IDS.has(w.text)) {
    throw semanticError(
      ctx.source,
      w.pos,
      `'${w.text}' is a keyword of the crm language and cannot be an id`,
      "pick another id",
    );
  }
  const existing = findById(ctx.cib, w.text);
  if (existing || ids.has(w.text)) {
    const what = existing ? crmKind(existing.el) : "object";
    throw semanticError(
      ctx.source,
      w.pos,
      `Cannot create ${kind} with ID '${w.text}': Found existing ${what} with same ID.`,
      `pick another id, or 'delete ${w.text}' first`,
    );
  }
  ids.take(w.text);
}

const SET_SUFFIX: Record<A.SetElement, string> = {
  instance_attributes: "instance_attributes",
  meta_attributes: "meta_attributes",
  utilization: "utilization",
};

/** Reserve the `$id=` ids typed in sets and rules before generating any. */
export function reserveSetIds(ctx: BuildContext, ids: IdAllocator, sets: A.AttrSet[]): void {
  for (const s of sets) {
    if (s.id) claimId(ctx, ids, s.id, s.element);
    for (const r of s.rules) if (r.id) claimId(ctx, ids, r.id, "rule");
  }
}

function resolveSetRef(ctx: BuildContext, ref: A.Word, elementName: string): string {
  const found = findById(ctx.cib, ref.text);
  if (!found) throw semanticError(ctx.source, ref.pos, `$id-ref: no object or set has id '${ref.text}'`);
  if (found.el.name === elementName) return ref.text;
  const own = found.el.children.find((c) => c.name === elementName && c.attrs["id"] !== undefined);
  if (!own) throw semanticError(ctx.source, ref.pos, `$id-ref: '${ref.text}' has no ${elementName} set`);
  return own.attrs["id"] as string;
}

export function buildSet(
  ctx: BuildContext,
  ids: IdAllocator,
  set: A.AttrSet,
  owner: string,
  elementName?: string,
): XmlElement {
  const name = elementName ?? set.element;
  if (set.idRef) return element(name, { "id-ref": resolveSetRef(ctx, set.idRef, name) });
  const id = set.id ? set.id.text : ids.fresh(`${owner}-${SET_SUFFIX[set.element]}`);
  const el = element(name, { id });
  if (set.score !== undefined) el.attrs["score"] = set.score;
  for (const r of set.rules) el.children.push(buildRule(ids, r, id));
  for (const p of set.pairs) el.children.push(nvpair(ids, id, p.name, p.value));
  return el;
}

export function nvpair(ids: IdAllocator, setId: string, name: string, value: string): XmlElement {
  return element("nvpair", { id: ids.fresh(`${setId}-${name}`), name, value });
}

export function buildRule(ids: IdAllocator, r: A.Rule, parent: string): XmlElement {
  const id = r.id ? r.id.text : ids.fresh(`${parent}-rule`);
  const el = element("rule", { id });
  if (r.scoreAttribute !== undefined) el.attrs["score-attribute"] = r.scoreAttribute;
  else el.attrs["score"] = r.score ?? "INFINITY";
  if (r.booleanOp === "or") el.attrs["boolean-op"] = "or";
  if (r.role !== undefined) el.attrs["role"] = r.role;
  for (const e of r.exprs) el.children.push(buildExpr(ids, e, id));
  return el;
}

function buildExpr(ids: IdAllocator, e: A.Expr, ruleId: string): XmlElement {
  const id = ids.fresh(`${ruleId}-expression`);
  switch (e.kind) {
    case "attr": {
      const el = element("expression", {
        attribute: e.attribute,
        id,
        operation: e.operation,
        value: e.value,
      });
      if (e.type !== undefined) el.attrs["type"] = e.type;
      return el;
    }
    case "defined":
    case "not_defined":
      return element("expression", { attribute: e.attribute, id, operation: e.kind });
    case "date":
      return element("date_expression", {
        id,
        operation: e.operation,
        [e.operation === "lt" ? "end" : "start"]: e.value,
      });
    case "in_range": {
      const el = element("date_expression", { id, operation: "in_range" });
      if (e.start !== undefined) el.attrs["start"] = e.start;
      if (e.end !== undefined) el.attrs["end"] = e.end;
      if (e.duration.length > 0)
        el.children.push(fieldsElement("duration", ids.fresh(`${id}-duration`), e.duration));
      return el;
    }
    case "date_spec":
      return element("date_expression", { id, operation: "date_spec" }, [
        fieldsElement("date_spec", ids.fresh(`${id}-date_spec`), e.fields),
      ]);
  }
}

function fieldsElement(name: string, id: string, fields: A.NvPair[]): XmlElement {
  const el = element(name, { id });
  for (const f of fields) el.attrs[f.name] = f.value;
  return el;
}
