/**
 * The status-section edits behind the `history` and `cleanup` writes: a
 * node's `lrm_resource` replaced in its `node_state` (with the `lrm` and
 * `lrm_resources` containers Pacemaker uses), its transient attributes set
 * or deleted, and a resource's history and fail counts forgotten. Each
 * returns a new tree; the write path versions it (status moves num_updates).
 */
import { child, childrenNamed, cloneElement, element, parseXml, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { attributeId } from "./operation-history.js";
import type { CibWrite } from "./types.js";

type HistoryWrite = Extract<CibWrite, { op: "history" }>;
type CleanupWrite = Extract<CibWrite, { op: "cleanup" }>;
type AttributesWrite = Extract<CibWrite, { op: "attributes" }>;

function statusOf(doc: XmlElement): XmlElement {
  let status = child(doc, "status");
  if (!status) {
    status = element("status");
    doc.children.push(status);
  }
  return status;
}

function ensure(parent: XmlElement, name: string, attrs: Record<string, string>): XmlElement {
  let el = child(parent, name);
  if (!el) {
    el = element(name, attrs);
    parent.children.push(el);
  }
  return el;
}

export function withHistory(current: XmlElement, w: HistoryWrite): XmlElement {
  if (typeof w.node !== "string" || typeof w.resource !== "string" || w.resource === "")
    throw new HacrmError({ code: "BAD_REQUEST", message: "a history write names a node and a resource" });
  let rsc: XmlElement | null = null;
  if (w.lrmResource !== null) {
    rsc = parseXml(w.lrmResource, "lrm_resource");
    if (rsc.name !== "lrm_resource" || rsc.attrs["id"] !== w.resource)
      throw new HacrmError({
        code: "BAD_REQUEST",
        message: `a history write carries one <lrm_resource id="${w.resource}">`,
      });
  }
  const out = cloneElement(current);
  const status = statusOf(out);
  let ns = childrenNamed(status, "node_state").find((n) => n.attrs["id"] === w.node);
  if (!ns) {
    ns = element("node_state", { id: w.node, uname: w.uname });
    status.children.push(ns);
  }
  const resources = ensure(ensure(ns, "lrm", { id: w.node }), "lrm_resources", {});
  const i = resources.children.findIndex((c) => c.name === "lrm_resource" && c.attrs["id"] === w.resource);
  if (rsc && i >= 0) resources.children[i] = rsc;
  else if (rsc) resources.children.push(rsc);
  else if (i >= 0) resources.children.splice(i, 1);
  setAttributes(ns, w.node, w.attributes ?? {});
  return out;
}

/** A node's own transient attributes set (null: deleted). */
export function withAttributes(current: XmlElement, w: AttributesWrite): XmlElement {
  if (typeof w.node !== "string" || typeof w.attributes !== "object" || w.attributes === null)
    throw new HacrmError({
      code: "BAD_REQUEST",
      message: "an attributes write names a node and its attributes",
    });
  const out = cloneElement(current);
  const status = statusOf(out);
  let ns = childrenNamed(status, "node_state").find((n) => n.attrs["id"] === w.node);
  if (!ns) {
    ns = element("node_state", { id: w.node, uname: w.uname });
    status.children.push(ns);
  }
  setAttributes(ns, w.node, w.attributes);
  return out;
}

function setAttributes(ns: XmlElement, node: string, attributes: Record<string, string | null>): void {
  const names = Object.keys(attributes);
  if (names.length > 0) {
    const ta = ensure(ns, "transient_attributes", { id: node });
    const set = ensure(ta, "instance_attributes", { id: `status-${node}` });
    for (const name of names) {
      const value = attributes[name];
      const j = set.children.findIndex((c) => c.name === "nvpair" && c.attrs["name"] === name);
      if (value === null || value === undefined) {
        if (j >= 0) set.children.splice(j, 1);
        continue;
      }
      const nv = element("nvpair", { id: attributeId(node, name), name, value: String(value) });
      if (j >= 0) set.children[j] = nv;
      else set.children.push(nv);
    }
  }
}

/** Whether an lrm_resource id or attribute resource part names `resource` (clone instances `R:N` included). */
function names(id: string, resource: string): boolean {
  return id === resource || (id.startsWith(`${resource}:`) && /^\d+$/.test(id.slice(resource.length + 1)));
}

export function withCleanup(current: XmlElement, w: CleanupWrite): XmlElement {
  if (typeof w.resource !== "string" || w.resource === "")
    throw new HacrmError({ code: "BAD_REQUEST", message: "a cleanup names a resource" });
  const out = cloneElement(current);
  const status = child(out, "status");
  for (const ns of status ? childrenNamed(status, "node_state") : []) {
    if (w.node !== undefined && ns.attrs["id"] !== w.node && ns.attrs["uname"] !== w.node) continue;
    const resources = child(child(ns, "lrm") ?? ns, "lrm_resources");
    if (resources)
      resources.children = resources.children.filter(
        (c) => !(c.name === "lrm_resource" && names(c.attrs["id"] ?? "", w.resource)),
      );
    const ta = child(ns, "transient_attributes");
    for (const set of ta ? childrenNamed(ta, "instance_attributes") : []) {
      set.children = set.children.filter((c) => {
        const n = c.attrs["name"] ?? "";
        const m = /^(fail-count|last-failure)-(.*)#/.exec(n);
        return !(c.name === "nvpair" && m && names(m[2] ?? "", w.resource));
      });
    }
  }
  return out;
}
