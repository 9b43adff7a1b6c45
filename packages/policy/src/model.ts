import { parseRole as parseCibRole } from "@hacrm/cib";

/** The resolved scheduler working set: what the CIB says, unpacked once. */

export type Role = "Stopped" | "Started" | "Unpromoted" | "Promoted" | "Unknown";

export function roleRank(r: Role): number {
  switch (r) {
    case "Unknown":
      return 0;
    case "Stopped":
      return 1;
    case "Started":
      return 2;
    case "Unpromoted":
      return 3;
    case "Promoted":
      return 4;
  }
}

export function parseRole(v: string | undefined): Role {
  if (v === undefined) return "Unknown";
  const role = parseCibRole(v);
  return role.ok ? role.value : "Unknown";
}

export interface PNode {
  id: string;
  uname: string;
  /** Position in name order (compareNodeNames): the tie-break between equally good nodes. */
  index: number;
  online: boolean;
  standby: boolean;
  maintenance: boolean;
  unclean: boolean;
  /** Why an unclean node must be fenced (crm_simulate's wording). */
  fenceReason?: string;
  shutdown: boolean;
  pending: boolean;
  /** Node attributes (configuration + transient), plus #uname/#id. */
  attrs: Map<string, string>;
  /** Resources assigned during allocation (for balancing). */
  numResources: number;
  /** Utilization capacity (`<utilization>` of the node). */
  capacity: Map<string, number>;
  /** Utilization of the resources assigned here so far. */
  used: Map<string, number>;
}

/** One contribution to a score on a node, for --show-scores. */
export interface ScorePart {
  source: string;
  score: number;
}

export interface NodeScore {
  score: number;
  parts: ScorePart[];
}

export interface OpDef {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  role: Role;
  onFail?: string;
  enabled: boolean;
  /** The operation's own instance attributes (part of its parameter digest). */
  params: Map<string, string>;
}

export type RscKind = "primitive" | "group" | "clone";

export interface Rsc {
  id: string;
  /** Configuration id without instance suffix. */
  baseId: string;
  kind: RscKind;
  parent: Rsc | undefined;
  children: Rsc[];
  meta: Map<string, string>;
  params: Map<string, string>;
  agent: string;
  ops: OpDef[];
  priority: number;
  stickiness: number;
  managed: boolean;
  targetRole: Role;
  critical: boolean;
  orphan: boolean;
  failureThreshold: number;
  /** `failure-timeout` in seconds (0: failures never expire). */
  failureTimeoutSec: number;
  /** Nodes where every failure in the history is of an operation with on-fail=ignore. */
  failuresIgnoredOn: Set<string>;
  /** Nodes where a promoted-role failure with on-fail=demote forbids promotion in this transition. */
  noPromoteOn: Set<string>;
  // clone settings
  promotable: boolean;
  unique: boolean;
  cloneMax: number;
  /** Instances that must be active before an order with this clone first lets its then side act (0: one). */
  cloneMin: number;
  cloneNodeMax: number;
  promotedMax: number;
  promotedNodeMax: number;
  interleave: boolean;
  ordered: boolean;
  requireAll: boolean;
  // current state
  runningOn: PNode[];
  role: Role;
  failed: boolean;
  failedOn: Set<string>;
  /** Nodes where the recorded parameter digest no longer matches: restart there. */
  changedOn: Set<string>;
  /** Nodes where only parameters the agent can reload changed: reload there unless it restarts anyway. */
  reloadOn: Set<string>;
  /** The lrm_resource id this instance's history had, per node id (anonymous clones). */
  historyIds: Map<string, string>;
  /** Nodes where the state is known (lrm history exists). */
  knownOn: Set<string>;
  /** Nodes whose failed stop blocks this resource. */
  blocked: boolean;
  /** Live migrations recorded in the history: migrate_to succeeded on `source` towards target node name `target`. */
  migratedTo: { source: PNode; target: string }[];
  /** Nodes (ids) with a migrate_from in their current history, and its source node name. */
  migratedFrom: Map<string, string>;
  /** Failed migrate_to operations still current on their source node, and the target node name. */
  failedMigrateTo: { source: PNode; target: string }[];
  /** Nodes (ids) whose current history holds a failed migrate_from, and its source node name. */
  failedMigrateFrom: Map<string, string>;
  /** Nodes (ids) where the history holds more than probes. */
  historyBeyondProbesOn: Set<string>;
  /** Nodes a completed migration left the resource on, to be cleaned up with a stop (not a state change). */
  danglingOn: PNode[];
  /** A migration half done (migrate_to succeeded, target online): placing it there completes it. */
  partialTarget: PNode | undefined;
  // allocation
  allowed: Map<string, NodeScore>;
  allocatedTo: PNode | undefined;
  nextRole: Role;
  provisional: boolean;
  allocating: boolean;
  merging: boolean;
  /** Colocations where this resource is the dependent. */
  withPrimaries: Colocation[];
  /** Colocations where this resource is the primary. */
  withDependents: Colocation[];
  promotionScore: number;
  /** Location constraints that apply to the promoted role. */
  promotedLocations: { node: string; score: number; source: string }[];
  /** Instance number within its clone, -1 if not an instance. */
  instance: number;
  /** What the resource uses of a node's capacity (`<utilization>`). */
  utilization: Map<string, number>;
}

