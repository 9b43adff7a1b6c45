import { HacrmError } from "@hacrm/common";
import type * as T from "./types.js";
import { dateSpecFields } from "./types.js";
import { child, childrenNamed, type XmlElement } from "./xml.js";

/**
 * Typed reading of a CIB tree (see types.ts). Pure and tolerant of unknown
 * elements and attributes (they stay in `raw`). Throws CIB_INVALID only when
 * something the types promise is absent (the root is not `cib`, a required
 * id or name is missing): run `validateCib` first to get every problem at once.
 */
export function readCib(tree: XmlElement): T.Cib {
  if (tree.name !== "cib") invalid(tree, `root element is <${tree.name}>, expected <cib>`);
  const configuration = child(tree, "configuration") ?? invalid(tree, "no <configuration> section");
  const status = child(tree, "status");
  return {
    raw: tree,
    version: readVersion(tree),
    ...pick(tree, [
      "validate-with",
      "crm_feature_set",
      "have-quorum",
      "dc-uuid",
      "cib-last-written",
      "update-origin",
      "update-client",
      "update-user",
      "no-quorum-panic",
      "execution-date",
    ]),
    configuration: readConfiguration(configuration),
    status: status
      ? readStatus(status)
      : { raw: { name: "status", attrs: {}, children: [] }, node_state: [], tickets: [] },
  };
}

/** Version counters of a `cib` element; absent counters read as 0. */
export function readVersion(cib: XmlElement): T.CibVersion {
  return {
    admin_epoch: counter(cib, "admin_epoch"),
    epoch: counter(cib, "epoch"),
    num_updates: counter(cib, "num_updates"),
  };
}

function counter(el: XmlElement, name: string): number {
  const text = el.attrs[name];
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) invalid(el, `${name}="${text}" is not a non-negative integer`);
  return Number(text);
}

function invalid(el: XmlElement, message: string): never {
  const id = el.attrs["id"];
  throw new HacrmError({
    code: "CIB_INVALID",
    where: id === undefined ? `<${el.name}>` : `<${el.name} id="${id}">`,
    message,
    hint: "run `hacrm verify` for the full list of problems",
  });
}

