import type { XmlElement } from "@hacrm/cib";
import type { ClusterOptions, PNode } from "./model.js";
import type { IdIndex } from "./id-index.js";
import { readNvsets } from "./nvpairs.js";
import { isTrue } from "./scores.js";
import { section } from "./unpack-config.js";

/** Nodes from <nodes>, their attributes and their state in <status>. */
export function unpackNodes(cib: XmlElement, ids: IdIndex, options: ClusterOptions, now: number): PNode[] {
  const nodes: PNode[] = [];
  const nodesEl = section(cib, "configuration", "nodes");
  const statusEl = section(cib, "status");
  const states = new Map<string, XmlElement>();
  for (const s of statusEl?.children ?? []) {
    if (s.name === "node_state" && s.attrs.id !== undefined) states.set(s.attrs.id, s);
  }
  for (const el of nodesEl?.children ?? []) {
    if (el.name !== "node") continue;
    const type = el.attrs.type ?? "member";
    if (type === "remote" || type === "ping") continue;
    const id = el.attrs.id ?? el.attrs.uname ?? "";
    const uname = el.attrs.uname ?? id;
    const attrs = new Map<string, string>();
    const state = states.get(id);
    const transient = state?.children.find((c) => c.name === "transient_attributes");
    readNvsets(transient, "instance_attributes", ids, { now }, attrs);
    readNvsets(el, "instance_attributes", ids, { now }, attrs);
    attrs.set("#uname", uname);
    attrs.set("#id", id);
    attrs.set("#kind", "cluster");
    attrs.set("#is_dc", cib.attrs["dc-uuid"] === id ? "true" : "false");
    const node: PNode = {
      id,
      uname,
      index: nodes.length,
      online: false,
      standby: isTrue(attrs.get("standby")),
      maintenance: isTrue(attrs.get("maintenance")),
      unclean: false,
      shutdown: false,
      pending: false,
      attrs,
      numResources: 0,
      capacity: new Map(),
      used: new Map(),
    };
    for (const [k, v] of readNvsets(el, "utilization", ids, { now }))
      node.capacity.set(k, Number.parseInt(v, 10) || 0);
    applyNodeState(node, state, options);
    if (suicide(options) && node.online) markUnclean(node, "cluster does not have quorum");
    nodes.push(node);
  }
  // Ties between equally good nodes go by name, digits compared as numbers.
  [...nodes].sort((a, b) => compareNodeNames(a.uname, b.uname)).forEach((n, i) => (n.index = i));
  return nodes;
}

/** Case-insensitive name order in which a run of digits compares by its value ("node2" < "node10"). */
export function compareNodeNames(a: string, b: string): number {
  const split = (s: string): string[] => s.toLowerCase().match(/\d+|\D+/g) ?? [];
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    const numeric = /^\d/.test(p) && /^\d/.test(q);
    if (numeric && Number(p) !== Number(q)) return Number(p) - Number(q);
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

function inCcm(v: string | undefined): boolean {
  if (v === undefined) return false;
  if (isTrue(v)) return true;
  return /^\d+$/.test(v) && v !== "0";
}

function crmdOnline(v: string | undefined): boolean {
  if (v === undefined) return false;
  if (v === "online" || isTrue(v)) return true;
  return /^\d+$/.test(v) && v !== "0";
}

/**
 * A node's state from its node_state entry. With fencing enabled, a node
 * that was lost while expected up is unclean (it must be fenced before
 * anything it ran is recovered elsewhere); so is a node never seen by the
 * cluster when startup-fencing is on. Without fencing, a node is online or
 * offline, nothing else.
 */
function applyNodeState(node: PNode, state: XmlElement | undefined, options: ClusterOptions): void {
  const shutdownAttr = node.attrs.get("shutdown");
  node.shutdown = shutdownAttr !== undefined && shutdownAttr !== "0" && shutdownAttr !== "";
  const fencing = options.stonithEnabled;
  if (!state) {
    if (fencing && options.startupFencing) markUnclean(node, "node is unclean");
    return;
  }
  const member = inCcm(state.attrs.in_ccm);
  const crmd = crmdOnline(state.attrs.crmd);
  const join = state.attrs.join ?? "down";
  const expectedUp = (state.attrs.expected ?? "down") === "member";
  if (!fencing) {
    if (member && crmd && join === "member") node.online = true;
    else if (member && crmd) node.pending = true;
    return;
  }
  const terminate = terminateRequested(node.attrs.get("terminate"));
  if (node.shutdown) {
    // A node shutting down cleanly is online as long as its controller is.
    node.online = crmd;
  } else if (state.attrs.in_ccm === undefined) {
    markUnclean(node, "peer has not been seen by the cluster");
  } else if (join === "banned" || join === "nack") {
    // The DC refused it at join ("banned" is what the controller writes).
    markUnclean(node, "peer failed Pacemaker membership criteria");
  } else if (!terminate && !expectedUp) {
    if (member || crmd) node.pending = true;
  } else if (terminate && join === "down" && !member && !crmd) {
    // Just fenced: down and clean.
  } else if (!member) {
    markUnclean(node, "peer is no longer part of the cluster");
  } else if (!crmd) {
    markUnclean(node, "peer process is no longer available");
  } else if (terminate) {
    markUnclean(node, "termination was requested");
    node.online = true;
  } else if (join === "member") {
    node.online = true;
  } else if (join === "pending" || join === "down") {
    node.pending = true;
  } else {
    markUnclean(node, "peer was in an unknown state");
  }
}

/** A partition that lost quorum with no-quorum-policy=suicide fences every node in it. */
function suicide(options: ClusterOptions): boolean {
  return (
    options.stonithEnabled &&
    !options.haveQuorum &&
    options.noQuorumPanic &&
    options.noQuorumPolicy === "suicide"
  );
}

function terminateRequested(v: string | undefined): boolean {
  if (v === undefined || v === "") return false;
  return isTrue(v) || /^[1-9]/.test(v);
}

/** The node must be fenced before what it ran is recovered: it cannot host anything meanwhile. */
export function markUnclean(node: PNode, reason: string): void {
  node.unclean = true;
  node.fenceReason ??= reason;
}

/** Whether a node may host resources at all. */
export function canHost(node: PNode): boolean {
  return (
    node.online && !node.standby && !node.unclean && !node.shutdown && !node.maintenance && !node.pending
  );
}
