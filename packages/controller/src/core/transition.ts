/**
 * The transition engine (Pacemaker's TE), a pure state machine on the DC.
 *
 * `transitionStep(state, input, nowMs)` takes what the controller core knows
 * after each of its steps (is this node the ready DC, the view's members,
 * the CIB) or a timer tick, and returns effects: `execute` (an action for
 * the executor of a node: a message, or a local call on the DC itself),
 * `wake` (tick me at this time) and `event`s.
 *
 * - Plan: when something changed (the CIB, the membership, a new DC) and no
 *   transition runs, the DC runs the scheduler (`plan`, pure) on its CIB and
 *   runs the graph it returns.
 * - Run: an action is sent once every action it waits for is done, at most
 *   `batch-limit` at once (0: no limit); pseudo actions complete at once.
 * - Results are not messages: each node records its own operations in the
 *   CIB (operation-history.ts) and the engine finds an action's result there
 *   by its transition key. So a result survives a DC change, and a new DC
 *   sees a half-run transition's starts as pending (op-status -1).
 * - Abort on anything unexpected (a failed action, a failure recorded by a
 *   recurring monitor, a new configuration, the membership changed, an
 *   action not answered within its timeout + cluster-delay): nothing more is
 *   sent; once the actions in flight are answered (or their node is gone),
 *   the DC plans again from the CIB as it is then.
 * - Fencing is not run yet: a graph with a fence action runs what does not
 *   wait for it and ends incomplete (the scheduler never recovers what an
 *   unclean node ran before its fence).
 */
import { child, childrenNamed, clusterOptionText, durationMs, type XmlElement } from "@hacrm/cib";
import { assert } from "@hacrm/common";
import type { GraphAction, Rsc, TransitionGraph, WorkingSet } from "@hacrm/policy";
import type { ControllerNode, Term } from "./types.js";

/** What the scheduler gives the engine: `schedule(cib, nowSec)`'s graph and working set. */
export interface Plan {
  graph: TransitionGraph;
  workingSet: WorkingSet;
}

export interface TransitionOptions {
  selfId: number;
  nodes: ControllerNode[];
  /** The scheduler (pure): `schedule` from @hacrm/policy. */
  plan: (cib: XmlElement, nowSec: number) => Plan;
  /** Digest of an operation's parameters, as the scheduler compares it (`paramsDigest`). */
  digest: (params: Map<string, string>) => string;
}

/** One action for a node's executor. */
export interface ActionRequest {
  /** `action:transition:target-rc:dc-uuid`, Pacemaker's transition key. */
  transitionKey: string;
  /** The id the executor and the history know the resource by (anonymous clone instances: the clone's member id). */
  resource: string;
  agent: string;
  task: string;
  intervalMs: number;
  timeoutMs: number;
  params: Record<string, string>;
  meta: Record<string, string>;
  expectedRc: number;
  /** Digest of the parameters, recorded with the result. */
  digest: string;
}

export type TransitionInput =
  /** After every controller step: whether this node is the ready DC, its term, the view, the CIB. */
  | {
      type: "cluster";
      dc: boolean;
      term: Term | null;
      members: number[];
      cib: XmlElement;
      cibDigest: string;
      configDigest: string;
    }
  /** A `wake` time was reached. */
  | { type: "tick" };

export type TransitionEvent =
  | { type: "transition_started"; transition: number; actions: number; summary: string[] }
  | { type: "transition_completed"; transition: number; complete: boolean; ran: number; skipped: number }
  | { type: "transition_aborted"; transition: number; reason: string }
  | { type: "action_sent"; transition: number; key: string; node: string; operation: string }
  | { type: "action_confirmed"; transition: number; key: string; rc: number; opStatus: number }
  | { type: "action_failed"; transition: number; key: string; rc: number; opStatus: number; reason: string }
  | { type: "fencing_unavailable"; transition: number; node: string };

export type TransitionEffect =
  | { type: "execute"; to: number; request: ActionRequest }
  | { type: "wake"; atMs: number }
  | { type: "event"; event: TransitionEvent };

type RunState = "waiting" | "running" | "done" | "failed" | "skipped";

