import { AssertionError } from "@hacrm/common";
import type { Action, ActionSet } from "./actions.js";

export interface GraphAction {
  id: number;
  resource?: string;
  task: string;
  node?: string;
  intervalMs: number;
  timeoutMs: number;
  pseudo: boolean;
  /** Fencing actions (task "fence"): reboot, off, or on (unfencing). */
  fenceAction?: string;
  /** Ids of the actions that must complete first. */
  inputs: number[];
  /** Extra parameters (a clone notification's CRM_meta_notify_* lists). */
  params?: Record<string, string>;
}

export interface TransitionGraph {
  actions: GraphAction[];
}

/**
 * Whether an action belongs in the executed graph. A primitive acts on a
 * node: its node-less actions are placeholders an ordering on its parent
 * touched (a clone instance with nothing to stop), which stand for nothing;
 * orderings through them are kept (collectInputs).
 */
export function inGraph(a: Action): boolean {
  if (a.optional || !a.runnable) return false;
  if (a.pseudo && !a.rsc) return false;
  if (a.rsc?.kind === "primitive") return a.node !== undefined;
  return a.node !== undefined || a.pseudo;
}

/** Build the transition graph from required, runnable actions (checked by invariants.ts). */
export function buildGraph(set: ActionSet): TransitionGraph {
  const kept = set.list.filter(inGraph);
  const keptSet = new Set(kept);
  const renumber = new Map<Action, number>();
  kept.forEach((a, i) => renumber.set(a, i));
  const actions: GraphAction[] = kept.map((a) => {
    const inputs = new Set<number>();
    collectInputs(a, keptSet, renumber, inputs);
    const g: GraphAction = {
      id: renumber.get(a)!,
      task: a.task,
      intervalMs: a.intervalMs,
      timeoutMs: a.timeoutMs,
      pseudo: a.pseudo,
      inputs: [...inputs].sort((x, y) => x - y),
    };
    if (a.rsc) g.resource = a.rsc.id;
    if (a.params) g.params = Object.fromEntries(a.params);
    if (a.node) g.node = a.node.uname;
    if (a.fenceAction !== undefined) g.fenceAction = a.fenceAction;
    return g;
  });
  return { actions };
}

/** Inputs through required actions left out of the graph are followed transitively; optional ones order nothing. */
function collectInputs(a: Action, kept: Set<Action>, ids: Map<Action, number>, out: Set<number>): void {
  const seen = new Set<Action>();
  const stack = a.inEdges.map((o) => o.first);
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (kept.has(f)) out.add(ids.get(f)!);
    else if (f.runnable && !f.optional) for (const o of f.inEdges) stack.push(o.first);
  }
}

/** Throw if the graph has a cycle (Kahn's algorithm). */
export function assertAcyclic(actions: GraphAction[]): void {
  const indeg = new Map<number, number>();
  const out = new Map<number, number[]>();
  for (const a of actions) {
    indeg.set(a.id, a.inputs.length);
    for (const i of a.inputs) {
      const l = out.get(i) ?? [];
      l.push(a.id);
      out.set(i, l);
    }
  }
  const ready = actions.filter((a) => a.inputs.length === 0).map((a) => a.id);
  let done = 0;
  while (ready.length > 0) {
    const id = ready.pop()!;
    done++;
    for (const t of out.get(id) ?? []) {
      const d = indeg.get(t)! - 1;
      indeg.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  if (done !== actions.length)
    throw new AssertionError(`transition graph has a cycle (${actions.length - done} actions in cycles)`);
}

/** Topological order of the graph (for printing executed actions). */
export function topoOrder(g: TransitionGraph): GraphAction[] {
  const indeg = new Map<number, number>();
  const out = new Map<number, number[]>();
  for (const a of g.actions) {
    indeg.set(a.id, a.inputs.length);
    for (const i of a.inputs) {
      const l = out.get(i) ?? [];
      l.push(a.id);
      out.set(i, l);
    }
  }
  const byId = new Map(g.actions.map((a) => [a.id, a]));
  const ready = g.actions.filter((a) => a.inputs.length === 0).map((a) => a.id);
  const res: GraphAction[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const id = ready.shift()!;
    res.push(byId.get(id)!);
    for (const t of out.get(id) ?? []) {
      const d = indeg.get(t)! - 1;
      indeg.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  return res;
}

/** Graphviz rendering of a transition graph. */
export function graphToDot(g: TransitionGraph): string {
  const lines = ["digraph transition {"];
  const label = (a: GraphAction): string =>
    `${a.resource ? `${a.resource}_` : ""}${a.task}${a.intervalMs ? `_${a.intervalMs}` : "_0"}${a.node ? ` ${a.node}` : ""}`;
  for (const a of g.actions) {
    lines.push(
      `  "${label(a)}" [style=${a.pseudo ? "dashed" : "bold"} color="${a.pseudo ? "orange" : "green"}"];`,
    );
  }
  const byId = new Map(g.actions.map((a) => [a.id, a]));
  for (const a of g.actions) {
    for (const i of a.inputs) lines.push(`  "${label(byId.get(i)!)}" -> "${label(a)}";`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
