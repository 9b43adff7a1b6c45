import { element, type XmlElement } from "@hacrm/cib";
import type * as A from "./ast.js";
import { buildRule, claimId, refKey, type BuildContext } from "./build.js";
import { IdAllocator, section, semanticError } from "./doc.js";

interface PendingSet {
  refs: A.RscRef[];
  attrs: Record<string, string>;
  qual?: string;
  plain: boolean;
}

function noteRefs(ctx: BuildContext, owner: string, refs: A.RscRef[]): void {
  for (const r of refs) ctx.refPos.set(refKey(owner, r.id.text), r.id.pos);
}

function bool(ctx: BuildContext, p: A.NvPair): boolean {
  if (/^(true|yes|on|1)$/i.test(p.value)) return true;
  if (/^(false|no|off|0)$/i.test(p.value)) return false;
  throw semanticError(
    ctx.source,
    p.valuePos,
    `${p.name}: '${p.value}' is not a boolean`,
    "use true or false",
  );
}

/** Group `a b ( c d ) [ e ]` into resource sets, crmsh style. */
function groupSets(ctx: BuildContext, items: A.SetItem[]): PendingSet[] {
  const sets: PendingSet[] = [];
  let cur: PendingSet | undefined;
  for (const it of items) {
    if (it.kind === "ref") {
      const q = it.ref.qualifier?.text;
      if (!cur || cur.qual !== q) {
        cur = { refs: [], attrs: {}, plain: true, ...(q !== undefined ? { qual: q } : {}) };
        sets.push(cur);
      }
      cur.refs.push(it.ref);
      continue;
    }
    cur = undefined;
    const s = it.set;
    const attrs: Record<string, string> = { sequential: "false" };
    if (s.open === "[") attrs["require-all"] = "false";
    for (const a of s.attrs) {
      if (a.name === "sequential" || a.name === "require-all") {
        if (bool(ctx, a)) delete attrs[a.name];
        else attrs[a.name] = "false";
      } else if (a.name === "role" || a.name === "action" || a.name === "score" || a.name === "kind")
        attrs[a.name] = a.value;
      else
        throw semanticError(
          ctx.source,
          a.pos,
          `unknown resource set attribute '${a.name}'`,
          "sets take sequential=, require-all=, role=, action=",
        );
    }
    const quals = new Set(s.refs.map((r) => r.qualifier?.text));
    if (quals.size > 1)
      throw semanticError(ctx.source, s.pos, "members of one set must share their role or action");
    const q = s.refs[0]?.qualifier?.text;
    sets.push({ refs: s.refs, attrs, plain: false, ...(q !== undefined ? { qual: q } : {}) });
  }
  return sets;
}

function setElements(
  ids: IdAllocator,
  owner: string,
  sets: PendingSet[],
  qualAttr: "role" | "action",
): XmlElement[] {
  return sets.map((s, k) => {
    const el = element("resource_set", { id: ids.fresh(`${owner}-${k}`), ...s.attrs });
    if (s.qual !== undefined) el.attrs[qualAttr] = s.qual;
    for (const r of s.refs) el.children.push(element("resource_ref", { id: r.id.text }));
    return el;
  });
}

/** Trailing `sequential=` on a plain list: that set's attribute, not the constraint's. */
function takeSetAttrs(ctx: BuildContext, attrs: A.NvPair[], sets: PendingSet[]): A.NvPair[] {
  const rest: A.NvPair[] = [];
  for (const a of attrs) {
    const last = [...sets].reverse().find((s) => s.plain);
    if ((a.name === "sequential" || a.name === "require-all") && last) {
      if (bool(ctx, a)) last.attrs[a.name] = "true";
      else last.attrs[a.name] = "false";
    } else rest.push(a);
  }
  return rest;
}

function constraintAttrs(ctx: BuildContext, el: XmlElement, attrs: A.NvPair[], allowed: string[]): void {
  for (const a of attrs) {
    if (!allowed.includes(a.name)) {
      throw semanticError(
        ctx.source,
        a.pos,
        `unknown attribute '${a.name}' for ${el.name}`,
        allowed.length ? `allowed: ${allowed.join(", ")}` : undefined,
      );
    }
    if (a.name === "symmetrical") bool(ctx, a);
    el.attrs[a.name] = a.value;
  }
}

function plainRefs(items: A.SetItem[]): A.RscRef[] | undefined {
  const refs: A.RscRef[] = [];
  for (const it of items) {
    if (it.kind !== "ref") return undefined;
    refs.push(it.ref);
  }
  return refs;
}

function finish(ctx: BuildContext, el: XmlElement): void {
  section(ctx.cib, "constraints").children.push(el);
}

