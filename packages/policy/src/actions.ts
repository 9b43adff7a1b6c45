import type { PNode, Rsc, WorkingSet } from "./model.js";
import { allPrimitives } from "./unpack-resources.js";
import { canHost } from "./unpack-nodes.js";
import { isTrue } from "./scores.js";

export const F_IMPLIES_THEN = 1;
export const F_IMPLIES_FIRST = 2;
export const F_RUNNABLE_LEFT = 4;
export const F_RESTART = 8;
export const F_ASYMMETRIC = 16;

export interface Action {
  id: number;
  rsc: Rsc | undefined;
  task: string;
  node: PNode | undefined;
  intervalMs: number;
  timeoutMs: number;
  optional: boolean;
  runnable: boolean;
  pseudo: boolean;
  /** Runnable when any (not all) of its runnable-left inputs is runnable... */
  requireAny: boolean;
  /** ...or, with requireAny, at least this many of them (a clone's clone-min). */
  anyMin: number;
  /** The start or stop of a live migration: it does not force other resources to restart. */
  migrating: boolean;
  /** Parameters the action carries besides the resource's (clone notifications' CRM_meta_notify_*). */
  params?: Map<string, string>;
  reason: string;
  /** Fencing actions: reboot, off, or on (unfencing). */
  fenceAction?: string;
  inEdges: Ordering[];
  outEdges: Ordering[];
}

export interface Ordering {
  first: Action;
  then: Action;
  flags: number;
  source: string;
}

/** All actions of one scheduler run, indexed by resource, task and node. */
export class ActionSet {
  readonly list: Action[] = [];
  /** Clone instances left without a compatible interleaved peer: not scheduled at all. */
  readonly unplaced = new Set<Rsc>();
  private readonly byKey = new Map<string, Action>();
  private readonly byRsc = new Map<Rsc, Action[]>();

  key(rsc: Rsc | undefined, task: string, node: PNode | undefined, intervalMs = 0): string {
    return `${rsc?.id ?? ""}\u0000${task}\u0000${node?.id ?? ""}\u0000${intervalMs}`;
  }

  get(rsc: Rsc | undefined, task: string, node: PNode | undefined, intervalMs = 0): Action | undefined {
    return this.byKey.get(this.key(rsc, task, node, intervalMs));
  }

  create(
    rsc: Rsc | undefined,
    task: string,
    node: PNode | undefined,
    opts: {
      optional: boolean;
      pseudo?: boolean;
      intervalMs?: number;
      timeoutMs?: number;
      runnable?: boolean;
      requireAny?: boolean;
      anyMin?: number;
      /** Tells apart several actions of one task on one node (clone notifications). */
      tag?: string;
    },
  ): Action {
    const k = this.key(rsc, task, node, opts.intervalMs ?? 0) + (opts.tag ? `\u0000${opts.tag}` : "");
    const existing = this.byKey.get(k);
    if (existing) {
      if (!opts.optional) existing.optional = false;
      return existing;
    }
    const a: Action = {
      id: this.list.length,
      rsc,
      task,
      node,
      intervalMs: opts.intervalMs ?? 0,
      timeoutMs: opts.timeoutMs ?? 20_000,
      optional: opts.optional,
      runnable: opts.runnable ?? true,
      pseudo: opts.pseudo ?? false,
      requireAny: opts.requireAny ?? false,
      anyMin: opts.anyMin ?? 1,
      migrating: false,
      reason: "",
      inEdges: [],
      outEdges: [],
    };
    this.list.push(a);
    this.byKey.set(k, a);
    if (rsc) {
      const l = this.byRsc.get(rsc) ?? [];
      l.push(a);
      this.byRsc.set(rsc, l);
    }
    return a;
  }

  ofRsc(rsc: Rsc, task?: string): Action[] {
    const l = this.byRsc.get(rsc) ?? [];
    return task === undefined ? l : l.filter((a) => a.task === task);
  }

