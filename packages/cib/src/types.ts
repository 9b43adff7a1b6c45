import type { XmlElement } from "./xml.js";

/**
 * Typed mirror of Pacemaker's CIB XML. Property names are the XML attribute
 * and element names as the Pacemaker schema spells them ("validate-with",
 * "rsc-role", lrm_rsc_op ...), values are the attribute strings as written:
 * nothing here resolves defaults, parses scores or evaluates rules (the policy
 * engine builds its own working set). Every typed node keeps `raw`, the
 * element it was read from, so the document round-trips losslessly: write
 * the `raw` tree, never these objects. `element` is the element name where
 * a union needs a discriminant (the XML attribute `kind` stays `kind`).
 */
export interface Typed {
  /** The element this node was read from (shared, not a copy). */
  readonly raw: XmlElement;
}

/** (admin_epoch, epoch, num_updates): compared in that order. */
export interface CibVersion {
  admin_epoch: number;
  epoch: number;
  num_updates: number;
}

export interface Cib extends Typed {
  version: CibVersion;
  "validate-with"?: string;
  crm_feature_set?: string;
  "have-quorum"?: string;
  "dc-uuid"?: string;
  "cib-last-written"?: string;
  "update-origin"?: string;
  "update-client"?: string;
  "update-user"?: string;
  "no-quorum-panic"?: string;
  /** Seconds since the epoch used as "now" by offline tools (crm_simulate). */
  "execution-date"?: string;
  configuration: Configuration;
  status: Status;
}

// ---- nvpair sets, rules, expressions --------------------------------------

export interface NvPair extends Typed {
  id: string;
  name?: string;
  value?: string;
  "id-ref"?: string;
}

/** Element names that hold name/value pairs. */
export type NvSetKind = "cluster_property_set" | "instance_attributes" | "meta_attributes" | "utilization";

/** An nvpair set (instance_attributes, meta_attributes, ...), possibly an id-ref. */
export interface NvSet extends Typed {
  element: NvSetKind;
  id?: string;
  "id-ref"?: string;
  score?: string;
  rules: Rule[];
  nvpairs: NvPair[];
}

export type BooleanOp = "and" | "or";

export interface Rule extends Typed {
  element: "rule";
  id?: string;
  "id-ref"?: string;
  score?: string;
  "score-attribute"?: string;
  "boolean-op"?: string;
  role?: string;
  expressions: RuleExpression[];
}

/** Node attribute test: `#uname eq node1`, `defined pingd`, `lte 5`. */
export interface Expression extends Typed {
  element: "expression";
  id: string;
  attribute: string;
  operation: string;
  value?: string;
  type?: string;
  "value-source"?: string;
}

/** The fields of a `date_spec` (and of a `duration`), as the schema names them. */
export const dateSpecFields = [
  "hours",
  "monthdays",
  "weekdays",
  "yeardays",
  "months",
  "weeks",
  "years",
  "weekyears",
  "moon",
  "seconds",
  "minutes",
] as const;

export interface DateSpec extends Typed {
  id: string;
  hours?: string;
  monthdays?: string;
  weekdays?: string;
  yeardays?: string;
  months?: string;
  weeks?: string;
  years?: string;
  weekyears?: string;
  moon?: string;
  /** Only inside a date_expression `duration`. */
  seconds?: string;
  minutes?: string;
}

export interface DateExpression extends Typed {
  element: "date_expression";
  id: string;
  operation: string;
  start?: string;
  end?: string;
  date_spec?: DateSpec;
  duration?: DateSpec;
}

export interface RscExpression extends Typed {
  element: "rsc_expression";
  id: string;
  class?: string;
  provider?: string;
  type?: string;
}

export interface OpExpression extends Typed {
  element: "op_expression";
  id: string;
  name: string;
  interval?: string;
}

export type RuleExpression = Expression | DateExpression | RscExpression | OpExpression | Rule;

// ---- configuration ---------------------------------------------------------

