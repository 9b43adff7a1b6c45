/**
 * The object `hacrm status --json` prints (docs/controller.md), as this node
 * sees the cluster: its view and quorum, the DC it follows, its copy of the
 * CIB, with its resources and failures (resource-status.ts).
 */
import { child, childrenNamed, type XmlElement } from "@hacrm/cib";
import type { ClusterConfig } from "@hacrm/common";
import type { MembershipStatus } from "@hacrm/membership";
import type { CibHost } from "./cib-host.js";
import { failureEntries, resourceEntries, type FailureEntry, type ResourceEntry } from "./resource-status.js";

export type NodeState = "online" | "offline" | "standby" | "maintenance" | "unclean" | "pending";

export interface ClusterStatus {
  cluster: {
    name: string;
    dc: string | null;
    quorate: boolean;
    cib: { admin_epoch: number; epoch: number; num_updates: number };
  };
  nodes: { name: string; id: number; state: NodeState; dc: boolean }[];
  resources: ResourceEntry[];
  failures: FailureEntry[];
}

export function clusterStatus(cfg: ClusterConfig, cib: CibHost, m: MembershipStatus): ClusterStatus {
  const s = cib.state;
  const dcId = s.dc;
  const members = new Set(m.view?.memberIds ?? []);
  const names = new Map(cfg.nodes.map((n) => [n.nodeid, n.name]));
  return {
    cluster: {
      name: cfg.clusterName,
      dc: dcId === null ? null : (names.get(dcId) ?? String(dcId)),
      quorate: m.quorum?.quorate ?? false,
      cib: { ...s.cib.version },
    },
    nodes: cfg.nodes.map((n) => ({
      name: n.name,
      id: n.nodeid,
      state: nodeState(s.cib.doc, n.nodeid, members.has(n.nodeid), dcId !== null),
      dc: n.nodeid === dcId,
    })),
    resources: resourceEntries(s.cib.doc, Math.floor(Date.now() / 1000)),
    failures: failureEntries(s.cib.doc),
  };
}

function nodeState(cib: XmlElement, id: number, member: boolean, joined: boolean): NodeState {
  if (!member) return "offline";
  if (!joined) return "pending";
  const attrs = nodeAttributes(cib, id);
  if (attrs.get("maintenance") === "on" || attrs.get("maintenance") === "true") return "maintenance";
  if (attrs.get("standby") === "on" || attrs.get("standby") === "true") return "standby";
  return "online";
}

/** The `<node>` entry's instance attributes (standby, maintenance, ...). */
function nodeAttributes(cib: XmlElement, id: number): Map<string, string> {
  const out = new Map<string, string>();
  const nodes = child(child(cib, "configuration") ?? cib, "nodes");
  const node = nodes ? childrenNamed(nodes, "node").find((n) => n.attrs["id"] === String(id)) : undefined;
  for (const set of node ? childrenNamed(node, "instance_attributes") : []) {
    for (const nv of childrenNamed(set, "nvpair")) out.set(nv.attrs["name"] ?? "", nv.attrs["value"] ?? "");
  }
  return out;
}
