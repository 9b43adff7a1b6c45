import type { PNode, Role, Rsc, WorkingSet } from "./model.js";
import { isPromotable, type Action, type ActionSet } from "./actions.js";

export interface SummaryAction {
  action: string;
  resource?: string;
  node?: string;
  from?: string;
  to?: string;
  blocked?: boolean;
  /** The line crm_simulate would print (without the leading "* "). */
  text: string;
}

export interface PlacementEntry {
  resource: string;
  role: "Started" | "Promoted" | "Unpromoted" | "Failed";
  node: string;
}

function find(set: ActionSet, p: Rsc, task: string, node: PNode | undefined): Action | undefined {
  if (!node) return undefined;
  return set.get(p, task, node);
}

function roleName(p: Rsc, role: Role): string {
  if (role === "Unknown") return "Stopped";
  if (role === "Started" && isPromotable(p)) return "Unpromoted";
  return role;
}

function line(verb: string, p: Rsc, detail: string, blocked: boolean): string {
  return `${verb.padEnd(10)} ${p.id}\t( ${detail} )${blocked ? " blocked" : ""}`;
}

/** The transition summary lines for one primitive (after propagation). */
export function summarizePrimitive(set: ActionSet, p: Rsc): SummaryAction[] {
  const current = p.runningOn[0];
  const next = p.allocatedTo && p.nextRole !== "Stopped" ? p.allocatedTo : undefined;
  if (!p.managed || (!current && !next)) return [];
  const out: SummaryAction[] = [];
  const moving = !!current && !!next && current !== next;
  const start = find(set, p, "start", next);
  const startNode = start && start.runnable ? current : undefined;
  const stop = find(set, p, "stop", startNode ?? current);
  const promote = find(set, p, "promote", next);
  const demote = find(set, p, "demote", current);
  const curRole = p.role === "Started" && isPromotable(p) ? "Unpromoted" : p.role;
  const nextRole = p.nextRole === "Started" && isPromotable(p) ? "Unpromoted" : p.nextRole;
  const unrunnable = (a: Action | undefined): boolean => !!a && !a.runnable;
  const push = (
    action: string,
    fields: Partial<SummaryAction>,
    verb: string,
    detail: string,
    blocked: boolean,
  ): void => {
    out.push({
      action,
      resource: p.id,
      ...fields,
      ...(blocked ? { blocked: true } : {}),
      text: line(verb, p, detail, blocked),
    });
  };
  if (curRole === nextRole && next) {
    if (!start || start.optional) {
      if (demote && promote && !demote.optional && !promote.optional) {
        push("re-promote", { node: next.uname }, "Re-promote", `Promoted ${next.uname}`, unrunnable(promote));
      }
      return out;
    }
    if (!start.runnable) {
      for (const n of p.runningOn) {
        const s = find(set, p, "stop", n);
        push("stop", { node: n.uname }, "Stop", n.uname, !s || !s.runnable);
      }
      return out;
    }
    if (moving && current) {
      const verb = p.failed ? "Recover" : "Move";
      push(
        verb.toLowerCase(),
        { from: current.uname, to: next.uname },
        verb,
        `${current.uname} -> ${next.uname}`,
        unrunnable(stop),
      );
      return out;
    }
    if (p.failed) {
      push("recover", { node: next.uname }, "Recover", next.uname, unrunnable(stop) || unrunnable(start));
      return out;
    }
    push("restart", { node: next.uname }, "Restart", next.uname, unrunnable(start) || unrunnable(stop));
    return out;
  }
  const stopAny = current ? find(set, p, "stop", current) : undefined;
  if (stopAny && (nextRole === "Stopped" || !next || (start && !start.runnable))) {
    for (const n of p.runningOn) {
      const s = find(set, p, "stop", n);
      const role = curRole === "Promoted" ? "Promoted " : "";
      push("stop", { node: n.uname }, "Stop", `${role}${n.uname}`, !s || !s.runnable);
    }
    return out;
  }
  if (stopAny && p.failed && !stopAny.optional && current) {
    if (moving && next)
      push(
        "recover",
        { from: current.uname, to: next.uname },
        "Recover",
        `${current.uname} -> ${next.uname}`,
        unrunnable(stopAny),
      );
    else push("recover", { node: current.uname }, "Recover", current.uname, unrunnable(stopAny));
    return out;
  }
  if (
    !moving &&
    current &&
    next &&
    stopAny &&
    !stopAny.optional &&
    start &&
    !start.optional &&
    start.runnable
  ) {
    push(
      "restart",
      { node: next.uname },
      "Restart",
      `${roleName(p, curRole)} -> ${roleName(p, nextRole)} ${next.uname}`,
      unrunnable(stopAny),
    );
    return out;
  }
  if (moving && current && next) {
    push(
      "move",
      { from: current.uname, to: next.uname },
      "Move",
      `${roleName(p, curRole)} ${current.uname} -> ${roleName(p, nextRole)} ${next.uname}`,
      unrunnable(stopAny) || unrunnable(start),
    );
    return out;
  }
  if (start && !start.optional && next) {
    if (nextRole === "Promoted" && promote) {
      push(
        "promote",
        { node: next.uname },
        "Promote",
        `${roleName(p, curRole)} -> Promoted ${next.uname}`,
        unrunnable(start) || unrunnable(promote),
      );
    } else push("start", { node: next.uname }, "Start", next.uname, unrunnable(start));
    return out;
  }
  if (promote && !promote.optional && next) {
    push(
      "promote",
      { node: next.uname },
      "Promote",
      `${roleName(p, curRole)} -> Promoted ${next.uname}`,
      unrunnable(promote),
    );
    return out;
  }
  if (demote && !demote.optional && current) {
    push(
      "demote",
      { node: current.uname },
      "Demote",
      `Promoted -> ${roleName(p, nextRole)} ${current.uname}`,
      unrunnable(demote),
    );
  }
  return out;
}

