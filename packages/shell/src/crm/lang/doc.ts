import { HacrmError } from "@hacrm/common";
import { element, walk, type XmlElement } from "@hacrm/cib";
import type { Pos } from "./lexer.js";

/** Where the optional sections go, in the order hacrm writes them. */
export const SECTION_ORDER = [
  "crm_config",
  "nodes",
  "resources",
  "constraints",
  "fencing-topology",
  "rsc_defaults",
  "op_defaults",
  "alerts",
  "acls",
  "tags",
];
export const RESOURCE_ELEMENTS = new Set(["primitive", "group", "clone", "master", "bundle", "template"]);
const RESOURCE_PARENTS = new Set(["resources", ...RESOURCE_ELEMENTS]);
export const CONSTRAINT_ELEMENTS = new Set(["rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket"]);

export function configuration(cib: XmlElement): XmlElement {
  let conf = cib.children.find((c) => c.name === "configuration");
  if (!conf) {
    conf = element("configuration");
    cib.children.unshift(conf);
  }
  return conf;
}

/** A section of <configuration>, created in its place when missing. */
export function section(cib: XmlElement, name: string): XmlElement {
  const conf = configuration(cib);
  const found = conf.children.find((c) => c.name === name);
  if (found) return found;
  const el = element(name);
  const rank = (n: string): number => {
    const r = SECTION_ORDER.indexOf(n);
    return r < 0 ? SECTION_ORDER.length : r;
  };
  const at = conf.children.findIndex((c) => rank(c.name) > rank(name));
  if (at < 0) conf.children.push(el);
  else conf.children.splice(at, 0, el);
  return el;
}

export function findSection(cib: XmlElement, name: string): XmlElement | undefined {
  return configuration(cib).children.find((c) => c.name === name);
}

const isReference = (el: XmlElement): boolean =>
  el.name === "resource_ref" || el.name === "obj_ref" || el.name === "role";

/**
 * The ids a document defines, with each element's parent: what `findById`,
 * `findResource` and `IdAllocator` would otherwise find by walking the whole
 * configuration, once per command (quadratic over a long script). The
 * session attaches one to its working document only while every command
 * appends one whole new object (batch mode), reports each object it added,
 * and detaches it before any other command; detached, every lookup walks
 * the document as before.
 */
export class IdIndex {
  readonly byId = new Map<string, { el: XmlElement; parent: XmlElement }>();
  constructor(cib: XmlElement) {
    const conf = configuration(cib);
    for (const c of conf.children) this.add(c, conf);
  }
  /** An object appended to `parent`, with everything in it. */
  add(el: XmlElement, parent: XmlElement): void {
    const stack: [XmlElement, XmlElement][] = [[el, parent]];
    while (stack.length > 0) {
      const [e, p] = stack.pop() as [XmlElement, XmlElement];
      const id = e.attrs["id"];
      if (id !== undefined && !isReference(e) && !this.byId.has(id)) this.byId.set(id, { el: e, parent: p });
      for (const c of e.children) stack.push([c, e]);
    }
  }
}

const indexes = new WeakMap<XmlElement, IdIndex>();

/** The index attached to `cib`, built when there is none. */
export function attachIdIndex(cib: XmlElement): IdIndex {
  let idx = indexes.get(cib);
  if (!idx) indexes.set(cib, (idx = new IdIndex(cib)));
  return idx;
}

export function detachIdIndex(cib: XmlElement): void {
  indexes.delete(cib);
}

/** The element with this id anywhere in <configuration>, and its parent. */
export function findById(cib: XmlElement, id: string): { el: XmlElement; parent: XmlElement } | undefined {
  const idx = indexes.get(cib);
  if (idx) return idx.byId.get(id);
  const stack: XmlElement[] = [configuration(cib)];
  while (stack.length > 0) {
    const p = stack.pop() as XmlElement;
    for (const c of p.children) {
      if (c.attrs["id"] === id && c.name !== "resource_ref" && c.name !== "obj_ref" && c.name !== "role")
        return { el: c, parent: p };
      stack.push(c);
    }
  }
  return undefined;
}