interface ActionRun {
  a: GraphAction;
  state: RunState;
  key: string;
  nodeId: number | undefined;
  lrmId: string;
  expectedRc: number;
  deadlineMs: number;
}

interface Transition {
  id: number;
  runs: Map<number, ActionRun>;
  /** Graph order: ids in the order the graph lists them (the scheduler's order). */
  order: number[];
  inFlight: number;
  batchLimit: number;
  clusterDelayMs: number;
  aborted: string | null;
  /** The scheduler's working set the graph was computed from: the requests' parameters come from it. */
  ws: WorkingSet;
}

export interface TransitionState {
  opts: TransitionOptions;
  ids: Map<string, number>;
  names: Map<number, string>;
  /** This node is the ready DC. */
  active: boolean;
  term: Term | null;
  dcUuid: string;
  members: number[];
  cib: XmlElement | null;
  cibDigest: string;
  configDigest: string;
  nextId: number;
  current: Transition | null;
  /** Something changed since the last plan. */
  needPlan: boolean;
  /** Failures recorded in the status section (node/resource/call-id) already known. */
  failures: Set<string>;
  /** Completed transitions (for tests and status). */
  completed: number;
  /** When to plan again with nothing else changed: a fail count's failure-timeout expiry, or cluster-recheck-interval. */
  recheckAtMs: number;
}

export function createTransitionState(opts: TransitionOptions): TransitionState {
  return {
    opts,
    ids: new Map(opts.nodes.map((n) => [n.name, n.id])),
    names: new Map(opts.nodes.map((n) => [n.id, n.name])),
    active: false,
    term: null,
    dcUuid: "",
    members: [],
    cib: null,
    cibDigest: "",
    configDigest: "",
    nextId: 1,
    current: null,
    needPlan: false,
    failures: new Set(),
    completed: 0,
    recheckAtMs: Infinity,
  };
}

/** A DC's uuid in transition keys: 36 characters like Pacemaker's, from its node id and term. */
export function dcUuidOf(selfId: number, term: Term): string {
  const hex = (n: number, w: number) => (n >>> 0).toString(16).padStart(w, "0").slice(-w);
  return `${hex(term.seq, 8)}-${hex(term.rep, 4)}-4000-8000-${hex(selfId, 12)}`;
}

export function transitionStep(
  s: TransitionState,
  input: TransitionInput,
  nowMs: number,
): TransitionEffect[] {
  const fx: TransitionEffect[] = [];
  if (input.type === "cluster") onCluster(s, input, fx);
  else {
    checkTimeouts(s, nowMs, fx);
    if (s.active && nowMs >= s.recheckAtMs) {
      s.recheckAtMs = Infinity;
      s.needPlan = true;
    }
  }
  if (s.active) {
    run(s, nowMs, fx);
    if (!s.current && s.needPlan) {
      startTransition(s, nowMs, fx);
      run(s, nowMs, fx);
    }
    const wake = nextDeadline(s);
    if (wake !== Infinity) fx.push({ type: "wake", atMs: wake });
  }
  return fx;
}

function run(s: TransitionState, nowMs: number, fx: TransitionEffect[]): void {
  if (s.current) advance(s, s.current, nowMs, fx);
  maybeFinish(s, fx);
}

