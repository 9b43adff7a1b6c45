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
/** Everything the summary verbs look at for one primitive. */
interface Ctx {
  set: ActionSet;
  p: Rsc;
  current: PNode | undefined;
  next: PNode | undefined;
  moving: boolean;
  start: Action | undefined;
  stop: Action | undefined;
  stopAny: Action | undefined;
  promote: Action | undefined;
  demote: Action | undefined;
  curRole: Role;
  nextRole: Role;
  out: SummaryAction[];
}

const unrunnable = (a: Action | undefined): boolean => !!a && !a.runnable;

function push(
  c: Ctx,
  action: string,
  fields: Partial<SummaryAction>,
  verb: string,
  detail: string,
  blocked: boolean,
): void {
  c.out.push({
    action,
    resource: c.p.id,
    ...fields,
    ...(blocked ? { blocked: true } : {}),
    text: line(verb, c.p, detail, blocked),
  });
}

function pushStops(c: Ctx, withRole: boolean): void {
  for (const n of c.p.runningOn) {
    const s = find(c.set, c.p, "stop", n);
    const role = withRole && c.curRole === "Promoted" ? "Promoted " : "";
    push(c, "stop", { node: n.uname }, "Stop", `${role}${n.uname}`, !s || !s.runnable);
  }
}

/** Same role before and after: nothing, re-promote, stop, move, recover or restart. */
function sameRole(c: Ctx, next: PNode): void {
  const { start, current } = c;
  const reload = c.set.get(c.p, "reload-agent", next);
  if (reload && !reload.optional && (!start || start.optional))
    return push(c, "reload", { node: next.uname }, "Reload", next.uname, !reload.runnable);
  if (!start || start.optional) {
    if (c.demote && c.promote && !c.demote.optional && !c.promote.optional) {
      push(
        c,
        "re-promote",
        { node: next.uname },
        "Re-promote",
        `Promoted ${next.uname}`,
        unrunnable(c.promote),
      );
    }
    return;
  }
  if (!start.runnable) return pushStops(c, false);
  const migrateFrom = c.set.get(c.p, "migrate_from", next);
  if (c.moving && current && migrateFrom && migrateFrom.runnable) {
    const detail = `${current.uname} -> ${next.uname}`;
    return push(c, "migrate", { from: current.uname, to: next.uname }, "Migrate", detail, false);
  }
  if (c.moving && current) {
    const verb = c.p.failed ? "Recover" : "Move";
    const detail = `${current.uname} -> ${next.uname}`;
    return push(
      c,
      verb.toLowerCase(),
      { from: current.uname, to: next.uname },
      verb,
      detail,
      unrunnable(c.stop),
    );
  }
  const blocked = unrunnable(c.stop) || unrunnable(start);
  if (c.p.failed) return push(c, "recover", { node: next.uname }, "Recover", next.uname, blocked);
  push(c, "restart", { node: next.uname }, "Restart", next.uname, blocked);
}

/** The role changes: stop, recover, restart, move, start, promote or demote. */
function roleChange(c: Ctx): void {
  const { p, current, next, start, stopAny, promote, demote, moving } = c;
  const from = roleName(p, c.curRole);
  const to = roleName(p, c.nextRole);
  if (stopAny && (c.nextRole === "Stopped" || !next || (start && !start.runnable))) return pushStops(c, true);
  if (stopAny && p.failed && !stopAny.optional && current) {
    if (moving && next) {
      const detail = `${current.uname} -> ${next.uname}`;
      return push(
        c,
        "recover",
        { from: current.uname, to: next.uname },
        "Recover",
        detail,
        unrunnable(stopAny),
      );
    }
    return push(c, "recover", { node: current.uname }, "Recover", current.uname, unrunnable(stopAny));
  }
  const restart = !moving && stopAny && !stopAny.optional && start && !start.optional && start.runnable;
  if (restart && next) {
    return push(
      c,
      "restart",
      { node: next.uname },
      "Restart",
      `${from} -> ${to} ${next.uname}`,
      unrunnable(stopAny),
    );
  }
  if (moving && current && next) {
    const detail = `${from} ${current.uname} -> ${to} ${next.uname}`;
    const blocked = unrunnable(stopAny) || unrunnable(start);
    return push(c, "move", { from: current.uname, to: next.uname }, "Move", detail, blocked);
  }
  if (start && !start.optional && next) {
    if (c.nextRole === "Promoted" && promote) {
      const blocked = unrunnable(start) || unrunnable(promote);
      return push(
        c,
        "promote",
        { node: next.uname },
        "Promote",
        `${from} -> Promoted ${next.uname}`,
        blocked,
      );
    }
    return push(c, "start", { node: next.uname }, "Start", next.uname, unrunnable(start));
  }
  if (promote && !promote.optional && next) {
    return push(
      c,
      "promote",
      { node: next.uname },
      "Promote",
      `${from} -> Promoted ${next.uname}`,
      unrunnable(promote),
    );
  }
  if (demote && !demote.optional && current) {
    push(
      c,
      "demote",
      { node: current.uname },
      "Demote",
      `Promoted -> ${to} ${current.uname}`,
      unrunnable(demote),
    );
  }
}

/** The transition summary lines for one primitive (after propagation), as crm_simulate words them. */
export function summarizePrimitive(set: ActionSet, p: Rsc): SummaryAction[] {
  const next = p.allocatedTo && p.nextRole !== "Stopped" ? p.allocatedTo : undefined;
  // Failed while active on several nodes and staying on one of them: it is recovered there.
  const inPlace = p.failed && next && p.runningOn.length > 1 && p.runningOn.includes(next);
  const current = inPlace ? next : p.runningOn[0];
  if (!p.managed || (!current && !next)) return [];
  const start = find(set, p, "start", next);
  const startNode = start && start.runnable ? current : undefined;
  const c: Ctx = {
    set,
    p,
    current,
    next,
    moving: !!current && !!next && current !== next,
    start,
    stop: find(set, p, "stop", startNode ?? current),
    stopAny: find(set, p, "stop", current),
    promote: find(set, p, "promote", next),
    demote: find(set, p, "demote", current),
    curRole: p.role === "Started" && isPromotable(p) ? "Unpromoted" : p.role,
    nextRole: p.nextRole === "Started" && isPromotable(p) ? "Unpromoted" : p.nextRole,
    out: [],
  };
  if (c.curRole === c.nextRole && next) sameRole(c, next);
  else roleChange(c);
  return c.out;
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
    // An unmanaged resource that failed anywhere shows as failed wherever it is (the flag is the resource's).
    const failedHere = p.failedOn.has(n.id) || (p.failed && (p.runningOn.length === 1 || !p.managed));
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
  for (const a of set.list) {
    if (a.task !== "fence" || !a.node || a.optional || !a.runnable) continue;
    const verb = a.fenceAction === "on" ? "unfence" : "fence";
    actions.push({
      action: verb,
      node: a.node.uname,
      text: `Fence (${a.fenceAction ?? "reboot"}) ${a.node.uname} '${a.reason}'`,
    });
  }
  for (const p of ws.primitives) {
    if (set.unplaced.has(p)) continue;
    actions.push(...summarizePrimitive(set, p));
    placement.push(...placementOf(set, p));
  }
  return { actions, placement };
}
