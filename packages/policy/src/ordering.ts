import type { OrderConstraint, Rsc, WorkingSet } from "./model.js";
import { allPrimitives } from "./unpack-resources.js";
import {
  childAction,
  F_ASYMMETRIC,
  F_IMPLIES_FIRST,
  F_IMPLIES_THEN,
  F_RESTART,
  F_RUNNABLE_LEFT,
  type Action,
  type ActionSet,
} from "./actions.js";

const INVERSE: Record<string, string> = {
  start: "stop",
  stop: "start",
  promote: "demote",
  demote: "promote",
};
const COMPLETION: Record<string, string> = {
  start: "running",
  stop: "stopped",
  promote: "promoted",
  demote: "demoted",
};

/** Actions an ordering's "first" side waits for. */
function firstEndpoint(set: ActionSet, rsc: Rsc, task: string): Action {
  if (rsc.kind === "primitive") return childAction(set, rsc, task, task);
  const t = COMPLETION[task] ?? task;
  return set.get(rsc, t, undefined) ?? set.create(rsc, t, undefined, { optional: true, pseudo: true });
}

/** Action an ordering's "then" side starts from. */
function thenEndpoint(set: ActionSet, rsc: Rsc, task: string): Action {
  if (rsc.kind === "primitive") return childAction(set, rsc, task, task);
  return set.get(rsc, task, undefined) ?? set.create(rsc, task, undefined, { optional: true, pseudo: true });
}

function link(
  set: ActionSet,
  first: Rsc,
  fTask: string,
  then: Rsc,
  tTask: string,
  flags: number,
  source: string,
  requireAll = true,
): void {
  const interleaved = tTask === "stop" || tTask === "demote" ? first.interleave : then.interleave;
  if (first.kind === "clone" && then.kind === "clone" && interleaved && requireAll) {
    interleave(set, first, fTask, then, tTask, flags, source);
    return;
  }
  const thenAction = thenEndpoint(set, then, tTask);
  if (first.kind === "clone" && then.kind !== "clone" && flags & F_IMPLIES_THEN) {
    // A clone "implies" its dependents only through its instances on the dependent's own node.
    set.order(firstEndpoint(set, first, fTask), thenAction, flags & ~F_IMPLIES_THEN, source);
    const node = thenAction.node ?? (then.kind === "group" ? then.children[0]?.allocatedTo : undefined);
    if (!node) return;
    for (const inst of first.children) {
      for (const p of inst.kind === "group" ? inst.children : [inst]) {
        const a = set.get(p, fTask, node);
        if (a)
          set.order(a, thenAction, F_IMPLIES_THEN | (flags & F_ASYMMETRIC), `${source} (on ${node.uname})`);
      }
    }
    return;
  }
  const firstAction = firstEndpoint(set, first, fTask);
  if (then.kind === "clone" && first.kind !== "clone" && flags & F_IMPLIES_FIRST) {
    // Likewise, only the clone's instances on the first resource's node force it to act.
    set.order(firstAction, thenAction, flags & ~F_IMPLIES_FIRST, source);
    const node = firstAction.node ?? (first.kind === "group" ? first.children[0]?.runningOn[0] : undefined);
    if (!node) return;
    for (const inst of then.children) {
      for (const p of inst.kind === "group" ? inst.children : [inst]) {
        const a = set.get(p, tTask, node);
        if (a) set.order(firstAction, a, F_IMPLIES_FIRST, `${source} (on ${node.uname})`);
      }
    }
    return;
  }
  set.order(firstAction, thenAction, flags, source);
}

function instNode(inst: Rsc, task: string): string | undefined {
  const prims = inst.kind === "group" ? inst.children : [inst];
  const p = prims[0];
  if (!p) return undefined;
  if (task === "start" || task === "promote") return p.allocatedTo?.id;
  return p.runningOn[0]?.id ?? p.allocatedTo?.id;
}