function onCluster(
  s: TransitionState,
  input: Extract<TransitionInput, { type: "cluster" }>,
  fx: TransitionEffect[],
): void {
  if (!input.dc || input.term === null) {
    // Not (or no longer) the ready DC: the next DC plans from the CIB; actions in flight still get recorded.
    s.active = false;
    s.current = null;
    s.cib = input.cib;
    return;
  }
  const newTerm = !s.active || !s.term || s.term.seq !== input.term.seq || s.term.rep !== input.term.rep;
  const membersChanged = s.members.join(",") !== input.members.join(",");
  s.cib = input.cib;
  if (newTerm) {
    s.active = true;
    s.term = input.term;
    s.dcUuid = dcUuidOf(s.opts.selfId, input.term);
    s.current = null;
    s.members = [...input.members];
    s.cibDigest = input.cibDigest;
    s.configDigest = input.configDigest;
    s.failures = new Set(recordedFailures(input.cib).keys());
    s.needPlan = true;
    return;
  }
  if (membersChanged) {
    s.members = [...input.members];
    abort(s, "the membership changed", fx);
    // Actions on nodes that left will never be answered in this transition.
    for (const run of s.current?.runs.values() ?? [])
      if (run.state === "running" && (run.nodeId === undefined || !s.members.includes(run.nodeId)))
        settle(s, run, "failed");
    s.needPlan = true;
  }
  if (input.cibDigest === s.cibDigest) return;
  s.cibDigest = input.cibDigest;
  s.needPlan = true;
  if (input.configDigest !== s.configDigest) {
    s.configDigest = input.configDigest;
    abort(s, "the configuration changed", fx);
  }
  if (s.current) collectResults(s, s.current, input.cib, fx);
  const failures = recordedFailures(input.cib);
  const ours = new Set([...(s.current?.runs.values() ?? [])].map((r) => r.key));
  for (const [f, key] of failures) {
    if (s.failures.has(f)) continue;
    if (!ours.has(key)) abort(s, `a failure was recorded (${f.split("\u0000").join(" ")})`, fx);
  }
  s.failures = new Set(failures.keys());
}

function abort(s: TransitionState, reason: string, fx: TransitionEffect[]): void {
  const t = s.current;
  if (!t || t.aborted !== null) return;
  t.aborted = reason;
  fx.push({ type: "event", event: { type: "transition_aborted", transition: t.id, reason } });
}

/** node/resource/call-id of every recorded failure, with the transition key it carries. */
function recordedFailures(cib: XmlElement): Map<string, string> {
  const out = new Map<string, string>();
  const status = child(cib, "status");
  for (const ns of status ? childrenNamed(status, "node_state") : []) {
    const res = child(child(ns, "lrm") ?? ns, "lrm_resources");
    for (const r of res ? childrenNamed(res, "lrm_resource") : []) {
      for (const op of childrenNamed(r, "lrm_rsc_op")) {
        if (!(op.attrs["id"] ?? "").endsWith("_last_failure_0")) continue;
        const k = `${ns.attrs["uname"] ?? ns.attrs["id"]}\u0000${r.attrs["id"]}\u0000${op.attrs["call-id"]}`;
        out.set(k, op.attrs["transition-key"] ?? "");
      }
    }
  }
  return out;
}

/** Results of running actions, found in the status section by their transition key. */
function collectResults(s: TransitionState, t: Transition, cib: XmlElement, fx: TransitionEffect[]): void {
  const status = child(cib, "status");
  if (!status) return;
  for (const run of t.runs.values()) {
    if (run.state !== "running") continue;
    const op = findOp(status, run);
    if (!op) continue;
    const opStatus = Number(op.attrs["op-status"] ?? "0");
    if (opStatus === -1) continue;
    const rc = Number(op.attrs["rc-code"] ?? "0");
    const expected = run.expectedRc;
    const probe = run.a.task === "monitor" && run.a.intervalMs === 0;
    if (opStatus === 0 && rc === expected) {
      settle(s, run, "done");
      fx.push({
        type: "event",
        event: { type: "action_confirmed", transition: t.id, key: run.key, rc, opStatus },
      });
      continue;
    }
    // A probe that finds the resource running (or promoted) completes, and the DC plans again with the news.
    settle(s, run, probe && opStatus === 0 && (rc === 0 || rc === 8) ? "done" : "failed");
    const reason = `${run.a.resource ?? ""} ${run.a.task} on ${run.a.node ?? ""}: rc ${rc}, op-status ${opStatus} (expected rc ${expected})`;
    fx.push({
      type: "event",
      event: { type: "action_failed", transition: t.id, key: run.key, rc, opStatus, reason },
    });
    abort(s, `unexpected result: ${reason}`, fx);
  }
}

function findOp(status: XmlElement, run: ActionRun): XmlElement | undefined {
  const ns = childrenNamed(status, "node_state").find(
    (n) => n.attrs["uname"] === run.a.node || n.attrs["id"] === String(run.nodeId),
  );
  const res = ns ? child(child(ns, "lrm") ?? ns, "lrm_resources") : undefined;
  const r = res ? childrenNamed(res, "lrm_resource").find((x) => x.attrs["id"] === run.lrmId) : undefined;
  return r ? childrenNamed(r, "lrm_rsc_op").find((o) => o.attrs["transition-key"] === run.key) : undefined;
}