  /** Remove one ordering. */
  unorder(o: Ordering): void {
    o.first.outEdges.splice(o.first.outEdges.indexOf(o), 1);
    o.then.inEdges.splice(o.then.inEdges.indexOf(o), 1);
  }

  order(first: Action, then: Action, flags: number, source: string): void {
    if (first === then) return;
    const o: Ordering = { first, then, flags, source };
    first.outEdges.push(o);
    then.inEdges.push(o);
  }
}

export function isPromotable(r: Rsc): boolean {
  let p: Rsc | undefined = r;
  while (p) {
    if (p.kind === "clone") return p.promotable;
    p = p.parent;
  }
  return false;
}

function opTimeout(p: Rsc, task: string): number {
  const def = p.ops.find((o) => o.name === task && o.intervalMs === 0);
  return def?.timeoutMs ?? 20_000;
}

/** Stop/start/promote/demote actions of one primitive, plus its internal orderings. */
export function createPrimitiveActions(ws: WorkingSet, set: ActionSet, p: Rsc): void {
  const next = p.allocatedTo;
  const nextRole = p.nextRole;
  const active = nextRole !== "Stopped" && next !== undefined;
  const stops: Action[] = [];
  const demotes: Action[] = [];
  for (const c of p.runningOn) {
    const moving = !active || next !== c;
    const failedHere = p.failedOn.has(c.id);
    const needStop = moving || failedHere || (p.failed && next === c) || p.changedOn.has(c.id);
    const stop = set.create(p, "stop", c, { optional: !needStop, timeoutMs: opTimeout(p, "stop") });
    if (!p.managed) {
      stop.runnable = false;
      stop.reason = "unmanaged";
    } else if (p.blocked) {
      stop.runnable = false;
      stop.reason = "blocked";
    } else if (!c.online && !c.unclean) {
      stop.pseudo = true;
    }
    stops.push(stop);
    if (p.role === "Promoted") {
      const needDemote = needStop || nextRole !== "Promoted";
      const demote = set.create(p, "demote", c, { optional: !needDemote, timeoutMs: opTimeout(p, "demote") });
      if (!p.managed || p.blocked) demote.runnable = false;
      else if (!c.online && !c.unclean) demote.pseudo = true;
      set.order(demote, stop, F_IMPLIES_FIRST, "demote before stop");
      demotes.push(demote);
    }
  }
  const cleanups: Action[] = [];
  for (const n of p.danglingOn) {
    // The source of a completed migration: cleaned up with a stop, the resource stays where it is.
    if (!n.online || n.unclean) continue;
    const stop = set.create(p, "stop", n, { optional: false, timeoutMs: opTimeout(p, "stop") });
    stop.migrating = true;
    if (!p.managed) stop.runnable = false;
    cleanups.push(stop);
  }
  if (!active || !next) return;
  const staying = p.runningOn.includes(next) && !p.failed && !p.changedOn.has(next.id);
  const start = set.create(p, "start", next, { optional: staying, timeoutMs: opTimeout(p, "start") });
  // An unmanaged resource left where it runs is simply up: what follows it may still start.
  if (!p.managed && !staying) {
    start.runnable = false;
    start.reason = "unmanaged";
  } else if (!canHost(next)) start.runnable = false;
  // A move never overlaps old and new instance: when the stop elsewhere cannot run, neither can the start.
  for (const stop of stops) {
    const elsewhere = stop.node !== next ? F_RUNNABLE_LEFT : 0;
    // A second copy on a node to be fenced goes with the fencing: the copy that stays is not restarted.
    const implies = staying && stop.node?.unclean ? 0 : F_IMPLIES_THEN;
    set.order(stop, start, implies | F_RESTART | elsewhere, "stop before start");
  }
  // Only reloadable parameters changed: the agent reloads them in place (settleReloads drops it for a restart).
  if (staying && p.reloadOn.has(next.id) && p.managed) {
    set.create(p, "reload-agent", next, { optional: false, timeoutMs: opTimeout(p, "reload-agent") });
  }
  // A start (a recovery) never runs while the source of a migration still has to be cleaned up.
  for (const stop of cleanups) set.order(stop, start, 0, "migration cleanup before start");
  if (stops.length === 1 && canMigrate(p)) createMigration(set, p, stops[0]!, start);
  if (nextRole === "Promoted") {
    const wasPromoted = p.role === "Promoted" && staying;
    const promote = set.create(p, "promote", next, {
      optional: wasPromoted,
      timeoutMs: opTimeout(p, "promote"),
    });
    if (!p.managed) promote.runnable = false;
    set.order(start, promote, F_IMPLIES_THEN | F_RUNNABLE_LEFT, "start before promote");
    for (const d of demotes) set.order(d, promote, 0, "demote before promote");
  }
  void ws;
}

