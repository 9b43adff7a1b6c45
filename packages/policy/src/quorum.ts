import { isPromotable, type ActionSet } from "./actions.js";
import { requires } from "./fencing.js";
import type { Rsc, WorkingSet } from "./model.js";

/** The partition has no quorum and its no-quorum-policy is not "ignore". */
export function quorumLost(ws: WorkingSet): boolean {
  return !ws.options.haveQuorum && ws.options.noQuorumPolicy !== "ignore";
}

function needsQuorum(ws: WorkingSet, p: Rsc): boolean {
  return requires(ws, p) !== "nothing";
}

/**
 * Without quorum, policies stop, suicide and demote (for resources that are
 * not promotable) stop what is active: such a resource is placed nowhere.
 * Inactive resources are placed as usual, and their starts cannot run.
 */
export function stoppedForQuorum(ws: WorkingSet, p: Rsc): boolean {
  if (!quorumLost(ws) || !needsQuorum(ws, p) || p.runningOn.length === 0) return false;
  const policy = ws.options.noQuorumPolicy;
  if (policy === "demote") return !isPromotable(p);
  return policy !== "freeze";
}

/** Whether a promotable instance may be promoted without quorum (freeze keeps what is promoted). */
export function mayPromoteWithoutQuorum(ws: WorkingSet, inst: Rsc): boolean {
  return ws.options.noQuorumPolicy === "freeze" && inst.role === "Promoted";
}

/**
 * Without quorum, what requires quorum cannot start or be promoted; with
 * no-quorum-policy=freeze only what is already active may start (a move)
 * and only what is already promoted may stay promoted.
 */
export function applyQuorumPolicy(ws: WorkingSet, set: ActionSet): void {
  if (!quorumLost(ws)) return;
  const freeze = ws.options.noQuorumPolicy === "freeze";
  for (const p of ws.primitives) {
    if (!needsQuorum(ws, p)) continue;
    for (const a of set.ofRsc(p)) {
      if (a.task !== "start" && a.task !== "promote") continue;
      // A resource that stays where it is does not start again (blocking it would force a restart).
      if (a.task === "start" && a.node && p.runningOn.includes(a.node)) continue;
      if (freeze && a.task === "start" && p.runningOn.length > 0) continue;
      if (freeze && a.task === "promote" && p.role === "Promoted") continue;
      a.runnable = false;
      a.reason = freeze ? "quorum freeze" : "no quorum";
    }
  }
}
