import { walk, type XmlElement } from "@hacrm/cib";
import type { Word } from "./ast.js";
import {
  CONSTRAINT_ELEMENTS,
  RESOURCE_ELEMENTS,
  configuration,
  findById,
  findResource,
  findSection,
  section,
  semanticError,
} from "./doc.js";
import { RESERVED_IDS } from "./build.js";
import { isValidId } from "./parser.js";

export interface EditContext {
  cib: XmlElement;
  source: string;
  /** Informational messages (what else changed). */
  info: (line: string) => void;
}

const REF_ATTRS = ["rsc", "with-rsc", "first", "then"];

function removeChild(parent: XmlElement, el: XmlElement): void {
  const at = parent.children.indexOf(el);
  if (at >= 0) parent.children.splice(at, 1);
}

const CRM_NAMES: Record<string, string> = {
  rsc_location: "location",
  rsc_colocation: "colocation",
  rsc_order: "order",
};

/** Turn a one-set, two-member colocation/order back into the plain form. */
function collapseSets(c: XmlElement): void {
  const sets = c.children.filter((x) => x.name === "resource_set");
  if (sets.length !== 1 || (c.name !== "rsc_colocation" && c.name !== "rsc_order")) return;
  const set = sets[0] as XmlElement;
  const refs = set.children.filter((x) => x.name === "resource_ref").map((x) => x.attrs["id"] ?? "");
  if (refs.length !== 2 || set.attrs["sequential"] === "false") return;
  const [a, b] = refs as [string, string];
  removeChild(c, set);
  if (c.name === "rsc_colocation") {
    c.attrs["rsc"] = b;
    c.attrs["with-rsc"] = a;
    if (set.attrs["role"]) c.attrs["rsc-role"] = c.attrs["with-rsc-role"] = set.attrs["role"];
  } else {
    c.attrs["first"] = a;
    c.attrs["then"] = b;
    if (set.attrs["action"]) c.attrs["first-action"] = c.attrs["then-action"] = set.attrs["action"];
  }
}

/** Constraints and tags that name `id`: point them at `replacement`, or drop the reference. */
export function fixReferences(ctx: EditContext, id: string, replacement: string | undefined): void {
  const constraints = section(ctx.cib, "constraints");
  for (const c of [...constraints.children]) {
    if (!CONSTRAINT_ELEMENTS.has(c.name)) continue;
    const kind = CRM_NAMES[c.name] ?? c.name;
    if (REF_ATTRS.some((a) => c.attrs[a] === id)) {
      if (replacement !== undefined) {
        for (const a of REF_ATTRS) if (c.attrs[a] === id) c.attrs[a] = replacement;
      } else {
        removeChild(constraints, c);
        ctx.info(`hanging ${kind}:${c.attrs["id"] ?? ""} deleted`);
      }
      continue;
    }
    let touched = false;
    for (const set of c.children.filter((x) => x.name === "resource_set")) {
      for (const r of set.children.filter((x) => x.name === "resource_ref" && x.attrs["id"] === id)) {
        touched = true;
        if (replacement !== undefined) r.attrs["id"] = replacement;
        else removeChild(set, r);
      }
      if (!set.children.some((x) => x.name === "resource_ref")) removeChild(c, set);
    }
    if (!touched || replacement !== undefined) continue;
    const left = c.children
      .filter((x) => x.name === "resource_set")
      .flatMap((s) => s.children.filter((x) => x.name === "resource_ref"));
    if (left.length === 0 || (left.length < 2 && c.name !== "rsc_location" && c.name !== "rsc_ticket")) {
      removeChild(constraints, c);
      ctx.info(`hanging ${kind}:${c.attrs["id"] ?? ""} deleted`);
    } else {
      collapseSets(c);
      ctx.info(`constraint ${kind}:${c.attrs["id"] ?? ""} updated`);
    }
  }
  const tags = findSection(ctx.cib, "tags");
  for (const t of [...(tags?.children ?? [])]) {
    for (const r of t.children.filter((x) => x.name === "obj_ref" && x.attrs["id"] === id)) {
      if (replacement !== undefined) r.attrs["id"] = replacement;
      else removeChild(t, r);
    }
    if (tags && t.children.length === 0) removeChild(tags, t);
  }
}