/** Every id defined in <configuration> (references such as resource_ref are not definitions). */
export function definedIds(cib: XmlElement): Set<string> {
  const ids = new Set<string>();
  for (const el of walk(configuration(cib))) {
    const id = el.attrs["id"];
    if (id !== undefined && el.name !== "resource_ref" && el.name !== "obj_ref" && el.name !== "role")
      ids.add(id);
  }
  return ids;
}

/** Hands out fresh ids the way crmsh does: NAME, else NAME-0, NAME-1, ... */
export class IdAllocator {
  /** The document's ids (its index when attached, read only) and those handed out since. */
  private readonly defined: { has(id: string): boolean };
  private readonly used = new Set<string>();
  constructor(cib: XmlElement) {
    this.defined = indexes.get(cib)?.byId ?? definedIds(cib);
  }
  has(id: string): boolean {
    return this.used.has(id) || this.defined.has(id);
  }
  take(id: string): void {
    this.used.add(id);
  }
  fresh(natural: string): string {
    let id = natural;
    for (let k = 0; this.has(id); k++) id = `${natural}-${k}`;
    this.used.add(id);
    return id;
  }
}

export function semanticError(
  source: string,
  pos: Pos | undefined,
  message: string,
  hint?: string,
): HacrmError {
  return new HacrmError({
    code: "CRM_SEMANTIC",
    where: pos ? `${source}:${pos.line}:${pos.col}` : source,
    message,
    ...(hint !== undefined ? { hint } : {}),
  });
}

/** Kind of a configuration object, in crm words. */
export function crmKind(el: XmlElement): string {
  const names: Record<string, string> = {
    rsc_location: "location",
    rsc_colocation: "colocation",
    rsc_order: "order",
    template: "rsc_template",
    master: "ms",
    acl_role: "role",
    "fencing-topology": "fencing_topology",
  };
  return names[el.name] ?? el.name;
}

/** Top-level and nested resources of <resources>, depth first. */
export function allResources(cib: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (el: XmlElement): void => {
    for (const c of el.children) {
      if (RESOURCE_ELEMENTS.has(c.name)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(section(cib, "resources"));
  return out;
}

/** The resource with this id and its parent element. */
export function findResource(
  cib: XmlElement,
  id: string,
): { el: XmlElement; parent: XmlElement } | undefined {
  const idx = indexes.get(cib);
  if (idx) {
    const r = idx.byId.get(id);
    return r && RESOURCE_ELEMENTS.has(r.el.name) && RESOURCE_PARENTS.has(r.parent.name) ? r : undefined;
  }
  const visit = (p: XmlElement): { el: XmlElement; parent: XmlElement } | undefined => {
    for (const c of p.children) {
      if (!RESOURCE_ELEMENTS.has(c.name)) continue;
      if (c.attrs["id"] === id) return { el: c, parent: p };
      const r = visit(c);
      if (r) return r;
    }
    return undefined;
  };
  return visit(section(cib, "resources"));
}

const SET_RANK: Record<string, number> = {
  instance_attributes: 0,
  meta_attributes: 1,
  utilization: 2,
  operations: 3,
};
const SET_PARENTS = new Set(["primitive", "template", "group", "clone", "master", "bundle", "node", "op"]);

/** Canonical text of an element: attributes sorted, attribute sets first where their place does not matter. */
function canonical(el: XmlElement): string {
  const attrs = Object.entries(el.attrs)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(" ");
  let kids = el.children;
  if (SET_PARENTS.has(el.name))
    kids = [...kids].sort((x, y) => (SET_RANK[x.name] ?? 4) - (SET_RANK[y.name] ?? 4));
  return `<${el.name} ${attrs}>${el.text ?? ""}${kids.map(canonical).join("")}</${el.name}>`;
}

/** Do two CIBs hold the same configuration (ignoring attribute order and where attribute sets sit)? */
export function sameConfiguration(a: XmlElement, b: XmlElement): boolean {
  const sections = (cib: XmlElement): string =>
    configuration(cib)
      .children.filter((s) => s.children.length > 0 || Object.keys(s.attrs).length > 0)
      .map(canonical)
      .sort()
      .join("");
  return sections(a) === sections(b);
}