/** A clone instance left without a compatible interleaved peer (all its primitives unplaced). */
function isUnplaced(set: ActionSet, inst: Rsc): boolean {
  const prims = inst.kind === "group" ? inst.children : [inst];
  return prims.length > 0 && prims.every((p) => set.unplaced.has(p));
}

/**
 * Interleaved instances that will not run because the clone they are
 * ordered after has no instance on their node: an instance left so counts
 * as absent for what is ordered after it in turn, whatever order the
 * constraints come in (repeated until nothing changes).
 */
function unplaceInterleaved(ws: WorkingSet, set: ActionSet): void {
  const orders = ws.orders.filter(
    (o) =>
      o.kind === "Mandatory" &&
      o.symmetrical &&
      o.requireAll &&
      o.anyOf === undefined &&
      o.first.kind === "clone" &&
      o.first.cloneMin === 0 &&
      o.then.kind === "clone" &&
      o.then.interleave &&
      (o.firstAction === "start" || o.firstAction === "promote"),
  );
  for (let changed = true; changed;) {
    changed = false;
    for (const o of orders) {
      for (const t of o.then.children) {
        const node = instNode(t, o.thenAction);
        if (node === undefined || isUnplaced(set, t)) continue;
        if (o.first.children.some((i) => instNode(i, o.firstAction) === node && !isUnplaced(set, i)))
          continue;
        for (const p of t.kind === "group" ? t.children : [t]) {
          if (p.runningOn.length > 0 || set.unplaced.has(p)) continue;
          set.unplaced.add(p);
          changed = true;
        }
      }
    }
  }
}

function interleave(
  set: ActionSet,
  first: Rsc,
  fTask: string,
  then: Rsc,
  tTask: string,
  flags: number,
  source: string,
): void {
  for (const t of then.children) {
    const node = instNode(t, tTask);
    if (node === undefined) continue;
    const f = first.children.find((i) => instNode(i, fTask) === node && !isUnplaced(set, i));
    const thenA = childAction(set, t, tTask, tTask);
    if (!f) {
      if (flags & F_RUNNABLE_LEFT) {
        for (const p of t.kind === "group" ? t.children : [t])
          if (p.runningOn.length === 0) set.unplaced.add(p);
        const blocker = set.create(first, `${fTask}-none-on-${node}`, undefined, {
          optional: true,
          pseudo: true,
          runnable: false,
        });
        set.order(blocker, thenA, flags, source);
      }
      continue;
    }
    set.order(childAction(set, f, fTask, COMPLETION[fTask] ?? fTask), thenA, flags, source);
  }
}

/** Orderings implied by order constraints. */
export function applyOrderConstraint(set: ActionSet, o: OrderConstraint): void {
  const fTask = o.firstAction;
  const tTask = o.thenAction;
  if (o.kind !== "Mandatory") {
    const restartType = o.kind === "Optional" && o.then.meta.get("restart-type") === "restart";
    link(set, o.first, fTask, o.then, tTask, restartType ? F_IMPLIES_THEN : 0, `order ${o.id}`);
    // restart-type=restart: any member of a group or clone doing it makes the then side do it too.
    if (restartType && o.first.kind !== "primitive") {
      const then = thenEndpoint(set, o.then, tTask);
      for (const p of allPrimitives(o.first))
        for (const a of set.ofRsc(p, fTask))
          if (a.node) set.order(a, then, F_IMPLIES_THEN, `order ${o.id} (restart-type)`);
    }
    if (o.symmetrical && INVERSE[fTask] && INVERSE[tTask])
      link(set, o.then, INVERSE[tTask]!, o.first, INVERSE[fTask]!, 0, `order ${o.id} (inverse)`);
    return;
  }
  if (!o.symmetrical) {
    let flags = F_ASYMMETRIC;
    if (fTask === "start" || fTask === "promote") flags |= F_RUNNABLE_LEFT;
    link(set, o.first, fTask, o.then, tTask, flags | F_IMPLIES_THEN, `order ${o.id}`);
    return;
  }
  if (o.anyOf !== undefined && o.kind === "Mandatory") {
    anyOfOrder(set, o, o.anyOf);
    return;
  }
  if (o.first.kind === "clone" && o.first.cloneMin > 0) {
    cloneMinOrder(set, o);
    return;
  }
  if (!o.requireAll && o.first.kind === "clone") {
    link(set, o.first, fTask, o.then, tTask, F_RUNNABLE_LEFT, `order ${o.id} (require-all=false)`, false);
    if (INVERSE[fTask] && INVERSE[tTask])
      link(set, o.then, INVERSE[tTask]!, o.first, INVERSE[fTask]!, 0, `order ${o.id} (inverse)`, false);
    return;
  }
  let flags = F_IMPLIES_THEN;
  if (fTask === "start" || fTask === "promote") flags |= F_RUNNABLE_LEFT;
  link(set, o.first, fTask, o.then, tTask, flags, `order ${o.id}`, o.requireAll);
  if (INVERSE[fTask] && INVERSE[tTask])
    link(set, o.then, INVERSE[tTask]!, o.first, INVERSE[fTask]!, F_IMPLIES_FIRST, `order ${o.id} (inverse)`);
}