function deleteResource(ctx: EditContext, el: XmlElement, parent: XmlElement, w: Word): void {
  const id = el.attrs["id"] ?? "";
  const resources = section(ctx.cib, "resources");
  if (parent.name === "clone" || parent.name === "master" || parent.name === "bundle") {
    throw semanticError(
      ctx.source,
      w.pos,
      `${id} is inside ${parent.name} ${parent.attrs["id"] ?? ""}`,
      `delete ${parent.attrs["id"] ?? "the container"} first (its member is kept)`,
    );
  }
  if (el.name === "template" && [...walk(resources)].some((r) => r.attrs["template"] === id)) {
    throw semanticError(
      ctx.source,
      w.pos,
      `rsc_template ${id} is in use`,
      "delete the primitives that use it first",
    );
  }
  removeChild(parent, el);
  const members =
    el.name === "primitive" || el.name === "template"
      ? []
      : el.children.filter((c) => RESOURCE_ELEMENTS.has(c.name));
  resources.children.push(...members);
  fixReferences(ctx, id, members[0]?.attrs["id"]);
  if (parent.name === "group" && !parent.children.some((c) => c.name === "primitive")) {
    const gp = findResource(ctx.cib, parent.attrs["id"] ?? "");
    if (gp) deleteResource(ctx, gp.el, gp.parent, w);
  }
}

/** `delete ID...`: resources keep their members and take their constraints with them. */
export function deleteObjects(ctx: EditContext, args: Word[]): void {
  if (args.length === 0) throw semanticError(ctx.source, undefined, "delete: expected the id of an object");
  for (const w of args) {
    if (w.text === "fencing_topology") {
      const ft = findSection(ctx.cib, "fencing-topology");
      if (!ft || ft.children.length === 0)
        throw semanticError(ctx.source, w.pos, "no fencing_topology to delete");
      ft.children = [];
      continue;
    }
    const res = findResource(ctx.cib, w.text);
    if (res) {
      deleteResource(ctx, res.el, res.parent, w);
      continue;
    }
    const found = findById(ctx.cib, w.text) ?? findNodeByUname(ctx.cib, w.text);
    if (!found || !configuration(ctx.cib).children.includes(found.parent)) {
      throw semanticError(ctx.source, w.pos, `object ${w.text} does not exist`, "see 'show' for the ids");
    }
    removeChild(found.parent, found.el);
    if (found.el.name === "tag") fixReferences(ctx, w.text, undefined);
  }
}

function findNodeByUname(cib: XmlElement, uname: string): { el: XmlElement; parent: XmlElement } | undefined {
  const nodes = section(cib, "nodes");
  const el = nodes.children.find((n) => n.attrs["uname"] === uname);
  return el ? { el, parent: nodes } : undefined;
}

/** `rename OLD NEW`: references follow; the object's own set and op ids stay. */
export function renameObject(ctx: EditContext, args: Word[]): void {
  const [from, to] = args;
  if (!from || !to || args.length !== 2)
    throw semanticError(ctx.source, args[0]?.pos, "rename: expected OLD NEW");
  if (!isValidId(to.text) || RESERVED_IDS.has(to.text))
    throw semanticError(ctx.source, to.pos, `${to.text}: invalid object id`);
  if (findById(ctx.cib, to.text))
    throw semanticError(ctx.source, to.pos, `rename: id '${to.text}' is already in use`);
  const found = findById(ctx.cib, from.text);
  if (!found) throw semanticError(ctx.source, from.pos, `object ${from.text} does not exist`);
  found.el.attrs["id"] = to.text;
  if (found.el.name === "node" && found.el.attrs["uname"] === from.text) found.el.attrs["uname"] = to.text;
  for (const el of walk(configuration(ctx.cib))) {
    for (const a of [...REF_ATTRS, "template", "id-ref"])
      if (el.attrs[a] === from.text) el.attrs[a] = to.text;
    if (
      (el.name === "resource_ref" || el.name === "obj_ref" || el.name === "role") &&
      el.attrs["id"] === from.text
    )
      el.attrs["id"] = to.text;
    if (el.name === "fencing-level" && el.attrs["devices"] !== undefined) {
      el.attrs["devices"] = el.attrs["devices"]
        .split(",")
        .map((d) => (d === from.text ? to.text : d))
        .join(",");
    }
  }
}

