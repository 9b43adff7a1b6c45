import { element, type XmlElement } from "@hacrm/cib";
import type * as A from "./ast.js";
import { buildRule, buildSet, claimId, nvpair, refKey, type BuildContext } from "./build.js";
import { IdAllocator, findById, section, semanticError } from "./doc.js";
import { CLUSTER_OPTIONS, META_ATTRIBUTES, unknownNames } from "./names.js";

const PROPERTY_SECTIONS = {
  property: { section: "crm_config", set: "cluster_property_set", default: "cib-bootstrap-options" },
  rsc_defaults: { section: "rsc_defaults", set: "meta_attributes", default: "rsc-options" },
  op_defaults: { section: "op_defaults", set: "meta_attributes", default: "op-options" },
} as const;

/** `property` / `rsc_defaults` / `op_defaults`: merge into the named set, replacing a repeated name in place. */
export function applyProperty(ctx: BuildContext, p: A.PropertyCmd): void {
  const kind = PROPERTY_SECTIONS[p.cmd];
  const sec = section(ctx.cib, kind.section);
  const setId = p.set.id?.text ?? kind.default;
  const known = p.cmd === "property" ? CLUSTER_OPTIONS : META_ATTRIBUTES;
  for (const w of unknownNames(p.set, known, p.cmd === "property" ? "property" : "attribute", setId))
    ctx.warn(`WARNING: ${ctx.source}:${w}`);
  const ids = new IdAllocator(ctx.cib);
  let set = sec.children.find((c) => c.name === kind.set && c.attrs["id"] === setId);
  if (!set) {
    if (findById(ctx.cib, setId)) {
      throw semanticError(
        ctx.source,
        p.set.id?.pos ?? p.set.pos,
        `Cannot create ${p.cmd} set '${setId}': the id is used by another object`,
      );
    }
    ids.take(setId);
    set = element(kind.set, { id: setId });
    if (p.set.score !== undefined) set.attrs["score"] = p.set.score;
    sec.children.push(set);
  }
  for (const r of p.set.rules) {
    if (r.id) claimId(ctx, ids, r.id, "rule");
    const at = set.children.findIndex((c) => c.name === "nvpair");
    const rule = buildRule(ids, r, setId);
    if (at < 0) set.children.push(rule);
    else set.children.splice(at, 0, rule);
  }
  for (const pair of p.set.pairs) {
    const existing = set.children.find((c) => c.name === "nvpair" && c.attrs["name"] === pair.name);
    if (existing) existing.attrs["value"] = pair.value;
    else set.children.push(nvpair(ids, setId, pair.name, pair.value));
  }
}

export function applyNode(ctx: BuildContext, n: A.NodeCmd): void {
  const ids = new IdAllocator(ctx.cib);
  const nodes = section(ctx.cib, "nodes");
  const id = n.id ?? n.uname;
  if (nodes.children.some((c) => c.attrs["uname"] === n.uname.text)) {
    throw semanticError(
      ctx.source,
      n.uname.pos,
      `Cannot create node '${n.uname.text}': it already exists`,
      `'delete ${n.uname.text}' first, or use 'node attribute'`,
    );
  }
  claimId(ctx, ids, id, "node");
  const el = element("node", { id: id.text, uname: n.uname.text });
  if (n.type !== undefined && n.type !== "normal") el.attrs["type"] = n.type;
  if (n.description !== undefined) el.attrs["description"] = n.description;
  for (const s of n.sets) if (s.id) claimId(ctx, ids, s.id, s.element);
  for (const s of n.sets) el.children.push(buildSet(ctx, ids, s, n.uname.text));
  nodes.children.push(el);
}

export function applyTag(ctx: BuildContext, t: A.TagCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, t.id, "tag");
  const el = element("tag", { id: t.id.text });
  for (const r of t.refs) {
    el.children.push(element("obj_ref", { id: r.text }));
    ctx.refPos.set(refKey(t.id.text, r.text), r.pos);
  }
  section(ctx.cib, "tags").children.push(el);
}