/**
 * An order whose first is a clone with clone-min: the then side may act once
 * at least clone-min instances will be active (their start runnable), all
 * instances counted alike, interleave or not. A new instance of the clone
 * does not restart the then side; the inverse order still holds.
 */
function cloneMinOrder(set: ActionSet, o: OrderConstraint): void {
  const fTask = o.firstAction;
  const tTask = o.thenAction;
  const source = `order ${o.id} (clone-min ${o.first.cloneMin})`;
  // Required: it stays in the graph (as a pseudo action) to carry the ordering.
  const gate = set.create(o.first, `${fTask}-clone-min:${o.id}`, undefined, {
    optional: false,
    pseudo: true,
    requireAny: true,
    anyMin: o.first.cloneMin,
  });
  for (const inst of o.first.children)
    set.order(childAction(set, inst, fTask, COMPLETION[fTask] ?? fTask), gate, F_RUNNABLE_LEFT, source);
  set.order(gate, thenEndpoint(set, o.then, tTask), F_RUNNABLE_LEFT, source);
  if (INVERSE[fTask] && INVERSE[tTask])
    link(set, o.then, INVERSE[tTask]!, o.first, INVERSE[fTask]!, 0, `order ${o.id} (inverse)`);
}

/**
 * One of the orders from a require-all=false resource set to a then
 * resource: the then side may act once any member of the set can (one
 * pseudo action per set and then resource gathers them); a member that
 * cannot run blocks nothing by itself, nor does one starting restart the
 * then side. The inverse order still holds.
 */
function anyOfOrder(set: ActionSet, o: OrderConstraint, key: string): void {
  const fTask = o.firstAction;
  const tTask = o.thenAction;
  const source = `order ${o.id} (require-all=false)`;
  const gate = set.create(o.then, `${tTask}-after-any-of:${key}`, undefined, {
    optional: false,
    pseudo: true,
    requireAny: true,
  });
  set.order(firstEndpoint(set, o.first, fTask), gate, F_RUNNABLE_LEFT, source);
  if (!gate.outEdges.length) set.order(gate, thenEndpoint(set, o.then, tTask), F_RUNNABLE_LEFT, source);
  if (o.symmetrical && INVERSE[fTask] && INVERSE[tTask])
    link(set, o.then, INVERSE[tTask]!, o.first, INVERSE[fTask]!, 0, `order ${o.id} (inverse)`);
}

/** Group members start in order and stop in reverse order. */
export function groupOrderings(set: ActionSet, g: Rsc): void {
  for (let i = 1; i < g.children.length; i++) {
    const a = g.children[i - 1]!;
    const b = g.children[i]!;
    link(set, a, "start", b, "start", F_IMPLIES_THEN | F_RUNNABLE_LEFT, `group ${g.id}`);
    link(set, b, "stop", a, "stop", F_IMPLIES_FIRST, `group ${g.id}`);
  }
}