/** `modgroup GROUP add RSC [after|before RSC2]` / `modgroup GROUP remove RSC`. */
export function modgroup(ctx: EditContext, args: Word[]): void {
  const [g, verb, r, where, anchor] = args;
  if (!g || !verb || !r)
    throw semanticError(ctx.source, args[0]?.pos, "modgroup: expected GROUP add|remove RESOURCE");
  const group = findResource(ctx.cib, g.text);
  if (!group || group.el.name !== "group") throw semanticError(ctx.source, g.pos, `no group '${g.text}'`);
  const resources = section(ctx.cib, "resources");
  if (verb.text === "remove") {
    const m = group.el.children.find((c) => c.name === "primitive" && c.attrs["id"] === r.text);
    if (!m) throw semanticError(ctx.source, r.pos, `${r.text} is not a member of ${g.text}`);
    if (group.el.children.filter((c) => c.name === "primitive").length === 1) {
      throw semanticError(
        ctx.source,
        r.pos,
        `${r.text} is the last member of ${g.text}`,
        `delete ${g.text} instead`,
      );
    }
    removeChild(group.el, m);
    resources.children.push(m);
    return;
  }
  if (verb.text !== "add")
    throw semanticError(ctx.source, verb.pos, `modgroup: expected add or remove, found '${verb.text}'`);
  const m = findResource(ctx.cib, r.text);
  if (!m || m.el.name !== "primitive") throw semanticError(ctx.source, r.pos, `no primitive '${r.text}'`);
  if (m.parent !== resources)
    throw semanticError(
      ctx.source,
      r.pos,
      `${r.text} is already in ${m.parent.attrs["id"] ?? "a container"}`,
    );
  let at = group.el.children.length;
  if (where) {
    if ((where.text !== "after" && where.text !== "before") || !anchor)
      throw semanticError(ctx.source, where.pos, "modgroup: expected after|before RESOURCE");
    const i = group.el.children.findIndex((c) => c.attrs["id"] === anchor.text);
    if (i < 0) throw semanticError(ctx.source, anchor.pos, `${anchor.text} is not a member of ${g.text}`);
    at = where.text === "after" ? i + 1 : i;
  }
  removeChild(resources, m.el);
  group.el.children.splice(at, 0, m.el);
}

/** `set ID.NAME VALUE`: change an attribute (or an nvpair of the object's sets) that already exists. */
export function setAttribute(ctx: EditContext, args: Word[]): void {
  const [path, value] = args;
  if (!path || !value || args.length !== 2)
    throw semanticError(ctx.source, args[0]?.pos, "set: expected ID.NAME VALUE");
  for (let dot = path.text.lastIndexOf("."); dot > 0; dot = path.text.lastIndexOf(".", dot - 1)) {
    const found = findById(ctx.cib, path.text.slice(0, dot));
    if (!found) continue;
    const name = path.text.slice(dot + 1);
    if (name !== "id" && found.el.attrs[name] !== undefined) {
      found.el.attrs[name] = value.text;
      return;
    }
    for (const set of found.el.children) {
      const nv = set.children.find((c) => c.name === "nvpair" && c.attrs["name"] === name);
      if (nv && nv.attrs["value"] !== undefined) {
        nv.attrs["value"] = value.text;
        return;
      }
    }
    if (found.el.name === "nvpair" && name === "value") {
      found.el.attrs["value"] = value.text;
      return;
    }
    throw semanticError(
      ctx.source,
      path.pos,
      `${found.el.attrs["id"] ?? ""} has no attribute '${name}'`,
      "set only changes an attribute that exists",
    );
  }
  throw semanticError(ctx.source, path.pos, `set: no object matches '${path.text}'`, "write ID.NAME");
}