function settle(s: TransitionState, run: ActionRun, state: RunState): void {
  const t = s.current as Transition;
  if (run.state === "running") t.inFlight--;
  run.state = state;
}

function checkTimeouts(s: TransitionState, nowMs: number, fx: TransitionEffect[]): void {
  const t = s.current;
  if (!s.active || !t) return;
  for (const run of t.runs.values()) {
    if (run.state !== "running" || run.deadlineMs > nowMs) continue;
    settle(s, run, "failed");
    const reason = `${run.a.resource ?? ""} ${run.a.task} on ${run.a.node ?? ""} was not answered within its timeout and cluster-delay`;
    fx.push({
      type: "event",
      event: { type: "action_failed", transition: t.id, key: run.key, rc: 1, opStatus: 2, reason },
    });
    abort(s, reason, fx);
    s.needPlan = true;
  }
}

function nextDeadline(s: TransitionState): number {
  let min = s.recheckAtMs;
  for (const run of s.current?.runs.values() ?? [])
    if (run.state === "running") min = Math.min(min, run.deadlineMs);
  return min;
}

/** What the action must answer: probes "not running" (7), monitors of the promoted role 8, the rest 0. */
function expectedRc(a: GraphAction, rsc: Rsc | undefined): number {
  if (a.task !== "monitor") return 0;
  if (a.intervalMs === 0) return 7;
  const def = rsc?.ops.find((o) => o.name === "monitor" && o.intervalMs === a.intervalMs);
  return def?.role === "Promoted" ? 8 : 0;
}

function numberOption(cib: XmlElement, name: string): string | undefined {
  const conf = child(cib, "configuration");
  const crm = conf ? child(conf, "crm_config") : undefined;
  let value: string | undefined;
  for (const set of crm ? childrenNamed(crm, "cluster_property_set") : [])
    for (const nv of childrenNamed(set, "nvpair")) if (nv.attrs["name"] === name) value = nv.attrs["value"];
  return clusterOptionText(name, value);
}

function startTransition(s: TransitionState, nowMs: number, fx: TransitionEffect[]): void {
  const cib = s.cib as XmlElement;
  s.needPlan = false;
  const plan = s.opts.plan(cib, Math.floor(nowMs / 1000));
  s.recheckAtMs = nextRecheckMs(plan.workingSet, cib, nowMs);
  const actions = [...plan.graph.actions, ...missingMonitors(plan, cib)];
  if (actions.length === 0) return;
  const id = s.nextId++;
  const t: Transition = {
    id,
    runs: new Map(),
    order: actions.map((a) => a.id),
    inFlight: 0,
    batchLimit: Math.max(0, Number.parseInt(numberOption(cib, "batch-limit") ?? "0", 10) || 0),
    clusterDelayMs: durationMs(numberOption(cib, "cluster-delay") ?? "60s", "cluster-delay"),
    aborted: null,
    ws: plan.workingSet,
  };
  for (const a of actions) {
    const rsc = a.resource ? plan.workingSet.rscById.get(a.resource) : undefined;
    const rc = expectedRc(a, rsc);
    t.runs.set(a.id, {
      a,
      state: "waiting",
      key: `${a.id}:${id}:${rc}:${s.dcUuid}`,
      nodeId: a.node === undefined ? undefined : s.ids.get(a.node),
      lrmId: rsc ? lrmIdOf(rsc) : (a.resource ?? ""),
      expectedRc: rc,
      deadlineMs: Infinity,
    });
  }
  s.current = t;
  fx.push({
    type: "event",
    event: {
      type: "transition_started",
      transition: id,
      actions: actions.filter((a) => !a.pseudo).length,
      summary: actions
        .filter((a) => !a.pseudo)
        .map((a) => `${a.resource ?? ""}_${a.task}_${a.intervalMs}${a.node ? ` ${a.node}` : ""}`),
    },
  });
}

