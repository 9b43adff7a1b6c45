import { serializeXml, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { RESOURCE_ELEMENTS, configuration, findSection, section } from "./doc.js";
import { OP_ATTRIBUTES } from "./parser.js";

const SAFE = /^[A-Za-z0-9_.,:/@%+\-~^#]+$/;
const KEYWORDS = new Set([
  "params",
  "meta",
  "utilization",
  "op",
  "operations",
  "rule",
  "and",
  "or",
  "attributes",
  "to",
  "select",
  "op_params",
  "op_meta",
  "description",
]);

/** A value as crm syntax: bare when safe, else double-quoted with `\"` and `\\`. */
export function quote(v: string): string {
  if (SAFE.test(v) && !KEYWORDS.has(v)) return v;
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function pair(name: string, value: string): string {
  return `${/^[A-Za-z0-9_.:#@/+-]+$/.test(name) ? name : quote(name)}=${quote(value)}`;
}

const kids = (el: XmlElement, name?: string): XmlElement[] =>
  el.children.filter((c) => name === undefined || c.name === name);
const a = (el: XmlElement, k: string): string => el.attrs[k] ?? "";

/** The n-th id crmsh would generate from `base` when earlier siblings took the first ones. */
function nth(base: string, k: number): string {
  return k === 0 ? base : `${base}-${k - 1}`;
}

function printExpr(e: XmlElement): string {
  if (e.name === "date_expression") {
    const op = a(e, "operation");
    if (op === "lt") return `date lt ${quote(a(e, "end"))}`;
    if (op === "gt") return `date gt ${quote(a(e, "start"))}`;
    if (op === "date_spec") {
      const spec = kids(e, "date_spec")[0];
      return `date spec ${Object.entries(spec?.attrs ?? {})
        .filter(([k]) => k !== "id")
        .map(([k, v]) => pair(k, v))
        .join(" ")}`;
    }
    const parts = ["date in"];
    if (e.attrs["start"] !== undefined) parts.push(pair("start", a(e, "start")));
    if (e.attrs["end"] !== undefined) parts.push(pair("end", a(e, "end")));
    for (const d of kids(e, "duration"))
      for (const [k, v] of Object.entries(d.attrs)) if (k !== "id") parts.push(pair(k, v));
    return parts.join(" ");
  }
  const op = a(e, "operation");
  if (op === "defined" || op === "not_defined") return `${op} ${quote(a(e, "attribute"))}`;
  const type = e.attrs["type"] !== undefined ? `${a(e, "type")}:` : "";
  return `${quote(a(e, "attribute"))} ${type}${op} ${quote(a(e, "value"))}`;
}

export function printRule(r: XmlElement, parent: string, k: number): string {
  const parts = ["rule"];
  if (a(r, "id") !== nth(`${parent}-rule`, k)) parts.push(`$id=${a(r, "id")}`);
  if (r.attrs["role"] !== undefined) parts.push(`$role=${a(r, "role")}`);
  if (r.attrs["score-attribute"] !== undefined) parts.push(`${a(r, "score-attribute")}:`);
  else if (r.attrs["score"] !== undefined) parts.push(`${a(r, "score")}:`);
  const joiner = r.attrs["boolean-op"] === "or" ? " or " : " and ";
  parts.push(
    kids(r)
      .filter((c) => c.name === "expression" || c.name === "date_expression")
      .map(printExpr)
      .join(joiner),
  );
  return parts.join(" ");
}

/** `KEYWORD [$id=ID] [SCORE:] [rule ...] NAME=VALUE ...` */
function printSet(s: XmlElement, natural: string | undefined, keyword: string): string {
  if (s.attrs["id-ref"] !== undefined) return `${keyword} $id-ref=${a(s, "id-ref")}`;
  const parts = [keyword];
  if (natural === undefined || a(s, "id") !== natural) parts.push(`$id=${a(s, "id")}`);
  if (s.attrs["score"] !== undefined) parts.push(`${a(s, "score")}:`);
  kids(s, "rule").forEach((r, k) => parts.push(printRule(r, a(s, "id"), k)));
  for (const nv of kids(s, "nvpair")) parts.push(pair(a(nv, "name"), a(nv, "value")));
  return parts.join(" ");
}

const SET_WORDS: Record<string, string> = {
  instance_attributes: "params",
  meta_attributes: "meta",
  utilization: "utilization",
};

/** Attribute sets of an object, with the keyword each kind takes in this object. */
function printSets(el: XmlElement, owner: string, words: Record<string, string> = SET_WORDS): string[] {
  const counts = new Map<string, number>();
  const out: string[] = [];
  for (const s of el.children) {
    const word = words[s.name];
    if (!word) continue;
    const k = counts.get(s.name) ?? 0;
    counts.set(s.name, k + 1);
    out.push(printSet(s, nth(`${owner}-${s.name}`, k), word));
  }
  return out;
}

function printOp(op: XmlElement, base: string): string {
  const parts = [`op ${a(op, "name")}`];
  for (const [k, v] of Object.entries(op.attrs)) if (k !== "id" && k !== "name") parts.push(pair(k, v));
  const natural = `${base}-${a(op, "name")}-${op.attrs["interval"] ?? "0"}`;
  if (a(op, "id") !== natural) parts.push(`id=${a(op, "id")}`);
  let inline = true;
  for (const s of op.children) {
    const plain =
      s.name === "instance_attributes" &&
      inline &&
      a(s, "id") === `${a(op, "id")}-instance_attributes` &&
      kids(s, "rule").length === 0 &&
      s.attrs["score"] === undefined &&
      kids(s, "nvpair").every(
        (nv) => !OP_ATTRIBUTES.has(a(nv, "name")) && a(nv, "name") !== "id" && a(nv, "name") !== "name",
      );
    inline = false;
    if (plain) for (const nv of kids(s, "nvpair")) parts.push(pair(a(nv, "name"), a(nv, "value")));
    else if (s.name === "instance_attributes") parts.push(printSet(s, undefined, "op_params"));
    else if (s.name === "meta_attributes")
      parts.push(printSet(s, `${a(op, "id")}-meta_attributes`, "op_meta"));
  }
  return parts.join(" ");
}

function agentOf(el: XmlElement): string {
  if (el.attrs["template"] !== undefined) return `@${a(el, "template")}`;
  return el.attrs["provider"] !== undefined
    ? `${a(el, "class")}:${a(el, "provider")}:${a(el, "type")}`
    : `${a(el, "class")}:${a(el, "type")}`;
}

function printPrimitive(el: XmlElement): string[] {
  const id = a(el, "id");
  const head = `${el.name === "template" ? "rsc_template" : "primitive"} ${id} ${agentOf(el)}`;
  const segs = [
    el.attrs["description"] !== undefined ? `${head} ${pair("description", a(el, "description"))}` : head,
  ];
  segs.push(...printSets(el, id));
  for (const ops of kids(el, "operations")) {
    if (ops.attrs["id-ref"] !== undefined) segs.push(`operations $id-ref=${a(ops, "id-ref")}`);
    else if (ops.attrs["id"] !== undefined) segs.push(`operations $id=${a(ops, "id")}`);
    for (const op of kids(ops, "op")) segs.push(printOp(op, ops.attrs["id"] ?? id));
  }
  return segs;
}

function printContainer(el: XmlElement): string[] {
  const id = a(el, "id");
  const word = el.name === "master" ? "ms" : el.name;
  const members = el.children.filter((c) => RESOURCE_ELEMENTS.has(c.name)).map((c) => a(c, "id"));
  let head = `${word} ${id} ${members.join(" ")}`;
  if (el.attrs["description"] !== undefined) head += ` ${pair("description", a(el, "description"))}`;
  return [head, ...printSets(el, id, { meta_attributes: "meta", instance_attributes: "params" })];
}

function printBundle(el: XmlElement): string[] {
  const id = a(el, "id");
  const attrs = (x: XmlElement): string =>
    Object.entries(x.attrs)
      .filter(([k]) => k !== "id")
      .map(([k, v]) => ` ${pair(k, v)}`)
      .join("");
  const segs = [`bundle ${id}`];
  for (const c of el.children) {
    if (["docker", "rkt", "podman"].includes(c.name)) segs.push(`${c.name}${attrs(c)}`);
    else if (c.name === "network") {
      segs.push(`network${attrs(c)}`);
      for (const m of kids(c, "port-mapping")) segs.push(`port-mapping${attrs(m)}`);
    } else if (c.name === "storage") {
      segs.push("storage");
      for (const m of kids(c, "storage-mapping")) segs.push(`storage-mapping${attrs(m)}`);
    } else if (c.name === "primitive") segs.push(`primitive ${a(c, "id")}`);
  }
  segs.push(...printSets(el, id, { meta_attributes: "meta", instance_attributes: "params" }));
  return segs;
}

/** Resources depth first, members before their container (the order the shell can read back). */
function resourceObjects(resources: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (el: XmlElement): void => {
    for (const c of el.children) {
      if (!RESOURCE_ELEMENTS.has(c.name)) continue;
      visit(c);
      out.push(c);
    }
  };
  visit(resources);
  return out;
}

function printNode(n: XmlElement): string[] {
  const uname = n.attrs["uname"] ?? a(n, "id");
  let head = "node ";
  if (a(n, "id") !== uname) head += `$id=${a(n, "id")} `;
  head += uname;
  if (n.attrs["type"] !== undefined) head += `:${a(n, "type")}`;
  if (n.attrs["description"] !== undefined) head += ` ${pair("description", a(n, "description"))}`;
  return [head, ...printSets(n, uname, { instance_attributes: "attributes", utilization: "utilization" })];
}

function printResourceSets(c: XmlElement, qualAttr: string, minSimple: number): string {
  const sets = kids(c, "resource_set");
  const total = sets.reduce((n, s) => n + kids(s, "resource_ref").length, 0);
  let prevPlain = false;
  const parts: string[] = [];
  for (const s of sets) {
    const q = s.attrs[qualAttr] !== undefined ? `:${a(s, qualAttr)}` : "";
    const refs = kids(s, "resource_ref")
      .map((r) => `${a(r, "id")}${q}`)
      .join(" ");
    const seq = s.attrs["sequential"];
    const ra = s.attrs["require-all"];
    const extra = Object.entries(s.attrs)
      .filter(([k]) => !["id", "sequential", "require-all", qualAttr].includes(k))
      .map(([k, v]) => ` ${pair(k, v)}`)
      .join("");
    const raText = ra !== undefined ? ` require-all=${ra}` : "";
    if (seq === "false" && ra === "false") parts.push(`[ ${refs}${extra} ]`);
    else if (seq === "false") parts.push(`( ${refs}${raText}${extra} )`);
    else if (!prevPlain && ra === undefined && extra === "" && !(sets.length === 1 && total <= minSimple)) {
      parts.push(refs);
      prevPlain = true;
      continue;
    } else parts.push(`( ${refs} sequential=true${raText}${extra} )`);
    prevPlain = false;
  }
  return parts.join(" ");
}

function printConstraint(c: XmlElement): string[] {
  const id = a(c, "id");
  const tail = (names: string[]): string =>
    names
      .filter((n) => c.attrs[n] !== undefined)
      .map((n) => ` ${pair(n, a(c, n))}`)
      .join("");
  const hasSets = kids(c, "resource_set").length > 0;
  switch (c.name) {
    case "rsc_location": {
      let head = `location ${id} `;
      if (hasSets)
        head += kids(c, "resource_set")
          .map(
            (s) =>
              `{ ${kids(s, "resource_ref")
                .map((r) => `${a(r, "id")}${s.attrs["role"] !== undefined ? `:${a(s, "role")}` : ""}`)
                .join(" ")} }`,
          )
          .join(" ");
      else if (c.attrs["rsc-pattern"] !== undefined) head += `/${a(c, "rsc-pattern")}/`;
      else head += a(c, "rsc");
      head += tail(["role", "resource-discovery"]);
      if (c.attrs["node"] !== undefined) return [`${head} ${a(c, "score")}: ${quote(a(c, "node"))}`];
      return [head, ...kids(c, "rule").map((r, k) => printRule(r, id, k))];
    }
    case "rsc_colocation": {
      const head = `colocation ${id} ${c.attrs["score"] ?? "INFINITY"}: `;
      if (hasSets) return [head + printResourceSets(c, "role", 2) + tail(["node-attribute"])];
      const r = (x: string, role: string): string =>
        `${a(c, x)}${c.attrs[role] !== undefined ? `:${a(c, role)}` : ""}`;
      return [head + `${r("rsc", "rsc-role")} ${r("with-rsc", "with-rsc-role")}` + tail(["node-attribute"])];
    }
    case "rsc_order": {
      const head = `order ${id} ${c.attrs["kind"] !== undefined ? `${a(c, "kind")}: ` : c.attrs["score"] !== undefined ? `${a(c, "score")}: ` : ""}`;
      if (hasSets) return [head + printResourceSets(c, "action", 2) + tail(["symmetrical"])];
      const r = (x: string, act: string): string =>
        `${a(c, x)}${c.attrs[act] !== undefined ? `:${a(c, act)}` : ""}`;
      return [
        head +
          `${r("first", "first-action")} ${r("then", "then-action")}` +
          tail(["symmetrical", "require-all"]),
      ];
    }
    default: {
      const head = `rsc_ticket ${id} ${a(c, "ticket")}: `;
      if (hasSets) return [head + printResourceSets(c, "role", 1) + tail(["loss-policy"])];
      return [
        head +
          `${a(c, "rsc")}${c.attrs["rsc-role"] !== undefined ? `:${a(c, "rsc-role")}` : ""}` +
          tail(["loss-policy"]),
      ];
    }
  }
}

function printFencing(ft: XmlElement): string[] {
  const parts = ["fencing_topology"];
  let last = "";
  for (const l of kids(ft, "fencing-level")) {
    const t =
      l.attrs["target"] !== undefined
        ? `${a(l, "target")}:`
        : l.attrs["target-pattern"] !== undefined
          ? `pattern:${a(l, "target-pattern")}`
          : `attr:${a(l, "target-attribute")}=${a(l, "target-value")}`;
    if (t !== last) parts.push(t);
    last = t;
    parts.push(a(l, "devices"));
  }
  return [parts.join(" ")];
}

function printDefaults(word: string, s: XmlElement, defaultId: string): string[] {
  const text = printSet(s, defaultId, word);
  return [text];
}

function printAlert(al: XmlElement): string[] {
  const id = a(al, "id");
  let head = `alert ${id} ${quote(a(al, "path"))}`;
  if (al.attrs["description"] !== undefined) head += ` ${pair("description", a(al, "description"))}`;
  const segs = [head, ...printSets(al, id, { instance_attributes: "attributes", meta_attributes: "meta" })];
  for (const sel of kids(al, "select")) {
    segs.push(
      `select ${sel.children
        .map((s) => {
          const kind = s.name.replace(/^select_/, "");
          const attrs = kids(s, "attribute");
          return attrs.length > 0 ? `${kind} { ${attrs.map((x) => quote(a(x, "name"))).join(" ")} }` : kind;
        })
        .join(" ")}`,
    );
  }
  kids(al, "recipient").forEach((r) => {
    const sets = printSets(r, a(r, "id"), { instance_attributes: "attributes", meta_attributes: "meta" });
    const desc = r.attrs["description"] !== undefined ? ` ${pair("description", a(r, "description"))}` : "";
    segs.push(
      sets.length > 0 || desc
        ? `to { ${quote(a(r, "value"))}${desc} ${sets.join(" ")} }`
        : `to ${quote(a(r, "value"))}`,
    );
  });
  return segs;
}

const ACL_WORDS: Record<string, string> = {
  xpath: "xpath",
  reference: "ref",
  "object-type": "tag",
  attribute: "attribute",
};

function printAcl(el: XmlElement): string[] {
  if (el.name === "acl_role") {
    const perms = kids(el, "acl_permission").map(
      (p) =>
        `${a(p, "kind")} ${Object.entries(p.attrs)
          .filter(([k]) => ACL_WORDS[k])
          .map(([k, v]) => `${ACL_WORDS[k] ?? k}:${quote(v)}`)
          .join(" ")}`,
    );
    return [[`role ${a(el, "id")}`, ...perms].join(" ")];
  }
  return [[el.name, a(el, "id"), ...kids(el, "role").map((r) => a(r, "id"))].join(" ")];
}

interface Printed {
  id: string;
  alt?: string;
  segs: string[];
}

/** Every object of the configuration as crm commands, in an order the shell reads back. */
export function crmObjects(cib: XmlElement): Printed[] {
  const out: Printed[] = [];
  for (const n of section(cib, "nodes").children)
    out.push({ id: a(n, "id"), alt: a(n, "uname"), segs: printNode(n) });
  for (const r of resourceObjects(section(cib, "resources"))) {
    const segs =
      r.name === "primitive" || r.name === "template"
        ? printPrimitive(r)
        : r.name === "bundle"
          ? printBundle(r)
          : printContainer(r);
    out.push({ id: a(r, "id"), segs });
  }
  for (const c of section(cib, "constraints").children)
    out.push({ id: a(c, "id"), segs: printConstraint(c) });
  for (const t of findSection(cib, "tags")?.children ?? [])
    out.push({
      id: a(t, "id"),
      segs: [
        `tag ${a(t, "id")}: ${kids(t, "obj_ref")
          .map((r) => a(r, "id"))
          .join(" ")}`,
      ],
    });
  const ft = findSection(cib, "fencing-topology");
  if (ft && ft.children.length > 0) out.push({ id: "fencing_topology", segs: printFencing(ft) });
  for (const s of section(cib, "crm_config").children)
    out.push({ id: a(s, "id"), segs: printDefaults("property", s, "cib-bootstrap-options") });
  for (const s of findSection(cib, "rsc_defaults")?.children ?? [])
    out.push({ id: a(s, "id"), segs: printDefaults("rsc_defaults", s, "rsc-options") });
  for (const s of findSection(cib, "op_defaults")?.children ?? [])
    out.push({ id: a(s, "id"), segs: printDefaults("op_defaults", s, "op-options") });
  for (const al of findSection(cib, "alerts")?.children ?? [])
    out.push({ id: a(al, "id"), segs: printAlert(al) });
  const acls = findSection(cib, "acls")?.children ?? [];
  for (const el of acls) out.push({ id: a(el, "id"), segs: printAcl(el) });
  return out;
}

function pick(all: Printed[], names: string[]): Printed[] {
  if (names.length === 0) return all;
  for (const n of names) {
    if (!all.some((o) => o.id === n || o.alt === n)) {
      throw new HacrmError({
        code: "CRM_NO_OBJECT",
        where: n,
        message: `object ${n} does not exist`,
        hint: "'show' lists every object",
      });
    }
  }
  return all.filter((o) => names.includes(o.id) || (o.alt !== undefined && names.includes(o.alt)));
}

/** `show [NAME...]`: crm syntax, one command per object, long ones continued with `\`. */
export function showObjects(cib: XmlElement, names: string[] = []): string {
  return (
    pick(crmObjects(cib), names)
      .map((o) => o.segs.join(" \\\n\t"))
      .join("\n") + "\n"
  );
}

/** `show --json`: each object's id and crm text. */
export function showJson(
  cib: XmlElement,
  names: string[] = [],
): Array<{ id: string; command: string; text: string }> {
  return pick(crmObjects(cib), names).map((o) => ({
    id: o.id,
    command: (o.segs[0] ?? "").split(" ")[0] ?? "",
    text: o.segs.join(" "),
  }));
}

/** `show xml [NAME...]` */
export function showXml(cib: XmlElement, names: string[] = []): string {
  const conf = configuration(cib);
  if (names.length === 0) return serializeXml(conf);
  const els: XmlElement[] = [];
  const stack = [...conf.children];
  while (stack.length > 0) {
    const el = stack.shift() as XmlElement;
    if (names.includes(el.attrs["id"] ?? "") || names.includes(el.attrs["uname"] ?? "")) els.push(el);
    stack.push(...el.children);
  }
  if (els.length === 0)
    throw new HacrmError({ code: "CRM_NO_OBJECT", where: names.join(" "), message: "no such object" });
  return els.map((e) => serializeXml(e)).join("");
}