/**
 * Whether a move of `p` is a live migration: `allow-migrate`, a healthy
 * primitive (not failed, blocked, unmanaged or orphaned) active on exactly
 * one online node and placed on another one, outside clones (promotable
 * ones included). A changed definition does not prevent it: the resource
 * stops and starts anyway.
 */
export function canMigrate(p: Rsc): boolean {
  if (!isTrue(p.meta.get("allow-migrate"))) return false;
  if (!p.managed || p.blocked || p.failed || p.orphan || isPromotable(p)) return false;
  if (p.parent?.kind === "clone" || p.parent?.parent?.kind === "clone") return false;
  const current = p.runningOn.length === 1 ? p.runningOn[0] : undefined;
  const next = p.allocatedTo;
  if (!current || !next || current === next || p.nextRole === "Stopped") return false;
  return current.online && !current.unclean && canHost(next);
}

/**
 * migrate_to on the current node, migrate_from on the next one, then the
 * stop on the current node; the start on the next node becomes a pseudo
 * action that only marks the resource as started there.
 */
function createMigration(set: ActionSet, p: Rsc, stop: Action, start: Action): void {
  const from = set.create(p, "migrate_from", start.node, {
    optional: false,
    timeoutMs: opTimeout(p, "migrate_from"),
  });
  // A half-done migration to this node already ran its migrate_to.
  if (p.partialTarget !== start.node) {
    const to = set.create(p, "migrate_to", stop.node, {
      optional: false,
      timeoutMs: opTimeout(p, "migrate_to"),
    });
    set.order(to, from, F_RUNNABLE_LEFT, "migrate_to before migrate_from");
  }
  set.order(from, stop, 0, "migrate_from before stop");
  start.pseudo = true;
  start.migrating = true;
  stop.migrating = true;
}

/** A migration's first action (migrate_to, or migrate_from when it is completed), last one and start. */
function migrationOf(set: ActionSet, p: Rsc): { to: Action; from: Action; start: Action } | undefined {
  const from = set.ofRsc(p, "migrate_from")[0];
  const to = set.ofRsc(p, "migrate_to")[0] ?? from;
  const start = set.ofRsc(p, "start").find((s) => s.migrating);
  return to && from && start ? { to, from, start } : undefined;
}

function isAncestor(r: Rsc | undefined, p: Rsc): boolean {
  for (let q = p.parent; q; q = q.parent) if (q === r) return true;
  return false;
}

/**
 * What must happen before a migrating resource's start or stop must happen
 * before its migrate_to (the migration replaces both): another migrating
 * resource's start counts as its migrate_from, and other migrating stops
 * (which follow their own migrations) and the resource's own group or clone
 * pseudo actions are left out. Nothing of another resource waits for the
 * migrated resource's stop. Run once every ordering exists.
 */