/** Copy the listed attributes that are present. */
function pick<K extends string>(el: XmlElement, names: readonly K[]): { [P in K]?: string } {
  const out: { [P in K]?: string } = {};
  for (const n of names) {
    const v = el.attrs[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function req(el: XmlElement, name: string): string {
  return el.attrs[name] ?? invalid(el, `required attribute ${name} is missing`);
}

// ---- nvsets and rules ------------------------------------------------------

export function readNvSets(parent: XmlElement, kind: T.NvSetKind): T.NvSet[] {
  return childrenNamed(parent, kind).map((el) => ({
    raw: el,
    element: kind,
    ...pick(el, ["id", "id-ref", "score"]),
    rules: childrenNamed(el, "rule").map(readRule),
    nvpairs: childrenNamed(el, "nvpair").map((p) => ({
      raw: p,
      id: p.attrs["id"] ?? p.attrs["id-ref"] ?? invalid(p, "nvpair has neither id nor id-ref"),
      ...pick(p, ["name", "value", "id-ref"]),
    })),
  }));
}

export function readRule(el: XmlElement): T.Rule {
  const expressions: T.RuleExpression[] = [];
  for (const c of el.children) {
    const e = readExpression(c);
    if (e) expressions.push(e);
  }
  return {
    raw: el,
    element: "rule",
    ...pick(el, ["id", "id-ref", "score", "score-attribute", "boolean-op", "role"]),
    expressions,
  };
}

function readExpression(el: XmlElement): T.RuleExpression | undefined {
  switch (el.name) {
    case "rule":
      return readRule(el);
    case "expression":
      return {
        raw: el,
        element: "expression",
        id: req(el, "id"),
        attribute: req(el, "attribute"),
        operation: req(el, "operation"),
        ...pick(el, ["value", "type", "value-source"]),
      };
    case "date_expression":
      return readDateExpression(el);
    case "rsc_expression":
      return {
        raw: el,
        element: "rsc_expression",
        id: req(el, "id"),
        ...pick(el, ["class", "provider", "type"]),
      };
    case "op_expression":
      return {
        raw: el,
        element: "op_expression",
        id: req(el, "id"),
        name: req(el, "name"),
        ...pick(el, ["interval"]),
      };
    default:
      return undefined;
  }
}

function readDateExpression(el: XmlElement): T.DateExpression {
  const spec = child(el, "date_spec");
  const duration = child(el, "duration");
  const out: T.DateExpression = {
    raw: el,
    element: "date_expression",
    id: req(el, "id"),
    operation: el.attrs["operation"] ?? "in_range",
    ...pick(el, ["start", "end"]),
  };
  if (spec) out.date_spec = { raw: spec, id: spec.attrs["id"] ?? "", ...pick(spec, dateSpecFields) };
  if (duration)
    out.duration = { raw: duration, id: duration.attrs["id"] ?? "", ...pick(duration, dateSpecFields) };
  return out;
}

// ---- configuration ---------------------------------------------------------

function readConfiguration(el: XmlElement): T.Configuration {
  const section = (name: string): XmlElement => child(el, name) ?? { name, attrs: {}, children: [] };
  return {
    raw: el,
    crm_config: readNvSets(section("crm_config"), "cluster_property_set"),
    nodes: childrenNamed(section("nodes"), "node").map(readNode),
    resources: readResources(section("resources")),
    constraints: readConstraints(section("constraints")),
    rsc_defaults: readNvSets(section("rsc_defaults"), "meta_attributes"),
    op_defaults: readNvSets(section("op_defaults"), "meta_attributes"),
    "fencing-topology": childrenNamed(section("fencing-topology"), "fencing-level").map((f) => ({
      raw: f,
      id: req(f, "id"),
      index: req(f, "index"),
      devices: req(f, "devices"),
      ...pick(f, ["target", "target-pattern", "target-attribute", "target-value"]),
    })),
    tags: childrenNamed(section("tags"), "tag").map((t) => ({
      raw: t,
      id: req(t, "id"),
      obj_refs: childrenNamed(t, "obj_ref").map((r) => ({ raw: r, id: req(r, "id") })),
    })),
    alerts: childrenNamed(section("alerts"), "alert").map(readAlert),
    acls: section("acls").children.map((a) => ({ raw: a, element: a.name, id: a.attrs["id"] ?? "" })),
  };
}

function readNode(el: XmlElement): T.Node {
  return {
    raw: el,
    id: req(el, "id"),
    uname: req(el, "uname"),
    ...pick(el, ["type", "description", "score"]),
    instance_attributes: readNvSets(el, "instance_attributes"),
    utilization: readNvSets(el, "utilization"),
  };
}

function readAlert(el: XmlElement): T.Alert {
  const select = child(el, "select");
  const out: T.Alert = {
    raw: el,
    id: req(el, "id"),
    path: req(el, "path"),
    ...pick(el, ["description"]),
    meta_attributes: readNvSets(el, "meta_attributes"),
    instance_attributes: readNvSets(el, "instance_attributes"),
    recipients: childrenNamed(el, "recipient").map((r) => ({
      raw: r,
      id: req(r, "id"),
      value: req(r, "value"),
      ...pick(r, ["description"]),
      meta_attributes: readNvSets(r, "meta_attributes"),
      instance_attributes: readNvSets(r, "instance_attributes"),
    })),
  };
  if (select) out.select = select.children.map((c) => c.name);
  return out;
}

export function readResources(el: XmlElement): T.Resource[] {
  const out: T.Resource[] = [];
  for (const c of el.children) {
    const r = readResource(c);
    if (r) out.push(r);
  }
  return out;
}

export function readResource(el: XmlElement): T.Resource | undefined {
  switch (el.name) {
    case "primitive":
      return readPrimitive(el);
    case "template":
      return { element: "template", ...readPrimitiveBody(el) };
    case "group":
      return {
        raw: el,
        element: "group",
        id: req(el, "id"),
        ...pick(el, ["description"]),
        meta_attributes: readNvSets(el, "meta_attributes"),
        instance_attributes: readNvSets(el, "instance_attributes"),
        primitives: childrenNamed(el, "primitive").map(readPrimitive),
      };
    case "clone":
    case "master":
      return readClone(el, el.name);
    case "bundle":
      return readBundle(el);
    default:
      return undefined;
  }
}

function readPrimitiveBody(el: XmlElement): Omit<T.Template, "element"> {
  const ops = child(el, "operations");
  const out: Omit<T.Template, "element"> = {
    raw: el,
    id: req(el, "id"),
    ...pick(el, ["class", "provider", "type", "description"]),
    meta_attributes: readNvSets(el, "meta_attributes"),
    instance_attributes: readNvSets(el, "instance_attributes"),
    utilization: readNvSets(el, "utilization"),
  };
  if (ops) {
    out.operations = { raw: ops, ...pick(ops, ["id", "id-ref"]), ops: childrenNamed(ops, "op").map(readOp) };
  }
  return out;
}

function readPrimitive(el: XmlElement): T.Primitive {
  return { element: "primitive", ...readPrimitiveBody(el), ...pick(el, ["template"]) };
}

function readOp(el: XmlElement): T.Op {
  return {
    raw: el,
    id: req(el, "id"),
    name: req(el, "name"),
    interval: req(el, "interval"),
    ...pick(el, [
      "description",
      "start-delay",
      "interval-origin",
      "timeout",
      "enabled",
      "record-pending",
      "role",
      "requires",
      "on-fail",
      "id-ref",
    ]),
    meta_attributes: readNvSets(el, "meta_attributes"),
    instance_attributes: readNvSets(el, "instance_attributes"),
  };
}

function readClone(el: XmlElement, element: "clone" | "master"): T.Clone {
  const out: T.Clone = {
    raw: el,
    element,
    id: req(el, "id"),
    ...pick(el, ["description"]),
    meta_attributes: readNvSets(el, "meta_attributes"),
    instance_attributes: readNvSets(el, "instance_attributes"),
  };
  const inner = el.children.find((c) => c.name === "primitive" || c.name === "group");
  if (inner) out.child = readResource(inner) as T.Primitive | T.Group;
  return out;
}

function readBundle(el: XmlElement): T.Bundle {
  const container = el.children.find((c) => c.name === "docker" || c.name === "rkt" || c.name === "podman");
  const network = child(el, "network");
  const storage = child(el, "storage");
  const primitive = child(el, "primitive");
  const out: T.Bundle = {
    raw: el,
    element: "bundle",
    id: req(el, "id"),
    ...pick(el, ["description"]),
    storage: storage
      ? childrenNamed(storage, "storage-mapping").map((s) => ({
          raw: s,
          id: req(s, "id"),
          "target-dir": req(s, "target-dir"),
          ...pick(s, ["source-dir", "source-dir-root", "options"]),
        }))
      : [],
    meta_attributes: readNvSets(el, "meta_attributes"),
  };
  if (container) {
    out.container = {
      raw: container,
      element: container.name as T.BundleContainer["element"],
      image: req(container, "image"),
      ...pick(container, [
        "replicas",
        "replicas-per-host",
        "promoted-max",
        "masters",
        "run-command",
        "network",
        "options",
      ]),
    };
  }
  if (network) {
    out.network = {
      raw: network,
      ...pick(network, ["ip-range-start", "control-port", "host-interface", "host-netmask", "add-host"]),
      port_mapping: childrenNamed(network, "port-mapping").map((p) => ({
        raw: p,
        id: req(p, "id"),
        ...pick(p, ["port", "internal-port", "range"]),
      })),
    };
  }
  if (primitive) out.primitive = readPrimitive(primitive);
  return out;
}

// ---- constraints -------------------------------------------------------------

function readSets(el: XmlElement): T.ResourceSet[] {
  return childrenNamed(el, "resource_set").map((s) => ({
    raw: s,
    ...pick(s, ["id", "id-ref", "sequential", "require-all", "ordering", "action", "role", "score", "kind"]),
    resource_refs: childrenNamed(s, "resource_ref").map((r) => ({ raw: r, id: req(r, "id") })),
  }));
}

export function readConstraints(el: XmlElement): T.Constraint[] {
  const out: T.Constraint[] = [];
  for (const c of el.children) {
    const r = readConstraint(c);
    if (r) out.push(r);
  }
  return out;
}

export function readConstraint(el: XmlElement): T.Constraint | undefined {
  const base = { raw: el, id: req(el, "id") };
  const resource_sets = readSets(el);
  switch (el.name) {
    case "rsc_location":
      return {
        ...base,
        element: "rsc_location",
        ...pick(el, ["rsc", "rsc-pattern", "node", "score", "role", "resource-discovery"]),
        rules: childrenNamed(el, "rule").map(readRule),
        resource_sets,
      };
    case "rsc_colocation":
      return {
        ...base,
        element: "rsc_colocation",
        ...pick(el, [
          "rsc",
          "with-rsc",
          "rsc-role",
          "with-rsc-role",
          "rsc-instance",
          "with-rsc-instance",
          "score",
          "node-attribute",
          "influence",
        ]),
        resource_sets,
      };
    case "rsc_order":
      return {
        ...base,
        element: "rsc_order",
        ...pick(el, [
          "first",
          "then",
          "first-action",
          "then-action",
          "first-instance",
          "then-instance",
          "kind",
          "score",
          "symmetrical",
          "require-all",
        ]),
        resource_sets,
      };
    case "rsc_ticket":
      return {
        ...base,
        element: "rsc_ticket",
        ticket: req(el, "ticket"),
        ...pick(el, ["rsc", "rsc-role", "loss-policy"]),
        resource_sets,
      };
    default:
      return undefined;
  }
}

// ---- status ------------------------------------------------------------------

function readStatus(el: XmlElement): T.Status {
  const tickets = child(el, "tickets");
  return {
    raw: el,
    node_state: childrenNamed(el, "node_state").map(readNodeState),
    tickets: tickets
      ? childrenNamed(tickets, "ticket_state").map((t) => ({
          raw: t,
          id: req(t, "id"),
          ...pick(t, ["granted", "last-granted", "standby"]),
        }))
      : [],
  };
}

function readNodeState(el: XmlElement): T.NodeState {
  const transient = child(el, "transient_attributes");
  const lrm = child(el, "lrm");
  const out: T.NodeState = {
    raw: el,
    ...pick(el, [
      "id",
      "uname",
      "in_ccm",
      "crmd",
      "join",
      "expected",
      "crm-debug-origin",
      "remote_node",
      "shutdown",
    ]),
  };
  if (transient) {
    out.transient_attributes = {
      raw: transient,
      ...pick(transient, ["id"]),
      instance_attributes: readNvSets(transient, "instance_attributes"),
    };
  }
  if (lrm) {
    const resources = child(lrm, "lrm_resources");
    out.lrm = {
      raw: lrm,
      ...pick(lrm, ["id"]),
      lrm_resources: resources ? childrenNamed(resources, "lrm_resource").map(readLrmResource) : [],
    };
  }
  return out;
}

const lrmRscOpFields = [
  "operation_key",
  "crm-debug-origin",
  "crm_feature_set",
  "transition-key",
  "transition-magic",
  "exit-reason",
  "on_node",
  "call-id",
  "rc-code",
  "op-status",
  "interval",
  "last-run",
  "last-rc-change",
  "exec-time",
  "queue-time",
  "op-digest",
  "op-force-restart",
  "op-restart-digest",
  "op-secure-params",
  "op-secure-digest",
  "migrate_source",
  "migrate_target",
] as const;

function readLrmResource(el: XmlElement): T.LrmResource {
  return {
    raw: el,
    id: req(el, "id"),
    ...pick(el, ["class", "provider", "type", "container"]),
    lrm_rsc_op: childrenNamed(el, "lrm_rsc_op").map((op) => ({
      raw: op,
      id: req(op, "id"),
      operation: req(op, "operation"),
      ...pick(op, lrmRscOpFields),
    })),
  };
}