export interface Configuration extends Typed {
  crm_config: NvSet[];
  nodes: Node[];
  resources: Resource[];
  constraints: Constraint[];
  rsc_defaults: NvSet[];
  op_defaults: NvSet[];
  "fencing-topology": FencingLevel[];
  tags: Tag[];
  alerts: Alert[];
  /** ACLs are kept lightly typed: the scheduler ignores them. */
  acls: AclEntry[];
}

export interface Node extends Typed {
  id: string;
  uname: string;
  type?: string;
  description?: string;
  score?: string;
  instance_attributes: NvSet[];
  utilization: NvSet[];
}

export interface Op extends Typed {
  id: string;
  name: string;
  interval: string;
  description?: string;
  "start-delay"?: string;
  "interval-origin"?: string;
  timeout?: string;
  enabled?: string;
  "record-pending"?: string;
  role?: string;
  requires?: string;
  "on-fail"?: string;
  "id-ref"?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
}

export interface Operations extends Typed {
  id?: string;
  "id-ref"?: string;
  ops: Op[];
}

/** Attributes and sets shared by primitive and template. */
interface PrimitiveBody {
  id: string;
  class?: string;
  provider?: string;
  type?: string;
  description?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
  utilization: NvSet[];
  operations?: Operations;
}

export interface Primitive extends Typed, PrimitiveBody {
  element: "primitive";
  /** Id of a `template` this primitive takes class/type/sets/ops from. */
  template?: string;
}

export interface Template extends Typed, PrimitiveBody {
  element: "template";
}

export interface Group extends Typed {
  element: "group";
  id: string;
  description?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
  primitives: Primitive[];
}

/** `clone`, or the legacy `master` element (a promotable clone). */
export interface Clone extends Typed {
  element: "clone" | "master";
  id: string;
  description?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
  /** The cloned resource; undefined only in a document the schema rejects. */
  child?: Primitive | Group;
}

export interface BundleContainer extends Typed {
  /** docker, rkt or podman. */
  element: "docker" | "rkt" | "podman";
  image: string;
  replicas?: string;
  "replicas-per-host"?: string;
  "promoted-max"?: string;
  masters?: string;
  "run-command"?: string;
  network?: string;
  options?: string;
}

export interface PortMapping extends Typed {
  id: string;
  port?: string;
  "internal-port"?: string;
  range?: string;
}

export interface BundleNetwork extends Typed {
  "ip-range-start"?: string;
  "control-port"?: string;
  "host-interface"?: string;
  "host-netmask"?: string;
  "add-host"?: string;
  port_mapping: PortMapping[];
}

export interface StorageMapping extends Typed {
  id: string;
  "source-dir"?: string;
  "source-dir-root"?: string;
  "target-dir": string;
  options?: string;
}

export interface Bundle extends Typed {
  element: "bundle";
  id: string;
  description?: string;
  container?: BundleContainer;
  network?: BundleNetwork;
  storage: StorageMapping[];
  meta_attributes: NvSet[];
  primitive?: Primitive;
}

export type Resource = Primitive | Template | Group | Clone | Bundle;

/** A `resource_ref` inside a resource_set. */
export interface ResourceRef extends Typed {
  id: string;
}

export interface ResourceSet extends Typed {
  id?: string;
  "id-ref"?: string;
  sequential?: string;
  "require-all"?: string;
  ordering?: string;
  action?: string;
  role?: string;
  score?: string;
  kind?: string;
  resource_refs: ResourceRef[];
}

export interface RscLocation extends Typed {
  element: "rsc_location";
  id: string;
  rsc?: string;
  "rsc-pattern"?: string;
  node?: string;
  score?: string;
  role?: string;
  "resource-discovery"?: string;
  rules: Rule[];
  resource_sets: ResourceSet[];
}

export interface RscColocation extends Typed {
  element: "rsc_colocation";
  id: string;
  rsc?: string;
  "with-rsc"?: string;
  "rsc-role"?: string;
  "with-rsc-role"?: string;
  "rsc-instance"?: string;
  "with-rsc-instance"?: string;
  score?: string;
  "node-attribute"?: string;
  influence?: string;
  resource_sets: ResourceSet[];
}

