/**
 * Join, the pure parts: which member's CIB the DC adopts, the version the
 * adopted CIB gets, whether a member's copy is part of the adopted history
 * (or its changes are dropped), and the status section rebuilt from what the
 * members report.
 *
 * The newest CIB is the one with the highest (term, version): a DC writes
 * only in its own term, in one line of versions, so within a term versions
 * order the history; across terms, the later DC had adopted the newest copy
 * of its own members. A DC cut off from its members (its view is gone but it
 * has not heard yet) may write versions no one acknowledged; their term is
 * older than the term of the members' next DC, so they lose however high
 * their version went.
 */
import {
  cloneElement,
  compareVersions,
  element,
  parseXml,
  type CibVersion,
  type XmlElement,
} from "@hacrm/cib";
import { compareTerms } from "./election.js";
import type { JoinReport, LineageEntry, Term } from "./types.js";

export function compareReports(a: JoinReport, b: JoinReport): number {
  return compareTerms(a.term, b.term) || compareVersions(a.version, b.version);
}

/** The member whose copy wins: highest (term, version); on a tie the DC's own copy, then the lowest id. */
export function pickWinner(reports: Map<number, JoinReport>, selfId: number): number {
  let best = selfId;
  let bestReport = reports.get(selfId) as JoinReport;
  for (const [id, r] of [...reports].sort((x, y) => x[0] - y[0])) {
    if (compareReports(r, bestReport) > 0) {
      best = id;
      bestReport = r;
    }
  }
  return best;
}

/**
 * The version of the adopted CIB: never below any member's (so no node's
 * version goes backwards when it takes the copy), and a configuration the
 * members had at the same or a higher epoch with other content moves the
 * epoch, so one epoch never names two configurations seen by clients.
 */
export function adoptedVersion(
  winner: JoinReport,
  adoptedConfigDigest: string,
  changedFromWinner: boolean,
  reports: JoinReport[],
): CibVersion {
  let max = winner.version;
  for (const r of reports) if (compareVersions(r.version, max) > 0) max = r.version;
  if (adoptedConfigDigest !== winner.configDigest) {
    return { admin_epoch: max.admin_epoch, epoch: max.epoch + 1, num_updates: 0 };
  }
  const configAtOrAbove = (r: JoinReport) =>
    r.version.admin_epoch > winner.version.admin_epoch ||
    (r.version.admin_epoch === winner.version.admin_epoch && r.version.epoch >= winner.version.epoch);
  if (reports.some((r) => configAtOrAbove(r) && r.configDigest !== adoptedConfigDigest)) {
    return { admin_epoch: max.admin_epoch, epoch: max.epoch + 1, num_updates: 0 };
  }
  const maxHeldOnlyByWinner = compareVersions(max, winner.version) === 0;
  const otherContentAtMax = reports.some(
    (r) => compareVersions(r.version, max) === 0 && r.digest !== winner.digest,
  );
  if (!changedFromWinner && maxHeldOnlyByWinner && !otherContentAtMax) return max;
  return { ...max, num_updates: max.num_updates + 1 };
}

/** The lineage of a copy adopted in `term` from a winner copy (trimmed to `max` entries). */
export function extendLineage(
  winnerLineage: LineageEntry[],
  winnerVersion: CibVersion,
  term: Term,
  max: number,
): LineageEntry[] {
  const closed = winnerLineage.map((e, i) =>
    i === winnerLineage.length - 1 ? { term: e.term, endVersion: winnerVersion } : e,
  );
  return [...closed, { term, endVersion: null }].slice(-max);
}

/**
 * Whether the copy (term, version) is part of the history of a copy with
 * this lineage and version: its term is in the lineage and the history
 * reached at least its version in that term. "unknown" when the term is older
 * than the lineage remembers.
 */
export function inHistory(
  lineage: LineageEntry[],
  current: CibVersion,
  term: Term,
  version: CibVersion,
): boolean | "unknown" {
  if (term.seq === 0 && term.rep === 0)
    return compareVersions(version, { admin_epoch: 0, epoch: 0, num_updates: 0 }) === 0;
  for (const e of lineage) {
    if (compareTerms(e.term, term) !== 0) continue;
    return compareVersions(version, e.endVersion ?? current) <= 0;
  }
  const oldest = lineage[0];
  if (oldest && compareTerms(term, oldest.term) < 0) return "unknown";
  return false;
}

/**
 * The status section rebuilt from the members' reports: each member's
 * `node_state` is the one it reported (what its executor knows), and nodes
 * outside the view are marked as not in the membership; members get their
 * `<node>` entry in the configuration when they have none. Returns a new tree.
 */
/**
 * The configuration's `nodes` section with a `<node id uname>` entry for
 * every member that has none (as Pacemaker's join adds them): Pacemaker's
 * tools ignore the `node_state` of a node the configuration does not name.
 */
export function withMemberNodes(doc: XmlElement, members: { id: number; name: string }[]): XmlElement {
  const configuration = doc.children.find((c) => c.name === "configuration");
  if (!configuration) return doc;
  let nodes = configuration.children.find((c) => c.name === "nodes");
  const missing = members.filter(
    (m) => !nodes?.children.some((n) => n.name === "node" && n.attrs["id"] === String(m.id)),
  );
  if (missing.length === 0) return doc;
  if (!nodes) {
    nodes = element("nodes");
    configuration.children.splice(1, 0, nodes);
  }
  for (const m of missing) nodes.children.push(element("node", { id: String(m.id), uname: m.name }));
  return doc;
}

export function rebuildStatus(
  doc: XmlElement,
  members: { id: number; name: string; nodeState: string | null }[],
  nonMembers: { id: number; name: string }[],
  dcId: number,
  quorate: boolean,
): XmlElement {
  const out = cloneElement(doc);
  out.attrs["have-quorum"] = quorate ? "1" : "0";
  out.attrs["dc-uuid"] = String(dcId);
  let status = out.children.find((c) => c.name === "status");
  if (!status) {
    status = element("status");
    out.children.push(status);
  }
  const put = (id: number, el: XmlElement) => {
    const i = (status as XmlElement).children.findIndex(
      (c) => c.name === "node_state" && c.attrs["id"] === String(id),
    );
    if (i >= 0) (status as XmlElement).children[i] = el;
    else (status as XmlElement).children.push(el);
  };
  for (const m of members) put(m.id, memberState(m.id, m.name, m.nodeState));
  withMemberNodes(out, members);
  for (const n of nonMembers) {
    const old = status.children.find((c) => c.name === "node_state" && c.attrs["id"] === String(n.id));
    if (!old) continue;
    const down = cloneElement(old);
    Object.assign(down.attrs, { in_ccm: "false", crmd: "offline", join: "down" });
    put(n.id, down);
  }
  return out;
}

function memberState(id: number, name: string, reported: string | null): XmlElement {
  let el: XmlElement | null = null;
  if (reported !== null) {
    try {
      const parsed = parseXml(reported, `node_state of node ${id}`);
      if (parsed.name === "node_state") el = parsed;
    } catch {
      el = null; // a malformed report counts as no report
    }
  }
  el ??= element("node_state");
  Object.assign(el.attrs, {
    id: String(id),
    uname: name,
    in_ccm: "true",
    crmd: "online",
    join: "member",
    expected: "member",
  });
  return el;
}
