import type { NodeScore, PNode, Rsc, WorkingSet } from "./model.js";
import { canHost } from "./unpack-nodes.js";
import { addScores, INFINITY } from "./scores.js";
import type { Ban } from "./unpack-status.js";

/** Add a contribution to a resource's score on a node (creating the entry in opt-in clusters). */
export function addPart(rsc: Rsc, nodeId: string, score: number, source: string): void {
  let e = rsc.allowed.get(nodeId);
  if (!e) {
    e = { score: 0, parts: [] };
    rsc.allowed.set(nodeId, e);
  }
  e.score = addScores(e.score, score);
  e.parts.push({ source, score });
}

/** Every resource at every level (clone, instance, group, member). */
export function allResources(ws: WorkingSet): Rsc[] {
  const out: Rsc[] = [];
  const visit = (r: Rsc): void => {
    out.push(r);
    for (const c of r.children) visit(c);
  };
  for (const r of ws.resources) visit(r);
  return out;
}

function descendantsAndSelf(r: Rsc): Rsc[] {
  const out = [r];
  for (const c of r.children) out.push(...descendantsAndSelf(c));
  return out;
}

/** Initial scores: symmetric clusters allow every node, locations, hard-error bans, stickiness, availability. */
export function initialScores(ws: WorkingSet, bans: Ban[]): void {
  const every = allResources(ws);
  if (ws.options.symmetric) {
    for (const r of every) for (const n of ws.nodes) r.allowed.set(n.id, { score: 0, parts: [] });
  }
  for (const loc of ws.locations) {
    if (loc.role === "Promoted") {
      for (const [nid, score] of loc.scores)
        loc.rsc.promotedLocations.push({ node: nid, score, source: `location ${loc.id} (Promoted)` });
      continue;
    }
    for (const r of descendantsAndSelf(loc.rsc)) {
      // A group's location counts once: on its first member (the others follow it).
      const follower = r.parent?.kind === "group" && r.parent.children[0] !== r;
      for (const [nid, score] of loc.scores)
        addPart(
          r,
          nid,
          follower ? 0 : score,
          `location ${loc.id}${follower ? " (via group's first member)" : ""}`,
        );
    }
  }
  for (const ban of bans) {
    for (const r of descendantsAndSelf(ban.rsc)) {
      const targets = ban.node ? [ban.node] : ws.nodes;
      for (const n of targets)
        if (r.allowed.has(n.id) || ws.options.symmetric) addPart(r, n.id, -INFINITY, ban.source);
    }
  }
  for (const p of ws.primitives) applyStickiness(p);
}

export function unavailableReason(n: PNode): string {
  if (n.unclean) return "is unclean";
  if (!n.online) return "is offline";
  if (n.standby) return "is in standby";
  if (n.shutdown) return "is shutting down";
  if (n.maintenance) return "is in maintenance";
  if (n.pending) return "is pending";
  return "is unavailable";
}

function applyStickiness(p: Rsc): void {
  if (!p.managed || p.stickiness === 0) return;
  for (const n of p.runningOn) {
    if (!p.allowed.has(n.id)) continue;
    addPart(p, n.id, p.stickiness, "resource-stickiness");
  }
}

export function scoreOn(r: Rsc, nodeId: string): number {
  return r.allowed.get(nodeId)?.score ?? -INFINITY;
}

export function canRunAny(ws: WorkingSet, scores: Map<string, NodeScore>): boolean {
  for (const [nid, e] of scores) {
    const n = ws.nodesById.get(nid);
    if (n && e.score >= 0 && canHost(n)) return true;
  }
  return false;
}