export function orderMigrations(set: ActionSet): void {
  for (const a of set.list) {
    if (a.task !== "migrate_from" || !a.rsc) continue;
    const p = a.rsc;
    const m = migrationOf(set, p);
    if (!m) continue;
    const to = m.to;
    for (const o of [...m.start.inEdges]) {
      const f = o.first;
      if (f.rsc === p || isAncestor(f.rsc, p)) continue;
      if (f.migrating && f.rsc) {
        const other = migrationOf(set, f.rsc);
        if (other) set.order(other.from, to, 0, `${o.source} (migration)`);
        continue;
      }
      set.order(f, to, o.flags & F_RUNNABLE_LEFT, `${o.source} (migration)`);
    }
    for (const stop of set.ofRsc(p, "stop")) {
      if (!stop.migrating) continue;
      for (const o of [...stop.inEdges]) {
        if (o.first.rsc === p || o.first.migrating) continue;
        set.order(o.first, to, 0, `${o.source} (migration)`);
      }
      // Other resources need not wait for a migrated resource to stop: it keeps running elsewhere.
      for (const o of [...stop.outEdges]) {
        if (o.then.rsc === p || o.then.migrating || isAncestor(o.then.rsc, p)) continue;
        set.unorder(o);
      }
    }
  }
}

/** A real (not migrating) start of another resource, which also stops, that the start of `p` waits for. */
function startsFirst(set: ActionSet, start: Action): Action | undefined {
  const seen = new Set<Action>();
  const stack = start.inEdges.filter((o) => o.flags & (F_IMPLIES_THEN | F_RUNNABLE_LEFT)).map((o) => o.first);
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f) || f.rsc === start.rsc) continue;
    seen.add(f);
    if (f.pseudo || !f.node) {
      if (f.runnable && !f.optional)
        for (const o of f.inEdges) if (o.flags & (F_IMPLIES_THEN | F_RUNNABLE_LEFT)) stack.push(o.first);
      continue;
    }
    // Only a resource that stops and starts again (moves or restarts) holds the migration up; a fresh start does not.
    const restarts = !!f.rsc && set.ofRsc(f.rsc, "stop").some((s) => !s.optional && s.runnable);
    if (f.task === "start" && !f.optional && f.runnable && !f.migrating && restarts) return f;
  }
  return undefined;
}

/**
 * Migrations that cannot happen after all: the start cannot run, or it
 * waits for another resource's real start (which only a stop and start
 * can follow). The resource then moves with a stop and a start. Returns
 * whether any was undone (orderings must then be propagated again).
 */
export function settleMigrations(set: ActionSet): boolean {
  let changed = false;
  for (const a of set.list) {
    if (a.task !== "migrate_from" || !a.rsc || !a.runnable) continue;
    const m = migrationOf(set, a.rsc);
    if (!m) continue;
    if (m.start.runnable && !startsFirst(set, m.start)) continue;
    m.to.runnable = false;
    m.from.runnable = false;
    m.start.pseudo = false;
    m.start.migrating = false;
    for (const s of set.ofRsc(a.rsc, "stop")) s.migrating = false;
    changed = true;
  }
  return changed;
}

/** A reload is moot where the resource restarts anyway (its start is required). */
export function settleReloads(set: ActionSet): void {
  for (const a of set.list) {
    if (a.task !== "reload-agent" || !a.rsc) continue;
    const start = set.get(a.rsc, "start", a.node);
    if (!start || !start.optional || !start.runnable) a.optional = true;
  }
}