export interface Colocation {
  id: string;
  dependent: Rsc;
  primary: Rsc;
  score: number;
  dependentRole: Role;
  primaryRole: Role;
  influence: boolean;
  nodeAttribute: string;
  /** The endpoints as configured (a group, before resolving to a member): they set the allocation order. */
  configuredDependent?: Rsc;
  configuredPrimary?: Rsc;
}

export type OrderKind = "Mandatory" | "Optional" | "Serialize";

export interface OrderConstraint {
  id: string;
  first: Rsc;
  then: Rsc;
  firstAction: string;
  thenAction: string;
  kind: OrderKind;
  symmetrical: boolean;
  requireAll: boolean;
  /**
   * Orders from the members of one resource set with require-all=false to
   * one then: this key is shared by them, and the then side acts once any
   * of those firsts can.
   */
  anyOf?: string;
}

export interface LocationConstraint {
  id: string;
  rsc: Rsc;
  role: Role;
  /** Node id -> score */
  scores: Map<string, number>;
  discovery: string;
}

export interface ClusterOptions {
  symmetric: boolean;
  noQuorumPolicy: string;
  stonithEnabled: boolean;
  /** The nodes can fence themselves (sbd's watchdog): fencing works without a fencing device. */
  haveWatchdog: boolean;
  /** reboot or off: what fencing does to a node. */
  stonithAction: string;
  /** Nodes never seen by the cluster are fenced. */
  startupFencing: boolean;
  /** Several fencing actions may run at once (otherwise one after the other). */
  concurrentFencing: boolean;
  /** Delay (ms) added to fencing the node that runs the highest-priority resources. */
  priorityFencingDelayMs: number;
  stopOrphans: boolean;
  startFailureIsFatal: boolean;
  maintenanceMode: boolean;
  stopAllResources: boolean;
  haveQuorum: boolean;
  /** The partition lost quorum it had (no-quorum-panic): with no-quorum-policy=suicide it fences itself. */
  noQuorumPanic: boolean;
  placementStrategy: string;
  defaultStickiness: number;
}

export interface WorkingSet {
  now: number;
  options: ClusterOptions;
  nodes: PNode[];
  nodesById: Map<string, PNode>;
  nodesByName: Map<string, PNode>;
  /** Top-level resources in configuration order. */
  resources: Rsc[];
  /** Every resource (all levels, incl. instances) by id. */
  rscById: Map<string, Rsc>;
  primitives: Rsc[];
  colocations: Colocation[];
  orders: OrderConstraint[];
  locations: LocationConstraint[];
  rscDefaults: Map<string, string>;
  /** `<rsc_defaults>`, re-read for each primitive when its rules test the resource's agent. */
  rscDefaultsEl?: import("@hacrm/cib").XmlElement | undefined;
  /** Each clone's child element, to create orphaned instances found in the status section. */
  cloneTemplates: Map<Rsc, import("@hacrm/cib").XmlElement>;
  opDefaults: Map<string, string>;
  warnings: string[];
}