export function applyFencing(ctx: BuildContext, f: A.FencingCmd): void {
  const sec = section(ctx.cib, "fencing-topology");
  if (sec.children.length > 0) {
    throw semanticError(
      ctx.source,
      f.pos,
      "fencing_topology is already defined",
      "'delete fencing_topology' first, then give the whole topology",
    );
  }
  const ids = new IdAllocator(ctx.cib);
  const index = new Map<string, number>();
  const add = (target: NonNullable<A.FencingCmd["levels"][number]["target"]>, devices: A.Word[]): void => {
    const key = `${target.kind}\u0000${target.value}\u0000${target.attrValue ?? ""}`;
    const k = (index.get(key) ?? 0) + 1;
    index.set(key, k);
    const el = element("fencing-level", {
      id: ids.fresh("fencing"),
      index: String(k),
      devices: devices.map((d) => d.text).join(","),
    });
    if (target.kind === "node") el.attrs["target"] = target.value;
    else if (target.kind === "pattern") el.attrs["target-pattern"] = target.value;
    else {
      el.attrs["target-attribute"] = target.value;
      el.attrs["target-value"] = target.attrValue ?? "";
    }
    for (const d of devices) ctx.refPos.set(refKey("fencing", d.text), d.pos);
    sec.children.push(el);
  };
  const nodes = section(ctx.cib, "nodes").children.map((n) => n.attrs["uname"] ?? n.attrs["id"] ?? "");
  for (const level of f.levels) {
    if (level.target) add(level.target, level.devices);
    else {
      if (nodes.length === 0)
        throw semanticError(
          ctx.source,
          f.pos,
          "fencing_topology without targets needs nodes",
          "name the target: NODE: DEVICES",
        );
      for (const n of nodes) add({ kind: "node", value: n }, level.devices);
    }
  }
}

export function applyAlert(ctx: BuildContext, a: A.AlertCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, a.id, "alert");
  const el = element("alert", { id: a.id.text, path: a.path });
  if (a.description !== undefined) el.attrs["description"] = a.description;
  for (const s of a.sets) el.children.push(buildSet(ctx, ids, s, a.id.text));
  if (a.select) {
    const sel = element("select");
    for (const s of a.select) {
      const se = element(`select_${s.kind}`);
      for (const name of s.attributes ?? [])
        se.children.push(element("attribute", { id: ids.fresh(`${a.id.text}-${name}`), name }));
      sel.children.push(se);
    }
    el.children.push(sel);
  }
  a.recipients.forEach((r, k) => {
    const rid = ids.fresh(`${a.id.text}-recipient-${k + 1}`);
    const re = element("recipient", { id: rid, value: r.value });
    if (r.description !== undefined) re.attrs["description"] = r.description;
    for (const s of r.sets) re.children.push(buildSet(ctx, ids, s, rid));
    el.children.push(re);
  });
  section(ctx.cib, "alerts").children.push(el);
}

export function applyRole(ctx: BuildContext, r: A.RoleCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, r.id, "role");
  const el = element("acl_role", { id: r.id.text });
  r.permissions.forEach((p, k) => {
    const pe = element("acl_permission", { id: ids.fresh(`${r.id.text}-${k}`), kind: p.kind });
    for (const s of p.specs) pe.attrs[s.attr] = s.value;
    el.children.push(pe);
  });
  section(ctx.cib, "acls").children.push(el);
}

export function applyAclTarget(ctx: BuildContext, t: A.AclTargetCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, t.id, t.cmd);
  const el: XmlElement = element(t.cmd, { id: t.id.text });
  for (const r of t.roles) {
    el.children.push(element("role", { id: r.text }));
    ctx.refPos.set(refKey(t.id.text, r.text), r.pos);
  }
  section(ctx.cib, "acls").children.push(el);
}
