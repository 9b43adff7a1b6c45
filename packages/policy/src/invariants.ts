import { AssertionError } from "@hacrm/common";
import { assertAcyclic, type GraphAction, type TransitionGraph } from "./graph.js";
import type { WorkingSet } from "./model.js";
import { canHost } from "./unpack-nodes.js";

/**
 * What must hold of any transition, whatever the configuration:
 *
 * 1. the graph is acyclic;
 * 2. a primitive (and each clone instance, one copy of its clone) is active
 *    on at most one node once the transition has run: a start anywhere leaves
 *    it on that node only;
 * 3. nothing is started or promoted on a node that cannot host it (offline,
 *    unclean, standby, shutting down, in maintenance, pending) or where its
 *    score is -INFINITY;
 * 4. every stop of a resource comes before every start of it (a move or a
 *    restart never overlaps old and new instance), migrations aside;
 * 5. with fencing enabled, nothing that was active on an unclean node starts
 *    or is promoted elsewhere before that node's fence;
 * 6. every action of a primitive names its node (pseudo ones included): an
 *    action on no node stands for nothing and orders nothing.
 *
 * `schedule()` asserts these on every graph it returns; a violation is an
 * engine bug, never a configuration error.
 */
export function checkTransition(ws: WorkingSet, graph: TransitionGraph): string[] {
  const violations: string[] = [];
  const actions = graph.actions;
  const byId = new Map(actions.map((a) => [a.id, a]));
  const byRsc = new Map<string, GraphAction[]>();
  for (const a of actions) {
    if (a.resource !== undefined && a.node === undefined && ws.rscById.get(a.resource)?.kind === "primitive")
      violations.push(`${a.task} of ${a.resource} on no node`);
    // Pseudo actions with a node count: a stop on a node that is down is implied, not executed.
    if (a.resource === undefined || a.node === undefined) continue;
    const l = byRsc.get(a.resource) ?? [];
    l.push(a);
    byRsc.set(a.resource, l);
  }
  const isAncestor = ancestry(byId);

  for (const [rid, list] of byRsc) {
    const rsc = ws.rscById.get(rid);
    if (!rsc || rsc.kind !== "primitive") continue;
    const starts = list.filter((a) => a.task === "start");
    const stops = list.filter((a) => a.task === "stop");

    const after = new Set(rsc.runningOn.map((n) => n.uname));
    for (const s of stops) after.delete(s.node!);
    for (const s of starts) after.add(s.node!);
    if (starts.length > 0 && after.size > 1)
      violations.push(`${rid} would be active on ${[...after].sort().join(", ")} after the transition`);

    for (const a of list) {
      if (a.pseudo || (a.task !== "start" && a.task !== "promote" && a.task !== "migrate_from")) continue;
      const node = ws.nodesByName.get(a.node!);
      if (!node || !canHost(node)) {
        violations.push(`${a.task} of ${rid} on ${a.node}, which cannot host resources`);
        continue;
      }
      const score = rsc.allowed.get(node.id)?.score;
      if (a.task === "start" && score !== undefined && score <= -1_000_000)
        violations.push(`start of ${rid} on ${a.node}, where its score is -INFINITY`);
    }

    const migrated = new Set(list.filter((a) => a.task === "migrate_from").map((a) => a.node));
    for (const start of starts) {
      if (migrated.has(start.node)) continue;
      for (const stop of stops)
        if (!isAncestor(stop.id, start.id))
          violations.push(`start of ${rid} on ${start.node} does not wait for its stop on ${stop.node}`);
    }

    if (ws.options.stonithEnabled) {
      for (const u of rsc.runningOn) {
        if (!u.unclean) continue;
        const fences = actions.filter((f) => f.task === "fence" && f.node === u.uname);
        for (const a of list) {
          if (a.node === u.uname) continue;
          if (a.task !== "start" && a.task !== "promote" && a.task !== "migrate_from") continue;
          if (!fences.some((f) => isAncestor(f.id, a.id)))
            violations.push(`${a.task} of ${rid} on ${a.node} before unclean ${u.uname} is fenced`);
        }
      }
    }
  }
  return violations;
}

/** Throw an AssertionError naming every violation of the transition invariants. */
export function assertTransition(ws: WorkingSet, graph: TransitionGraph): void {
  assertAcyclic(graph.actions);
  const v = checkTransition(ws, graph);
  if (v.length > 0) throw new AssertionError(`transition violates its invariants: ${v.join("; ")}`);
}

/** `isAncestor(a, b)`: must `a` complete before `b` (transitively through inputs)? Memoised per target. */
function ancestry(byId: Map<number, GraphAction>): (a: number, b: number) => boolean {
  const memo = new Map<number, Set<number>>();
  return (a, b) => {
    let seen = memo.get(b);
    if (!seen) {
      seen = new Set<number>();
      const stack = [...(byId.get(b)?.inputs ?? [])];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (seen.has(x)) continue;
        seen.add(x);
        for (const i of byId.get(x)?.inputs ?? []) stack.push(i);
      }
      memo.set(b, seen);
    }
    return seen.has(a);
  };
}