/**
 * Recurring monitors of resources that stay where they run but whose
 * monitor is not in their node's history (a transition aborted between the
 * start and its monitor; a history cleaned up). Pacemaker's scheduler
 * schedules these itself; hacrm's schedules a monitor only with a start or
 * promote, so the engine adds them (as independent actions) until it does.
 * A graph that already has the monitor is left as it is.
 */
export function missingMonitors(plan: Plan, cib: XmlElement): GraphAction[] {
  const out: GraphAction[] = [];
  const inGraph = new Set(plan.graph.actions.map((a) => a.resource));
  let id = plan.graph.actions.reduce((m, a) => Math.max(m, a.id), -1) + 1;
  const status = child(cib, "status");
  for (const p of plan.workingSet.primitives) {
    const node = p.allocatedTo;
    if (!node || !status || inGraph.has(p.id) || !p.managed || p.failed || p.orphan) continue;
    if (p.runningOn.length !== 1 || p.runningOn[0] !== node || p.nextRole !== p.role) continue;
    const recorded = recordedOpIds(status, node.id, lrmIdOf(p));
    for (const op of p.ops) {
      if (op.name !== "monitor" || op.intervalMs === 0 || !op.enabled) continue;
      const roleOk =
        op.role === "Unknown" ||
        op.role === "Started" ||
        op.role === p.role ||
        (op.role === "Unpromoted" && p.role === "Started");
      if (!roleOk || recorded.has(`${lrmIdOf(p)}_monitor_${op.intervalMs}`)) continue;
      out.push({
        id: id++,
        resource: p.id,
        task: "monitor",
        node: node.uname,
        intervalMs: op.intervalMs,
        timeoutMs: op.timeoutMs,
        pseudo: false,
        inputs: [],
      });
    }
  }
  return out;
}

function recordedOpIds(status: XmlElement, nodeId: string, lrmId: string): Set<string> {
  const ns = childrenNamed(status, "node_state").find((n) => n.attrs["id"] === nodeId);
  const res = ns ? child(child(ns, "lrm") ?? ns, "lrm_resources") : undefined;
  const r = res ? childrenNamed(res, "lrm_resource").find((x) => x.attrs["id"] === lrmId) : undefined;
  return new Set((r ? childrenNamed(r, "lrm_rsc_op") : []).map((o) => o.attrs["id"] ?? ""));
}

/**
 * When the DC must plan again though nothing changed: the earliest
 * failure-timeout expiry of a recorded failure (then the fail count no longer
 * counts and the resource may come back), else cluster-recheck-interval
 * (0: never) after now.
 */
export function nextRecheckMs(ws: WorkingSet, cib: XmlElement, nowMs: number): number {
  const recheck = durationMs(
    numberOption(cib, "cluster-recheck-interval") ?? "15min",
    "cluster-recheck-interval",
  );
  let at = recheck > 0 ? nowMs + recheck : Infinity;
  const timeouts = new Map<string, number>();
  for (const p of ws.primitives) if (p.failureTimeoutSec > 0) timeouts.set(p.baseId, p.failureTimeoutSec);
  if (timeouts.size === 0) return at;
  for (const n of ws.nodes) {
    for (const [k, v] of n.attrs) {
      const m = /^last-failure-(.+?)(?::\d+)?#/.exec(k);
      const timeout = m ? timeouts.get(m[1] ?? "") : undefined;
      if (timeout === undefined) continue;
      const expiresMs = ((Number.parseInt(v, 10) || 0) + timeout) * 1000;
      if (expiresMs > nowMs) at = Math.min(at, expiresMs + 1000);
    }
  }
  return at;
}

/** The id the executor and the history use: anonymous clone instances run under their member's own id. */
function lrmIdOf(rsc: Rsc): string {
  const clone = rsc.parent?.kind === "clone" ? rsc.parent : rsc.parent?.parent;
  return clone?.kind === "clone" && !clone.unique ? rsc.baseId : rsc.id;
}