/** Where each primitive is, and in which role, once the runnable actions have run. */
export function placementOf(set: ActionSet, p: Rsc): PlacementEntry[] {
  const out: PlacementEntry[] = [];
  const promotable = isPromotable(p);
  const baseRole = (r: Role): PlacementEntry["role"] =>
    r === "Promoted" ? "Promoted" : promotable ? "Unpromoted" : "Started";
  const placed = new Set<string>();
  for (const n of p.runningOn) {
    const stop = set.get(p, "stop", n);
    const stopsHere = !!stop && !stop.optional && stop.runnable;
    if (stopsHere) continue;
    const failedHere = p.failedOn.has(n.id) || (p.failed && p.runningOn.length === 1);
    const stuck = !p.managed || (stop && !stop.optional && !stop.runnable);
    if (failedHere && (stuck || !p.managed)) {
      out.push({ resource: p.id, role: "Failed", node: n.uname });
      placed.add(n.id);
      continue;
    }
    let role = baseRole(p.role);
    const demote = set.get(p, "demote", n);
    if (demote && !demote.optional && demote.runnable) role = baseRole("Unpromoted");
    const promote = set.get(p, "promote", n);
    if (promote && !promote.optional && promote.runnable && p.allocatedTo === n) role = "Promoted";
    out.push({ resource: p.id, role, node: n.uname });
    placed.add(n.id);
  }
  const next = p.allocatedTo;
  if (next && p.nextRole !== "Stopped" && !placed.has(next.id)) {
    const start = set.get(p, "start", next);
    if (start && start.runnable && (!start.optional || p.runningOn.includes(next))) {
      const promote = set.get(p, "promote", next);
      const role = promote && promote.runnable ? "Promoted" : baseRole("Started");
      out.push({ resource: p.id, role, node: next.uname });
    }
  }
  return out;
}

export function summarize(
  ws: WorkingSet,
  set: ActionSet,
): { actions: SummaryAction[]; placement: PlacementEntry[] } {
  const actions: SummaryAction[] = [];
  const placement: PlacementEntry[] = [];
  for (const p of ws.primitives) {
    if (set.unplaced.has(p)) continue;
    actions.push(...summarizePrimitive(set, p));
    placement.push(...placementOf(set, p));
  }
  return { actions, placement };
}
