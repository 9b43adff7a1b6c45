import { parseXml, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import {
  ActionSet,
  createCollectiveActions,
  createPrimitiveActions,
  F_RUNNABLE_LEFT,
  orderMigrations,
  settleMigrations,
  settleReloads,
  type Action,
} from "./actions.js";
import { Allocator } from "./allocate.js";
import { registerColocations } from "./colocation.js";
import { unpackConstraints } from "./constraints.js";
import type { PNode, Rsc, WorkingSet } from "./model.js";
import { buildIdIndex, type IdIndex } from "./id-index.js";
import { orderAll, propagate } from "./ordering.js";
import { applyPromotionPreferences, type PromotionDetail } from "./promotable.js";
import { allResources, initialScores, unavailableReason } from "./scoring.js";
import { summarize, type PlacementEntry, type SummaryAction } from "./summary.js";
import { disableStartupWithoutFencing, scheduleFencing, scheduleUnfencing } from "./fencing.js";
import { blockOrderLoops } from "./order-loops.js";
import { applyQuorumPolicy } from "./quorum.js";
import { buildGraph, type TransitionGraph } from "./graph.js";
import { assertTransition } from "./invariants.js";
import { createNotifications } from "./notify.js";
import { section, unpackDefaults, unpackOptions } from "./unpack-config.js";
import { canHost, unpackNodes } from "./unpack-nodes.js";
import { allPrimitives, unpackResources } from "./unpack-resources.js";
import { unpackStatus } from "./unpack-status.js";

export interface ScoreReport {
  resource: string;
  node: string;
  score: number;
  parts: { source: string; score: number }[];
}

export interface ScheduleResult {
  now: number;
  actions: SummaryAction[];
  placement: PlacementEntry[];
  scores: ScoreReport[];
  promotion: PromotionDetail[];
  graph: TransitionGraph;
  workingSet: WorkingSet;
}

/** Build the scheduler's working set from a CIB document. */
export function unpackCib(cib: XmlElement, nowSec: number, idIndex?: IdIndex): WorkingSet {
  if (cib.name !== "cib") {
    throw new HacrmError({ code: "CIB_INVALID", where: cib.name, message: "the document root is not <cib>" });
  }
  const ids = idIndex ?? buildIdIndex(cib);
  const exec = cib.attrs["execution-date"];
  const now = exec !== undefined && /^\d+$/.test(exec) ? Number(exec) : nowSec;
  const options = unpackOptions(cib, ids, now);
  const ws: WorkingSet = {
    now,
    options,
    nodes: [],
    nodesById: new Map(),
    nodesByName: new Map(),
    resources: [],
    rscById: new Map(),
    primitives: [],
    colocations: [],
    orders: [],
    locations: [],
    rscDefaults: unpackDefaults(cib, ids, "rsc_defaults", now),
    rscDefaultsEl: section(cib, "configuration", "rsc_defaults"),
    cloneTemplates: new Map(),
    opDefaults: unpackDefaults(cib, ids, "op_defaults", now),
    warnings: [],
  };
  ws.nodes = unpackNodes(cib, ids, options, now);
  for (const n of ws.nodes) {
    ws.nodesById.set(n.id, n);
    ws.nodesByName.set(n.uname, n);
  }
  unpackResources(cib, ws, ids);
  return ws;
}

/**
 * The policy engine: CIB + now -> scores, transition graph, summary and
 * placement. Pure. Each line is one step of Pacemaker's pipeline.
 */
export function schedule(cib: XmlElement | string, nowSec: number): ScheduleResult {
  const doc = typeof cib === "string" ? parseXml(cib, "<cib>") : cib;
  const ids = buildIdIndex(doc);
  // Unpack: options, nodes, resources, then what the status section says of them.
  const ws = unpackCib(doc, nowSec, ids);
  const bans = unpackStatus(doc, ws, ids);
  disableStartupWithoutFencing(ws);
  unpackConstraints(doc, ws, ids);
  normalizeRoles(ws);
  // Scores: locations, bans, stickiness, promotion preferences; then colocations.
  initialScores(ws, bans);
  for (const r of ws.resources) if (r.kind === "clone" && r.promotable) applyPromotionPreferences(ws, r);
  registerColocations(ws);
  // Placement: assign every resource (and promotable roles) in Pacemaker's order.
  const allocator = new Allocator(ws);
  allocator.run();
  // Actions: per primitive and per collective, then their orderings.
  const set = new ActionSet();
  for (const p of ws.primitives) createPrimitiveActions(ws, set, p);
  for (const r of allResources(ws)) if (r.kind !== "primitive") createCollectiveActions(set, r);
  orderAll(ws, set);
  createProbes(ws, set);
  scheduleFencing(ws, set);
  scheduleUnfencing(ws, set);
  applyQuorumPolicy(ws, set);
  orderMigrations(set);
  // Propagate "required" and "unrunnable" along orderings and mandatory colocations.
  propagate(set);
  while (blockOrderLoops(ws, set)) propagate(set);
  for (let round = 0; round < 8 && blockColocatedDependents(ws, set); round++) propagate(set);
  if (settleMigrations(set)) propagate(set);
  settleReloads(set);
  createNotifications(ws, set);
  createMonitors(ws, set);
  // The graph, checked against what must hold of any transition, and its summary.
  const graph = buildGraph(set);
  assertTransition(ws, graph);
  const { actions, placement } = summarize(ws, set);
  return {
    now: ws.now,
    actions,
    placement,
    scores: finalScores(ws),
    promotion: allocator.promotion,
    graph,
    workingSet: ws,
  };
}

/** Promotable instances found Started are Unpromoted; groups and clones take their members' activity. */
function normalizeRoles(ws: WorkingSet): void {
  for (const p of ws.primitives)
    if (p.parent?.kind === "clone" && isPromotableClone(p.parent) && p.role === "Started")
      p.role = "Unpromoted";
  for (const r of ws.rscById.values()) if (r.kind !== "primitive") normalizeContainerRole(r);
}

function isPromotableClone(r: Rsc): boolean {
  return r.kind === "clone" && r.promotable;
}

function normalizeContainerRole(r: Rsc): void {
  const prims = allPrimitives(r);
  if (prims.some((p) => p.runningOn.length > 0)) r.role = "Started";
  else r.role = "Stopped";
}

function finalScores(ws: WorkingSet): ScoreReport[] {
  const out: ScoreReport[] = [];
  for (const p of ws.primitives) {
    for (const n of ws.nodes) {
      const e = p.allowed.get(n.id);
      const parts = e
        ? [...e.parts]
        : [{ source: "not allowed (opt-in cluster, no location)", score: -1_000_000 }];
      let score = e ? e.score : -1_000_000;
      if (!canHost(n)) {
        parts.push({ source: `node ${n.uname} ${unavailableReason(n)}`, score: -1_000_000 });
        score = -1_000_000;
      }
      out.push({ resource: p.id, node: n.uname, score, parts });
    }
  }
  return out;
}

/**
 * A resource that must be colocated with a primary whose start cannot run
 * cannot start either (Pacemaker blocks mandatory colocation dependents);
 * a promotable clone whose promoted role must be with it cannot promote
 * there. Returns whether anything changed.
 */
function blockColocatedDependents(ws: WorkingSet, set: ActionSet): boolean {
  let changed = false;
  for (const c of ws.colocations) {
    if (c.score < 1_000_000 || c.primary.kind !== "primitive") continue;
    const pNode = c.primary.allocatedTo;
    const pStart = pNode ? set.get(c.primary, "start", pNode) : undefined;
    if (!pStart || pStart.runnable) continue;
    if (c.dependent.kind === "clone" && c.dependent.promotable && c.dependentRole === "Promoted") {
      for (const p of allPrimitives(c.dependent)) {
        const promote = set.get(p, "promote", pNode);
        if (!promote || !promote.runnable) continue;
        promote.runnable = false;
        promote.reason = `colocation with ${c.primary.id}`;
        changed = true;
      }
      continue;
    }
    if (c.dependent.kind !== "primitive") continue;
    const dNode = c.dependent.allocatedTo;
    const dStart = dNode ? set.get(c.dependent, "start", dNode) : undefined;
    if (dStart && dStart.runnable) {
      dStart.runnable = false;
      dStart.reason = `colocation with ${c.primary.id}`;
      changed = true;
    }
  }
  return changed;
}

/**
 * Probes (monitor interval 0) where a resource's state on a node is unknown.
 * A node still joining (pending) cannot be probed yet, and the resource
 * might be active there: it cannot start anywhere until it has been.
 */
function createProbes(ws: WorkingSet, set: ActionSet): void {
  for (const p of ws.primitives) {
    if (p.orphan || !p.managed) continue;
    const starts = set.ofRsc(p, "start").filter((a) => a.node);
    for (const n of ws.nodes) {
      if (p.knownOn.has(n.id)) continue;
      if (n.pending && !n.online && !n.unclean) {
        const probe = set.create(p, "monitor", n, { optional: false, runnable: false, timeoutMs: 20_000 });
        probe.reason = `${n.uname} is pending`;
        for (const s of starts)
          if (!p.runningOn.includes(s.node!)) set.order(probe, s, F_RUNNABLE_LEFT, "probe before start");
        continue;
      }
      if (!n.online) continue;
      const probe = set.create(p, "monitor", n, { optional: false, timeoutMs: 20_000 });
      for (const s of starts) set.order(probe, s, 0, "probe before start");
    }
  }
}

/** Recurring monitors for resources that (re)start on their node. */
function createMonitors(ws: WorkingSet, set: ActionSet): void {
  for (const p of ws.primitives) {
    const next = p.allocatedTo;
    if (!next || p.nextRole === "Stopped") continue;
    const start = set.get(p, "start", next);
    const promote = set.get(p, "promote", next);
    const reload = set.get(p, "reload-agent", next);
    const reloads = !!reload && !reload.optional && reload.runnable;
    if (!start || (start.optional && !reloads) || !start.runnable) continue;
    for (const op of p.ops) {
      if (op.name !== "monitor" || op.intervalMs === 0 || !op.enabled) continue;
      const roleOk =
        op.role === "Unknown" ||
        op.role === "Started" ||
        op.role === p.nextRole ||
        (op.role === "Unpromoted" && p.nextRole === "Started");
      if (!roleOk) continue;
      const m: Action = set.create(p, "monitor", next, {
        optional: false,
        intervalMs: op.intervalMs,
        timeoutMs: op.timeoutMs,
      });
      const after = reloads ? reload : op.role === "Promoted" && promote ? promote : start;
      set.order(after, m, 0, "start before monitor");
    }
  }
}

export { canHost };
export type { PNode };