/** Send every action whose inputs are done, in graph order, within batch-limit. */
function advance(s: TransitionState, t: Transition, nowMs: number, fx: TransitionEffect[]): void {
  let progress = true;
  while (progress) {
    progress = false;
    for (const id of t.order) {
      const run = t.runs.get(id) as ActionRun;
      if (run.state !== "waiting") continue;
      const inputs = run.a.inputs.map((i) => (t.runs.get(i) as ActionRun).state);
      if (inputs.some((st) => st === "failed" || st === "skipped")) {
        run.state = "skipped";
        progress = true;
        continue;
      }
      if (!inputs.every((st) => st === "done")) continue;
      if (run.a.pseudo) {
        run.state = "done";
        progress = true;
        continue;
      }
      if (t.aborted !== null) continue;
      if (run.a.task === "fence") {
        run.state = "skipped";
        fx.push({
          type: "event",
          event: { type: "fencing_unavailable", transition: t.id, node: run.a.node ?? "" },
        });
        progress = true;
        continue;
      }
      if (t.batchLimit > 0 && t.inFlight >= t.batchLimit) return;
      if (run.nodeId === undefined || !s.members.includes(run.nodeId)) {
        run.state = "failed";
        abort(s, `${run.a.node ?? "?"} is not a member`, fx);
        progress = true;
        continue;
      }
      send(s, t, run, nowMs, fx);
    }
  }
}

function send(
  s: TransitionState,
  t: Transition,
  run: ActionRun,
  nowMs: number,
  fx: TransitionEffect[],
): void {
  const a = run.a;
  const rsc = a.resource ? t.ws.rscById.get(a.resource) : undefined;
  assert(rsc !== undefined && rsc.kind === "primitive", `action ${a.id} (${a.task}) names a primitive`);
  const def = rsc.ops.find((o) => o.name === a.task && o.intervalMs === a.intervalMs);
  const all = new Map(rsc.params);
  for (const [k, v] of def?.params ?? []) all.set(k, v);
  const digestParams = new Map(all);
  if (a.intervalMs > 0) digestParams.set("CRM_meta_timeout", String(a.timeoutMs));
  const meta: Record<string, string> = {};
  for (const [k, v] of rsc.meta) meta[k] = v;
  for (const [k, v] of Object.entries(a.params ?? {})) meta[k.replace(/^CRM_meta_/, "")] = v;
  const request: ActionRequest = {
    transitionKey: run.key,
    resource: run.lrmId,
    agent: rsc.agent,
    task: a.task,
    intervalMs: a.intervalMs,
    timeoutMs: a.timeoutMs,
    params: Object.fromEntries(all),
    meta,
    expectedRc: run.expectedRc,
    digest: s.opts.digest(digestParams),
  };
  run.state = "running";
  run.deadlineMs = nowMs + a.timeoutMs + t.clusterDelayMs;
  t.inFlight++;
  fx.push({ type: "execute", to: run.nodeId as number, request });
  fx.push({
    type: "event",
    event: {
      type: "action_sent",
      transition: t.id,
      key: run.key,
      node: a.node ?? "",
      operation: `${a.resource}_${a.task}_${a.intervalMs}`,
    },
  });
}

/** End the transition when nothing is in flight and nothing more can be sent. */
function maybeFinish(s: TransitionState, fx: TransitionEffect[]): void {
  const t = s.current;
  if (!t || t.inFlight > 0) return;
  const runs = [...t.runs.values()];
  if (t.aborted === null && runs.some((r) => r.state === "waiting" && ready(t, r))) return;
  const ran = runs.filter((r) => r.state === "done" && !r.a.pseudo).length;
  const complete = runs.every((r) => r.state === "done");
  s.current = null;
  s.completed++;
  if (!complete) s.needPlan = s.needPlan || t.aborted !== null;
  fx.push({
    type: "event",
    event: {
      type: "transition_completed",
      transition: t.id,
      complete,
      ran,
      skipped: runs.filter((r) => r.state !== "done").length,
    },
  });
}

function ready(t: Transition, r: ActionRun): boolean {
  return r.a.inputs.every((i) => (t.runs.get(i) as ActionRun).state === "done");
}

/** The transition running now, for status output: id and actions in flight. */
export function transitionInfo(
  s: TransitionState,
): { id: number; inFlight: number; aborted: string | null } | null {
  const t = s.current;
  return t ? { id: t.id, inFlight: t.inFlight, aborted: t.aborted } : null;
}
