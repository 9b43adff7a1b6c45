/**
 * DC election without messages. Every member of an agreed view knows the
 * same members with the same incarnations, so every member computes the same
 * candidate: the member with the lowest incarnation (the daemon running the
 * longest, as Pacemaker prefers uptime), the lowest node id on a tie. A node
 * that starts later has a higher incarnation, so a running DC keeps the role
 * when a node joins; when the view loses the DC, the next view names a new
 * one at once. The candidate takes the role only when its partition is
 * quorate or its CIB says `no-quorum-policy=ignore`; the candidate alone
 * decides, so a view never has two DCs.
 */
import { child, childrenNamed, type XmlElement } from "@hacrm/cib";
import type { Term, ViewInfo } from "./types.js";

export function candidateOf(view: ViewInfo): number {
  let best: { id: number; inc: number } | null = null;
  for (const m of view.incarnations) {
    if (!best || m.inc < best.inc || (m.inc === best.inc && m.id < best.id)) best = m;
  }
  if (!best) throw new Error(`view ${view.id} has no members`);
  return best.id;
}

export function termOf(view: ViewInfo): Term {
  return { seq: view.seq, rep: view.rep };
}

export function compareTerms(a: Term, b: Term): number {
  return Math.sign(a.seq - b.seq || a.rep - b.rep);
}

export function formatTerm(t: Term): string {
  return `${t.rep}.${t.seq}`;
}

/** `no-quorum-policy` of a CIB (Pacemaker's default: stop). */
export function noQuorumPolicy(cib: XmlElement): string {
  const crmConfig = child(child(cib, "configuration") ?? cib, "crm_config");
  for (const set of crmConfig ? childrenNamed(crmConfig, "cluster_property_set") : []) {
    for (const nv of childrenNamed(set, "nvpair")) {
      if (nv.attrs["name"] === "no-quorum-policy") return (nv.attrs["value"] ?? "stop").toLowerCase();
    }
  }
  return "stop";
}

/** Whether the candidate may act as DC: a quorate partition, or any partition under `ignore`. */
export function mayLead(quorate: boolean, cib: XmlElement): boolean {
  return quorate || noQuorumPolicy(cib) === "ignore";
}
