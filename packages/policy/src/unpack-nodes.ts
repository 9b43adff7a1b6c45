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
    nodes.push(node);
  }
  return nodes;
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

function applyNodeState(node: PNode, state: XmlElement | undefined, options: ClusterOptions): void {
  const shutdownAttr = node.attrs.get("shutdown");
  node.shutdown = shutdownAttr !== undefined && shutdownAttr !== "0" && shutdownAttr !== "";
  if (!state) {
    node.online = false;
    node.unclean = false;
    return;
  }
  const member = inCcm(state.attrs.in_ccm);
  const crmd = crmdOnline(state.attrs.crmd);
  const join = state.attrs.join ?? "member";
  const expected = state.attrs.expected ?? join;
  if (member && crmd && join === "member") {
    node.online = true;
  } else if (member && crmd && join === "pending") {
    node.pending = true;
  } else if (options.stonithEnabled && member && !crmd && expected === "member" && join !== "down") {
    node.unclean = false;
  }
  if (node.online && node.shutdown) node.online = true;
}

/** Whether a node may host resources at all. */
export function canHost(node: PNode): boolean {
  return (
    node.online && !node.standby && !node.unclean && !node.shutdown && !node.maintenance && !node.pending
  );
}
