import type { Action, ActionSet } from "./actions.js";
import type { WorkingSet } from "./model.js";

/**
 * A CIB with an order loop (`order o1 a b` + `order o2 b a`) is refused by
 * verify and at commit, but one can still reach the scheduler (an older
 * CIB, a Pacemaker CIB loaded as is). Pacemaker writes such a graph with a
 * cycle, which never completes. Here the required actions caught in a
 * cycle are made unrunnable (the summary shows them blocked) and the loop
 * is named in the working set's warnings, so the DC never crashes or hangs
 * on a CIB. Returns whether anything changed (propagate again then).
 */
export function blockOrderLoops(ws: WorkingSet, set: ActionSet): boolean {
  const live = (a: Action) => a.runnable && !a.optional;
  let changed = false;
  for (const comp of cycles(set.list.filter(live), live)) {
    const sources = new Set<string>();
    for (const a of comp)
      for (const o of a.outEdges) if (comp.includes(o.then) && o.source) sources.add(o.source);
    const names = [...sources].sort().join(", ");
    ws.warnings.push(`order loop (${names}): ${comp.map(label).join(", ")} blocked`);
    for (const a of comp) {
      a.runnable = false;
      a.reason = `order loop (${names})`;
    }
    changed = true;
  }
  return changed;
}

const label = (a: Action): string =>
  `${a.rsc?.id ?? ""} ${a.task}${a.node ? ` on ${a.node.uname}` : ""}`.trim();

/** The strongly connected components with a cycle (Tarjan, iterative). */
function cycles(nodes: Action[], live: (a: Action) => boolean): Action[][] {
  const index = new Map<Action, number>();
  const low = new Map<Action, number>();
  const onStack = new Set<Action>();
  const stack: Action[] = [];
  const out: Action[][] = [];
  let next = 0;
  const enter = (v: Action) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
  };
  for (const root of nodes) {
    if (index.has(root)) continue;
    enter(root);
    const work: { v: Action; i: number }[] = [{ v: root, i: 0 }];
    while (work.length > 0) {
      const top = work[work.length - 1] as { v: Action; i: number };
      if (top.i < top.v.outEdges.length) {
        const w = (top.v.outEdges[top.i++] as { then: Action }).then;
        if (!live(w)) continue;
        if (!index.has(w)) {
          enter(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(top.v) as number));
      if (low.get(top.v) !== index.get(top.v)) continue;
      const comp: Action[] = [];
      let w: Action;
      do {
        w = stack.pop() as Action;
        onStack.delete(w);
        comp.push(w);
      } while (w !== top.v);
      if (comp.length > 1 || top.v.outEdges.some((o) => o.then === top.v)) out.push(comp.reverse());
    }
  }
  return out;
}
