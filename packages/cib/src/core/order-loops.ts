import type { XmlElement } from "../xml.js";
import { problem, type CibProblem } from "./problems.js";

/**
 * Order loops: `order o1 Mandatory: a b` with `order o2 Mandatory: b a` (or
 * any longer cycle, through groups, clones, sets, tags or a resource ordered
 * after itself). No start order can satisfy one: Pacemaker's crm_verify
 * accepts the CIB, its scheduler writes a transition graph with a cycle
 * that never completes, and an order of a resource's action after itself
 * aborts crm_verify. hacrm refuses a loop of mandatory orders; a loop that
 * needs an optional order is reported apart (see `orderLoopWarnings`).
 *
 * The graph has one node per (resource, action) for primitives and two per
 * collective (the action begins, the action is done), so that a group's
 * members, a clone's instances and a constraint on the collective meet
 * exactly as the scheduler orders them. Stops and demotes are ordered in
 * reverse (symmetrical orders), so only starts and promotes need the reverse
 * edges of asymmetric-free orders; both are added and each loop is reported
 * once, by the set of constraints it needs.
 */

const inverse: Record<string, string> = {
  start: "stop",
  stop: "start",
  promote: "demote",
  demote: "promote",
};
const actions = ["start", "stop", "promote", "demote"] as const;

interface Edge {
  to: string;
  /** The constraint that makes it, or undefined for an order implied by the resource's kind. */
  constraint?: XmlElement;
  optional: boolean;
  label: string;
}

interface OrderGraph {
  edges: Map<string, Edge[]>;
  add(from: string, to: string, e: Omit<Edge, "to">): void;
}

interface Resources {
  /** id -> the resource element (primitive, group, clone, master, bundle). */
  byId: Map<string, XmlElement>;
  /** tag or template id -> resources it stands for. */
  expand: Map<string, string[]>;
}

const collective = new Set(["group", "clone", "master", "bundle"]);
const begin = (r: string, a: string, res: Resources) =>
  collective.has(res.byId.get(r)?.name ?? "") ? `${r} ${a} begins` : `${r} ${a}`;
const done = (r: string, a: string) => `${r} ${a}`;

/** The loops among the orders of `configuration`: mandatory ones are problems, the rest warnings. */
export function findOrderLoops(
  configuration: XmlElement,
  chainOf: (el: XmlElement) => XmlElement[],
): {
  problems: CibProblem[];
  warnings: CibProblem[];
} {
  const constraints = configuration.children.find((c) => c.name === "constraints");
  if (!constraints?.children.some((c) => c.name === "rsc_order")) return { problems: [], warnings: [] };
  const res = indexResources(configuration);
  const g = newGraph();
  for (const r of res.byId.values()) addImplied(g, r, res);
  const problems: CibProblem[] = [];
  for (const o of constraints.children) {
    if (o.name !== "rsc_order") continue;
    const self = selfOrder(o);
    if (self)
      problems.push(problem("ORDER_LOOP", chainOf(o), self, "a resource's action cannot wait for itself"));
    else addOrder(g, o, res);
  }
  const position = new Map(constraints.children.map((c, i) => [c, i]));
  const warnings: CibProblem[] = [];
  const seen = new Set<string>();
  for (const withOptional of [false, true]) {
    // A start loop reads better than its reversed stop loop: report that one when both exist.
    const reversed = (c: Edge[]) => c.filter((e) => / reversed\)$| stops /.test(e.label)).length;
    for (const cycle of findCycles(g, withOptional).sort((x, y) => reversed(x) - reversed(y))) {
      const loop = fromEarliest(cycle, position);
      const named = loop.filter((e) => e.constraint);
      const key = [...new Set(named.map((e) => e.constraint?.attrs["id"] ?? ""))].sort().join(",");
      if (named.length === 0 || seen.has(key)) continue;
      seen.add(key);
      // Reported at the constraint written last: the one that closed the loop, when they are added in turn.
      const last = named.reduce((a, e) =>
        (position.get(e.constraint as XmlElement) ?? 0) > (position.get(a.constraint as XmlElement) ?? 0)
          ? e
          : a,
      );
      const first = last.constraint as XmlElement;
      const what = `order loop: ${loop.map((e) => e.label).join(", ")}`;
      if (withOptional)
        warnings.push(
          problem("ORDER_LOOP", chainOf(first), what, "these actions can never run in one transition"),
        );
      else problems.push(problem("ORDER_LOOP", chainOf(first), what, "none of these actions can ever run"));
    }
  }
  return { problems, warnings };
}