export interface RscOrder extends Typed {
  element: "rsc_order";
  id: string;
  first?: string;
  then?: string;
  "first-action"?: string;
  "then-action"?: string;
  "first-instance"?: string;
  "then-instance"?: string;
  /** Mandatory, Optional or Serialize. */
  kind?: string;
  score?: string;
  symmetrical?: string;
  "require-all"?: string;
  resource_sets: ResourceSet[];
}

export interface RscTicket extends Typed {
  element: "rsc_ticket";
  id: string;
  ticket: string;
  rsc?: string;
  "rsc-role"?: string;
  "loss-policy"?: string;
  resource_sets: ResourceSet[];
}

export type Constraint = RscLocation | RscColocation | RscOrder | RscTicket;

export interface FencingLevel extends Typed {
  id: string;
  target?: string;
  "target-pattern"?: string;
  "target-attribute"?: string;
  "target-value"?: string;
  index: string;
  devices: string;
}

export interface ObjRef extends Typed {
  id: string;
}

export interface Tag extends Typed {
  id: string;
  obj_refs: ObjRef[];
}

export interface AlertRecipient extends Typed {
  id: string;
  value: string;
  description?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
}

export interface Alert extends Typed {
  id: string;
  path: string;
  description?: string;
  meta_attributes: NvSet[];
  instance_attributes: NvSet[];
  /** Element names inside `select` (select_nodes, select_fencing, ...). */
  select?: string[];
  recipients: AlertRecipient[];
}

/** acl_target, acl_group, acl_role, acl_user, role: id plus raw children. */
export interface AclEntry extends Typed {
  element: string;
  id: string;
}

// ---- status -------------------------------------------------------------

export interface Status extends Typed {
  node_state: NodeState[];
  /** `tickets` / ticket_state entries. */
  tickets: TicketState[];
}

export interface TicketState extends Typed {
  id: string;
  granted?: string;
  "last-granted"?: string;
  standby?: string;
}

export interface NodeState extends Typed {
  /** Optional in the schema: old CIBs may name a node by uname only. */
  id?: string;
  uname?: string;
  in_ccm?: string;
  crmd?: string;
  join?: string;
  expected?: string;
  "crm-debug-origin"?: string;
  remote_node?: string;
  shutdown?: string;
  transient_attributes?: TransientAttributes;
  lrm?: Lrm;
}

export interface TransientAttributes extends Typed {
  id?: string;
  instance_attributes: NvSet[];
}

export interface Lrm extends Typed {
  id?: string;
  lrm_resources: LrmResource[];
}

export interface LrmResource extends Typed {
  id: string;
  class?: string;
  provider?: string;
  type?: string;
  container?: string;
  lrm_rsc_op: LrmRscOp[];
}

export interface LrmRscOp extends Typed {
  id: string;
  operation_key?: string;
  operation: string;
  "crm-debug-origin"?: string;
  crm_feature_set?: string;
  "transition-key"?: string;
  "transition-magic"?: string;
  "exit-reason"?: string;
  on_node?: string;
  "call-id"?: string;
  "rc-code"?: string;
  "op-status"?: string;
  interval?: string;
  "last-run"?: string;
  "last-rc-change"?: string;
  "exec-time"?: string;
  "queue-time"?: string;
  "op-digest"?: string;
  "op-force-restart"?: string;
  "op-restart-digest"?: string;
  "op-secure-params"?: string;
  "op-secure-digest"?: string;
  migrate_source?: string;
  migrate_target?: string;
}

/** The configuration section names `hacrm cib show --section` accepts. */
export const configurationSections = [
  "crm_config",
  "nodes",
  "resources",
  "constraints",
  "rsc_defaults",
  "op_defaults",
  "fencing-topology",
  "tags",
  "alerts",
  "acls",
] as const;
export type ConfigurationSection = (typeof configurationSections)[number];