/** Pseudo actions of a group or clone and the orderings tying them to their children. */
export function createCollectiveActions(set: ActionSet, r: Rsc): void {
  const isClone = r.kind === "clone";
  const start = set.create(r, "start", undefined, { optional: true, pseudo: true });
  const running = set.create(r, "running", undefined, { optional: true, pseudo: true, requireAny: isClone });
  const stop = set.create(r, "stop", undefined, { optional: true, pseudo: true });
  const stopped = set.create(r, "stopped", undefined, { optional: true, pseudo: true });
  set.order(start, running, 0, `${r.id} internal`);
  set.order(stop, stopped, 0, `${r.id} internal`);
  set.order(stopped, start, 0, `${r.id} internal`);
  for (const child of r.children) {
    const cs = childAction(set, child, "start", "start");
    const cr = childAction(set, child, "start", "running");
    const cst = childAction(set, child, "stop", "stop");
    const csd = childAction(set, child, "stop", "stopped");
    set.order(start, cs, F_IMPLIES_THEN | F_RUNNABLE_LEFT, `${r.id} start`);
    set.order(cr, running, F_IMPLIES_THEN | F_RUNNABLE_LEFT, `${r.id} running`);
    set.order(stop, cst, F_IMPLIES_FIRST, `${r.id} stop`);
    set.order(csd, stopped, F_IMPLIES_FIRST, `${r.id} stopped`);
  }
  if (isClone && r.promotable) {
    const promote = set.create(r, "promote", undefined, { optional: true, pseudo: true });
    const promoted = set.create(r, "promoted", undefined, { optional: true, pseudo: true, requireAny: true });
    const demote = set.create(r, "demote", undefined, { optional: true, pseudo: true });
    const demoted = set.create(r, "demoted", undefined, { optional: true, pseudo: true });
    set.order(running, promote, F_RUNNABLE_LEFT, `${r.id} internal`);
    set.order(promote, promoted, 0, `${r.id} internal`);
    set.order(demote, demoted, 0, `${r.id} internal`);
    set.order(demoted, stop, 0, `${r.id} internal`);
    for (const child of r.children) {
      for (const p of allPrimitives(child)) {
        for (const a of set.ofRsc(p, "promote")) {
          set.order(promote, a, F_IMPLIES_THEN | F_RUNNABLE_LEFT, `${r.id} promote`);
          set.order(a, promoted, F_IMPLIES_THEN | F_RUNNABLE_LEFT, `${r.id} promoted`);
        }
        for (const a of set.ofRsc(p, "demote")) {
          set.order(demote, a, F_IMPLIES_FIRST, `${r.id} demote`);
          set.order(a, demoted, F_IMPLIES_FIRST, `${r.id} demoted`);
        }
      }
    }
    if (
      !r.children.some((c) =>
        allPrimitives(c).some(
          (p) => set.ofRsc(p, "promote").length > 0 || (p.role === "Promoted" && p.nextRole === "Promoted"),
        ),
      )
    ) {
      promoted.runnable = r.children.some((c) => allPrimitives(c).some((p) => p.nextRole === "Promoted"));
    }
  }
}

/**
 * The action of a child that an ordering on its parent touches: for "start"
 * and "stop" the child's own action on its next/current node (primitives)
 * or its pseudo action (groups). A placeholder that never runs stands in
 * when the child has no such action.
 */
export function childAction(set: ActionSet, child: Rsc, task: string, phase: string): Action {
  if (child.kind !== "primitive") {
    const t = phase === "running" ? "running" : phase === "stopped" ? "stopped" : task;
    const existing = set.get(child, t, undefined);
    if (existing) return existing;
    return set.create(child, t, undefined, { optional: true, pseudo: true });
  }
  const node = task === "start" || task === "promote" ? child.allocatedTo : undefined;
  if (node) {
    const a = set.get(child, task, node);
    if (a) return a;
  } else {
    const list = set.ofRsc(child, task).filter((a) => a.node);
    if (list.length === 1) return list[0]!;
    if (list.length > 1) {
      const hub = set.create(child, `${task}-all`, undefined, { optional: true, pseudo: true });
      for (const a of list) set.order(a, hub, F_IMPLIES_FIRST, "all stops");
      return hub;
    }
  }
  const placeholder =
    set.get(child, task, undefined) ??
    set.create(child, task, undefined, {
      optional: true,
      pseudo: true,
      runnable: !(task === "start" || task === "promote"),
    });
  return placeholder;
}