function isStopLike(a: Action): boolean {
  return (a.task === "stop" || a.task === "demote") && a.node !== undefined;
}

/** Whether the action's resource already runs on the action's node (asymmetric orders leave it alone). */
function activeHere(a: Action): boolean {
  if (!a.rsc) return false;
  if (a.node) return a.rsc.runningOn.includes(a.node);
  return a.rsc.runningOn.length > 0 || a.rsc.children.some((c) => c.runningOn.length > 0);
}

/** Propagate "required" and "unrunnable" along orderings until nothing changes. */
export function propagate(set: ActionSet): void {
  const anyCount = new Map<Action, number>();
  for (const a of set.list) {
    if (!a.requireAny) continue;
    const rl = a.inEdges.filter((o) => o.flags & F_RUNNABLE_LEFT);
    // How many runnable-left inputs may still turn unrunnable before this action does.
    anyCount.set(a, rl.length - (a.anyMin - 1));
    if (a.anyMin > 1 && rl.length < a.anyMin) a.runnable = false;
  }
  const counted = new Set<unknown>();
  const queue: Action[] = [...set.list];
  const queued = new Set<Action>(queue);
  const touch = (a: Action): void => {
    if (!queued.has(a)) {
      queued.add(a);
      queue.push(a);
    }
  };
  const makeRequired = (a: Action): void => {
    if (a.optional) {
      a.optional = false;
      touch(a);
    }
  };
  const makeUnrunnable = (a: Action): void => {
    if (a.runnable) {
      a.runnable = false;
      touch(a);
    }
  };
  for (let head = 0; head < queue.length; head++) {
    const a = queue[head]!;
    queued.delete(a);
    for (const o of a.outEdges) {
      const t = o.then;
      // A live migration keeps the resource running: it does not restart what depends on it.
      const migration = a.migrating && t.rsc !== a.rsc;
      if (o.flags & F_IMPLIES_THEN && !a.optional && !(o.flags & F_ASYMMETRIC) && !migration) makeRequired(t);
      if (o.flags & F_RUNNABLE_LEFT && !a.runnable) {
        if (!(o.flags & F_ASYMMETRIC) || !activeHere(t)) {
          if (t.requireAny) {
            if (counted.has(o)) continue;
            counted.add(o);
            const n = (anyCount.get(t) ?? 1) - 1;
            anyCount.set(t, n);
            if (n <= 0) makeUnrunnable(t);
          } else makeUnrunnable(t);
        }
      }
      // A resource whose required stop cannot run cannot start again either.
      if (o.flags & F_RESTART && !a.runnable && !a.optional && a.task === "stop" && t.rsc === a.rsc)
        makeUnrunnable(t);
      if (o.flags & (F_IMPLIES_FIRST | F_IMPLIES_THEN) && !a.runnable && isStopLike(a) && isStopLike(t)) {
        makeUnrunnable(t);
      }
    }
    for (const o of a.inEdges) {
      const f = o.first;
      if (o.flags & F_IMPLIES_FIRST && !a.optional && !(a.migrating && f.rsc !== a.rsc)) makeRequired(f);
      if (o.flags & F_RESTART && (!a.optional || !a.runnable) && f.optional && f.rsc?.managed)
        makeRequired(f);
      if (
        o.flags & F_RUNNABLE_LEFT &&
        o.flags & F_ASYMMETRIC &&
        !f.runnable &&
        !activeHere(a) &&
        !a.requireAny
      )
        makeUnrunnable(a);
    }
  }
  void F_IMPLIES_FIRST;
}

export function orderAll(ws: WorkingSet, set: ActionSet): void {
  const visit = (r: Rsc): void => {
    if (r.kind === "group") groupOrderings(set, r);
    for (const c of r.children) visit(c);
  };
  for (const r of ws.resources) visit(r);
  unplaceInterleaved(ws, set);
  for (const o of ws.orders) applyOrderConstraint(set, o);
}