/** The cycle rotated to begin with the constraint written first. */
function fromEarliest(cycle: Edge[], position: Map<XmlElement, number>): Edge[] {
  let best = 0;
  const at = (e: Edge | undefined) => (e?.constraint ? (position.get(e.constraint) ?? Infinity) : Infinity);
  for (let i = 1; i < cycle.length; i++) if (at(cycle[i]) < at(cycle[best])) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

function newGraph(): OrderGraph {
  const edges = new Map<string, Edge[]>();
  return {
    edges,
    add(from, to, e) {
      let l = edges.get(from);
      if (!l) edges.set(from, (l = []));
      l.push({ to, ...e });
    },
  };
}

function indexResources(configuration: XmlElement): Resources {
  const byId = new Map<string, XmlElement>();
  const expand = new Map<string, string[]>();
  const add = (key: string, id: string) => {
    const l = expand.get(key);
    if (l) l.push(id);
    else expand.set(key, [id]);
  };
  const visit = (el: XmlElement): void => {
    for (const c of el.children) {
      const id = c.attrs["id"];
      if (id !== undefined && (c.name === "primitive" || collective.has(c.name))) {
        byId.set(id, c);
        const t = c.attrs["template"];
        if (c.name === "primitive" && t !== undefined) add(t, id);
      }
      if (c.name === "tag" && id !== undefined)
        for (const r of c.children) if (r.name === "obj_ref" && r.attrs["id"]) add(id, r.attrs["id"]);
      if (c.name !== "primitive") visit(c);
    }
  };
  visit(configuration);
  return { byId, expand };
}

/** The orders a resource's kind implies: promote after start, stop after demote; a collective around its children. */
function addImplied(g: OrderGraph, r: XmlElement, res: Resources): void {
  const id = r.attrs["id"] as string;
  const implied = { optional: false };
  g.add(done(id, "start"), begin(id, "promote", res), {
    ...implied,
    label: `${id} promotes after it starts`,
  });
  g.add(done(id, "demote"), begin(id, "stop", res), { ...implied, label: `${id} stops after it demotes` });
  if (!collective.has(r.name)) return;
  const children = r.children.filter((c) => c.attrs["id"] !== undefined && res.byId.has(c.attrs["id"]));
  for (const a of actions) {
    for (const c of children) {
      const cid = c.attrs["id"] as string;
      g.add(begin(id, a, res), begin(cid, a, res), { ...implied, label: `${cid} ${a}s within ${id}` });
      g.add(done(cid, a), done(id, a), { ...implied, label: `${id} ${a} is done after ${cid}'s` });
    }
  }
  const ordered = (r.children.find((c) => c.name === "meta_attributes")?.children ?? []).find(
    (n) => n.attrs["name"] === "ordered",
  )?.attrs["value"];
  if (r.name !== "group" || /^(false|no|off|0|n)$/i.test(ordered ?? "")) return;
  for (let i = 0; i + 1 < children.length; i++) {
    const [x, y] = [children[i]?.attrs["id"] as string, children[i + 1]?.attrs["id"] as string];
    g.add(done(x, "start"), begin(y, "start", res), { ...implied, label: `${x} then ${y} (group ${id})` });
    g.add(done(y, "stop"), begin(x, "stop", res), {
      ...implied,
      label: `${y} stops before ${x} (group ${id})`,
    });
  }
}

function resourcesOf(id: string, res: Resources): string[] {
  return res.byId.has(id) ? [id] : (res.expand.get(id) ?? []).filter((r) => res.byId.has(r));
}

/** "a then a" with one action: what crm_verify aborts on. */
function selfOrder(o: XmlElement): string | undefined {
  const { first, then } = o.attrs;
  if (first === undefined || first !== then) return undefined;
  const fa = o.attrs["first-action"] ?? "start";
  const ta = o.attrs["then-action"] ?? fa;
  return fa === ta ? `${first} ${fa} then ${then} ${ta}` : undefined;
}

function isOptional(o: XmlElement): boolean {
  const kind = o.attrs["kind"];
  if (kind !== undefined) return kind === "Optional";
  const score = o.attrs["score"];
  return score !== undefined && /^[-+]?0+$/.test(score.trim());
}

function addOrder(g: OrderGraph, o: XmlElement, res: Resources): void {
  if (o.attrs["kind"] === "Serialize") return;
  const optional = isOptional(o);
  const symmetrical = !/^(false|no|off|0|n)$/i.test(o.attrs["symmetrical"] ?? "true");
  const steps = orderSteps(o);
  const id = o.attrs["id"] ?? "order";
  for (let i = 0; i + 1 < steps.length; i++) {
    const f = steps[i] as Step;
    const t = steps[i + 1] as Step;
    for (const fr of f.ids.flatMap((x) => resourcesOf(x, res)))
      for (const tr of t.ids.flatMap((x) => resourcesOf(x, res))) {
        if (fr === tr && f.action === t.action) continue;
        const label = `${act(fr, f.action)} then ${act(tr, t.action)} (${id})`;
        g.add(done(fr, f.action), begin(tr, t.action, res), { constraint: o, optional, label });
        const fi = inverse[f.action];
        const ti = inverse[t.action];
        if (symmetrical && fi && ti) {
          const back = `${act(tr, ti)} then ${act(fr, fi)} (${id} reversed)`;
          g.add(done(tr, ti), begin(fr, fi, res), { constraint: o, optional, label: back });
        }
      }
  }
}

const act = (r: string, action: string) => (action === "start" ? r : `${r} ${action}`);

interface Step {
  ids: string[];
  action: string;
}

/** The order's steps in sequence: first then then, or each set (sequential members one by one). */
function orderSteps(o: XmlElement): Step[] {
  const sets = o.children.filter((c) => c.name === "resource_set");
  if (sets.length === 0) {
    const { first, then } = o.attrs;
    if (first === undefined || then === undefined) return [];
    const fa = o.attrs["first-action"] ?? "start";
    return [
      { ids: [first], action: fa },
      { ids: [then], action: o.attrs["then-action"] ?? fa },
    ];
  }
  const steps: Step[] = [];
  for (const s of sets) {
    const ids = s.children.filter((c) => c.name === "resource_ref").map((c) => c.attrs["id"] ?? "");
    const action = s.attrs["action"] ?? "start";
    if (/^(false|no|off|0|n)$/i.test(s.attrs["sequential"] ?? "true")) steps.push({ ids, action });
    else for (const id of ids) steps.push({ ids: [id], action });
  }
  return steps;
}

/**
 * One cycle per strongly connected component with more than one node
 * (Tarjan's algorithm, iterative: a CIB can have thousands of resources),
 * as the list of its edges.
 */
function findCycles(g: OrderGraph, withOptional: boolean): Edge[][] {
  const follow = (e: Edge) => withOptional || !e.optional;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const root of g.edges.keys()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1] as { v: string; i: number };
      const out = g.edges.get(top.v) ?? [];
      if (top.i < out.length) {
        const e = out[top.i++] as Edge;
        if (!follow(e)) continue;
        const w = e.to;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v) ?? 0, index.get(w) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) ?? 0, low.get(top.v) ?? 0));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1) components.push(comp);
      }
    }
  }
  return components.map((c) => cycleIn(g, new Set(c), c[0] as string, follow));
}

/** A shortest cycle through `start` inside one component (breadth first). */
function cycleIn(g: OrderGraph, comp: Set<string>, start: string, follow: (e: Edge) => boolean): Edge[] {
  const via = new Map<string, { from: string; edge: Edge }>();
  const queue = [start];
  for (let h = 0; h < queue.length; h++) {
    const v = queue[h] as string;
    for (const e of g.edges.get(v) ?? []) {
      if (!follow(e) || !comp.has(e.to) || via.has(e.to)) continue;
      via.set(e.to, { from: v, edge: e });
      if (e.to === start) return unwind(via, start);
      queue.push(e.to);
    }
  }
  return [];
}

function unwind(via: Map<string, { from: string; edge: Edge }>, start: string): Edge[] {
  const path: Edge[] = [];
  let v = start;
  do {
    const step = via.get(v) as { from: string; edge: Edge };
    path.unshift(step.edge);
    v = step.from;
  } while (v !== start);
  return path;
}