export function applyColocation(ctx: BuildContext, c: A.ColocationCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, c.id, "colocation");
  const el = element("rsc_colocation", { id: c.id.text, score: c.score });
  const refs = plainRefs(c.items);
  const hasSeqAttr = c.attrs.some((a) => a.name === "sequential" || a.name === "require-all");
  if (refs && refs.length === 2 && !hasSeqAttr) {
    const [a, b] = refs as [A.RscRef, A.RscRef];
    el.attrs["rsc"] = a.id.text;
    if (a.qualifier) el.attrs["rsc-role"] = a.qualifier.text;
    el.attrs["with-rsc"] = b.id.text;
    if (b.qualifier) el.attrs["with-rsc-role"] = b.qualifier.text;
    constraintAttrs(ctx, el, c.attrs, ["node-attribute", "rsc-instance", "with-rsc-instance"]);
  } else {
    const sets = groupSets(ctx, c.items);
    constraintAttrs(ctx, el, takeSetAttrs(ctx, c.attrs, sets), ["node-attribute"]);
    el.children.push(...setElements(ids, c.id.text, sets, "role"));
  }
  noteRefs(
    ctx,
    c.id.text,
    c.items.flatMap((i) => (i.kind === "ref" ? [i.ref] : i.set.refs)),
  );
  finish(ctx, el);
}

export function applyOrder(ctx: BuildContext, o: A.OrderCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, o.id, "order");
  const el = element("rsc_order", { id: o.id.text });
  if (o.kind !== undefined) el.attrs["kind"] = o.kind;
  const refs = plainRefs(o.items);
  const hasSeqAttr = o.attrs.some((a) => a.name === "sequential" || a.name === "require-all");
  if (refs && refs.length === 2 && !hasSeqAttr) {
    const [a, b] = refs as [A.RscRef, A.RscRef];
    el.attrs["first"] = a.id.text;
    if (a.qualifier) el.attrs["first-action"] = a.qualifier.text;
    el.attrs["then"] = b.id.text;
    if (b.qualifier) el.attrs["then-action"] = b.qualifier.text;
    constraintAttrs(ctx, el, o.attrs, ["symmetrical", "require-all"]);
  } else {
    const sets = groupSets(ctx, o.items);
    constraintAttrs(ctx, el, takeSetAttrs(ctx, o.attrs, sets), ["symmetrical"]);
    el.children.push(...setElements(ids, o.id.text, sets, "action"));
  }
  noteRefs(
    ctx,
    o.id.text,
    o.items.flatMap((i) => (i.kind === "ref" ? [i.ref] : i.set.refs)),
  );
  finish(ctx, el);
}

export function applyTicket(ctx: BuildContext, t: A.TicketCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, t.id, "rsc_ticket");
  const el = element("rsc_ticket", { id: t.id.text, ticket: t.ticket });
  const refs = plainRefs(t.items);
  if (refs && refs.length === 1) {
    const [a] = refs as [A.RscRef];
    el.attrs["rsc"] = a.id.text;
    if (a.qualifier) el.attrs["rsc-role"] = a.qualifier.text;
    constraintAttrs(ctx, el, t.attrs, ["loss-policy"]);
  } else {
    const sets = groupSets(ctx, t.items);
    constraintAttrs(ctx, el, takeSetAttrs(ctx, t.attrs, sets), ["loss-policy"]);
    el.children.push(...setElements(ids, t.id.text, sets, "role"));
  }
  noteRefs(
    ctx,
    t.id.text,
    t.items.flatMap((i) => (i.kind === "ref" ? [i.ref] : i.set.refs)),
  );
  finish(ctx, el);
}

export function applyLocation(ctx: BuildContext, l: A.LocationCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, l.id, "location");
  const el = element("rsc_location", { id: l.id.text });
  if (l.rsc) {
    el.attrs["rsc"] = l.rsc.text;
    ctx.refPos.set(refKey(l.id.text, l.rsc.text), l.rsc.pos);
  } else if (l.pattern) el.attrs["rsc-pattern"] = l.pattern.text;
  if (l.role) el.attrs["role"] = l.role.value;
  if (l.discovery) el.attrs["resource-discovery"] = l.discovery.value;
  if (l.score !== undefined && l.node) {
    el.attrs["score"] = l.score;
    el.attrs["node"] = l.node.text;
  }
  if (l.set) {
    const sets = groupSets(ctx, [{ kind: "set", set: { ...l.set, open: "(" } }]);
    for (const s of sets) {
      delete s.attrs["sequential"];
      for (const a of l.set.attrs)
        if (a.name === "sequential" || a.name === "require-all") s.attrs[a.name] = a.value;
    }
    el.children.push(...setElements(ids, l.id.text, sets, "role"));
    noteRefs(ctx, l.id.text, l.set.refs);
  }
  for (const r of l.rules) if (r.id) claimId(ctx, ids, r.id, "rule");
  for (const r of l.rules) el.children.push(buildRule(ids, r, l.id.text));
  finish(ctx, el);
}
