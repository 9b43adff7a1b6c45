/**
 * One randomized run of the whole resource-management path from a seed: the
 * real membership core on the simulated network, the controller core (DC,
 * join, CIB replication), each node's operation history, the real executor
 * core (`ExecutorCore` of packages/lrm) with simulated agents, and the
 * transition engine on the DC running the real scheduler's graphs.
 *
 * The agents are simulated processes with a ground truth (`active`: where
 * each resource really runs): a start may fail or hang until its timeout; a
 * resource may die on its own (the monitor reports it); an hacrmd crash
 * leaves what it ran running (a "power" fault stops it too); a start still
 * running when hacrmd crashes completes anyway. stonith-enabled=false.
 *
 * Checked after every step:
 * - a resource that is not a clone is never active on two nodes, except
 *   while one of them was lost (hacrmd crashed, or left out of a majority's
 *   view) since its activity began: without fencing, that is allowed, and
 *   those windows are counted;
 * - no action is sent to a node outside the DC's view (no unclean node
 *   exists without fencing; a fence action in a graph is a violation).
 * After the faults stop (network healed, every node up, agents healthy):
 * within a bound, one view, one ready DC, one CIB, the transition engine
 * idle with every history write answered, each node's history recorded in
 * the status section exactly, and the scheduler on the final CIB has nothing
 * left to do and places every resource where it really runs.
 */
import { childrenNamed, child, parseXml, type XmlElement } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import {
  OpStatus,
  pendingRecord,
  controllerStep,
  createControllerState,
  createOperationHistory,
  createTransitionState,
  followCib,
  historyNodeState,
  historyWriteAnswered,
  initialStoredCib,
  reconcileWrites,
  recordOperation,
  roleOf,
  transitionStep,
  type ActionRequest,
  type CibWrite,
  type ControllerInput,
  type ControllerState,
  type Effect,
  type OperationHistory,
  type StoredCib,
  type TransitionEffect,
  type TransitionState,
  type ViewInfo,
  type WriteResult,
} from "@hacrm/controller";
import { ExecutorCore, type CoreEffect, type OpResult, type OperationRequest } from "@hacrm/lrm";
import type { MembershipEvent } from "@hacrm/membership";
import { paramsDigest, schedule } from "@hacrm/policy";
import { SimCluster } from "./cluster.js";
import { calmNetwork } from "./network.js";
import { Prng } from "./prng.js";

export interface TransitionShape {
  seed: number;
  nodeCount: number;
  tokenMs: number;
  consensusMs: number;
  primitives: number;
  group: boolean;
  clone: boolean;
  batchLimit: number;
  startFailRate: number;
  hangRate: number;
  faultPhaseMs: number;
  faults: string[];
}

export interface TransitionResult {
  seed: number;
  shape: TransitionShape;
  violations: string[];
  /** Operations the simulated agents ran. */
  operations: number;
  transitions: number;
  /** Windows where a resource ran on two nodes because a node holding it was lost (no fencing). */
  doubleActiveWindows: number;
  /** Virtual ms from the end of the faults to the settled cluster (-1: never). */
  settleMs: number;
}

const wallBaseMs = 1_700_000_000_000;
/** A bound on simulation steps per seed: a seed that loops at one virtual time fails instead of hanging. */
const stepsMax = 2_000_000;

class RunawayError extends Error {}

interface Host {
  id: number;
  name: string;
  state: ControllerState | null;
  disk: StoredCib | null;
  history: OperationHistory;
  exec: ExecutorCore;
  te: TransitionState;
  lastDigest: string;
  reconciledAt: string;
  pendingView: ViewInfo | undefined;
  pendingQuorate: boolean | undefined;
  quorate: boolean;
  stepQueued: boolean;
  cancelledTimers: Set<number>;
  wakeAt: number;
  requests: Map<string, ActionRequest>;
  replies: Map<string, (r: WriteResult) => void>;
  reqCounter: number;
}

export function transitionShapeFromSeed(seed: number): TransitionShape {
  const prng = new Prng(seed ^ 0x7e57);
  const tokenMs = prng.pick([200, 300]);
  const kinds = [
    "crash",
    "crash-dc",
    "power",
    "restart",
    "partition",
    "heal",
    "kill-resource",
    "kill-resource",
    "loss",
    "delay",
  ];
  const faults: string[] = [];
  for (let i = prng.int(1, 5); i > 0; i--) faults.push(prng.pick(kinds));
  return {
    seed,
    nodeCount: prng.pick([3, 3, 4, 5]),
    tokenMs,
    consensusMs: Math.round(tokenMs * 1.2),
    primitives: prng.int(1, 6),
    group: prng.chance(0.5),
    clone: prng.chance(0.4),
    batchLimit: prng.pick([0, 0, 2, 5]),
    startFailRate: prng.pick([0, 0, 0.05, 0.15]),
    hangRate: prng.pick([0, 0, 0.03]),
    faultPhaseMs: prng.int(1500, 3500),
    faults,
  };
}

function configurationXml(shape: TransitionShape, prng: Prng): string {
  const op = (id: string) =>
    `<operations><op id="${id}-mon" name="monitor" interval="${prng.pick([500, 1000])}ms" timeout="2s"/>` +
    `<op id="${id}-start" name="start" interval="0" timeout="2s"/></operations>`;
  const meta = (id: string) => {
    const mt = prng.pick(["", "", "1", "3"]);
    return mt
      ? `<meta_attributes id="${id}-meta"><nvpair id="${id}-mt" name="migration-threshold" value="${mt}"/></meta_attributes>`
      : "";
  };
  const prim = (id: string) =>
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta(id)}${op(id)}</primitive>`;
  let resources = "";
  for (let i = 1; i <= shape.primitives; i++) resources += prim(`r${i}`);
  if (shape.group) resources += `<group id="g1">${prim("ga")}${prim("gb")}</group>`;
  if (shape.clone) resources += `<clone id="c1">${prim("cp")}</clone>`;
  const constraints =
    shape.primitives >= 2 && prng.chance(0.5)
      ? `<rsc_location id="loc-r1" rsc="r1" node="n${prng.int(1, shape.nodeCount)}" score="50"/>` +
        `<rsc_colocation id="col-r2" rsc="r2" with-rsc="r1" score="${prng.pick(["INFINITY", "-INFINITY", "100"])}"/>`
      : "";
  const batch =
    shape.batchLimit > 0 ? `<nvpair id="o-bl" name="batch-limit" value="${shape.batchLimit}"/>` : "";
  return (
    `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">` +
    `<configuration><crm_config><cluster_property_set id="cib-bootstrap-options">` +
    `<nvpair id="o-st" name="stonith-enabled" value="false"/><nvpair id="o-nq" name="no-quorum-policy" value="stop"/>` +
    `<nvpair id="o-cd" name="cluster-delay" value="2s"/>${batch}</cluster_property_set></crm_config>` +
    `<nodes/><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status/></cib>`
  );
}

/** Which configured primitives are clone members (allowed on several nodes). */
function cloneMembers(doc: XmlElement): Set<string> {
  const out = new Set<string>();
  const res = child(child(doc, "configuration") as XmlElement, "resources");
  for (const c of res ? childrenNamed(res, "clone") : [])
    for (const p of childrenNamed(c, "primitive")) out.add(p.attrs["id"] ?? "");
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const opStatusOf: Record<OpResult["status"], number> = {
  done: OpStatus.done,
  timeout: OpStatus.timeout,
  cancelled: OpStatus.cancelled,
  "not-found": OpStatus.notInstalled,
  "not-executable": OpStatus.error,
  "invalid-params": OpStatus.errorFatal,
  error: OpStatus.error,
};

export function runTransitionScenario(seed: number, trace?: (line: string) => void): TransitionResult {
  const shape = transitionShapeFromSeed(seed);
  const sim = new SimCluster({
    seed: seed ^ 0x5eed,
    nodeCount: shape.nodeCount,
    tokenMs: shape.tokenMs,
    consensusMs: shape.consensusMs,
    quorum: {
      expectedVotes: undefined,
      twoNode: false,
      waitForAll: false,
      lastManStanding: false,
      lastManStandingWindowMs: 10_000,
      autoTieBreaker: false,
    },
    cipher: "none",
  });
  const prng = new Prng(seed ^ 0xa9e7);
  const log = (m: string) => trace?.(`t=${sim.now().toFixed(1)} ${m}`);
  const violations: string[] = [];
  const fail = (m: string) => {
    if (violations.length < 8) violations.push(`t=${sim.now().toFixed(1)}ms ${m}`);
  };
  const nodes = sim.ids().map((id) => ({ id, name: `n${id}` }));
  const first = initialStoredCib(parseXml(configurationXml(shape, prng), "initial CIB"));
  const clones = cloneMembers(first.doc);
  const hosts = new Map<number, Host>();
  /** Ground truth: resource -> node -> the node's lost-epoch when the start was spawned. */
  const active = new Map<string, Map<number, number>>();
  const lostEpoch = new Map<number, number>(nodes.map((n) => [n.id, 0]));
  const lostMark = new Map<number, boolean>(nodes.map((n) => [n.id, false]));
  const stats = { operations: 0, transitions: 0, windows: 0 };
  const openWindows = new Set<string>();
  let agentsHealthy = false;
  /** When a resource last died: its monitor (interval at most 1 s) must have had time to see it. */
  let lastKillMs = -Infinity;

  const wall = (h: Host) => wallBaseMs + (sim.nodes.get(h.id)?.host.now() ?? sim.now());
  const nodeHost = (id: number) => sim.nodes.get(id)?.host;

  function freshHost(id: number, disk: StoredCib | null): Host {
    return {
      id,
      name: `n${id}`,
      state: null,
      disk,
      history: createOperationHistory(String(id), `n${id}`),
      exec: new ExecutorCore({ actionsInFlightMax: 4, queuedOpsMax: 1000 }),
      te: createTransitionState({ selfId: id, nodes, plan: schedule, digest: paramsDigest }),
      lastDigest: "",
      reconciledAt: "",
      pendingView: undefined,
      pendingQuorate: undefined,
      quorate: false,
      stepQueued: false,
      cancelledTimers: new Set(),
      wakeAt: Infinity,
      requests: new Map(),
      replies: new Map(),
      reqCounter: 0,
    };
  }
  for (const { id } of nodes) hosts.set(id, freshHost(id, first));

  // ---- the controller core and what follows each of its steps
  function input(h: Host, inp: ControllerInput): void {
    if (!h.state) return;
    let fx: Effect[];
    try {
      fx = controllerStep(h.state, inp);
    } catch (err) {
      fail(`node ${h.id} controller threw: ${(err as Error).message}`);
      crash(h.id, "crash");
      return;
    }
    for (const e of fx) {
      if (!h.state) return;
      if (e.type === "persist") h.disk = e.cib;
      else if (e.type === "send") sim.send(h.id, [e.to], e.body);
      else if (e.type === "reply") {
        const cb = h.replies.get(e.req);
        h.replies.delete(e.req);
        cb?.(e.result);
      } else if (trace) log(`n${h.id} ${JSON.stringify(e.event)}`);
    }
    queueStep(h);
  }

  function queueStep(h: Host): void {
    if (h.stepQueued) return;
    h.stepQueued = true;
    nodeHost(h.id)?.after(0, () => {
      h.stepQueued = false;
      afterStep(h);
    });
  }

  function submit(h: Host, write: CibWrite): void {
    const req = `w${++h.reqCounter}`;
    if (write.op === "history") h.replies.set(req, () => historyWriteAnswered(h.history, write.resource));
    input(h, { type: "submit", req, write });
  }

  function publish(h: Host): void {
    if (h.state) controllerStep(h.state, { type: "local-state", nodeState: historyNodeState(h.history) });
  }

  function afterStep(h: Host): void {
    const s = h.state;
    if (!s) return;
    if (s.cib.digest !== h.lastDigest) {
      h.lastDigest = s.cib.digest;
      if (followCib(h.history, s.cib.doc)) publish(h);
    }
    // Once per change of view, DC, quorum or CIB: a write refused at once (no quorum) is not retried in a loop.
    const key = `${s.view?.id}/${s.dc}/${s.quorate}/${s.cib.digest}`;
    if (s.dc !== null && key !== h.reconciledAt) {
      h.reconciledAt = key;
      for (const w of reconcileWrites(h.history, s.cib.doc)) submit(h, w);
    }
    const dc = roleOf(s) === "dc";
    const fx = transitionStep(
      h.te,
      {
        type: "cluster",
        dc,
        term: dc && s.lead ? s.lead.term : null,
        members: s.view?.members ?? [],
        cib: s.cib.doc,
        cibDigest: s.cib.digest,
        configDigest: configDigestOf(s),
      },
      wall(h),
    );
    performTe(h, fx);
  }

  const configDigests = new WeakMap<XmlElement, string>();
  function configDigestOf(s: ControllerState): string {
    // The configuration changes only with the epoch: (admin_epoch, epoch) names it.
    let d = configDigests.get(s.cib.doc);
    if (d === undefined) {
      d = `${s.cib.version.admin_epoch}.${s.cib.version.epoch}`;
      configDigests.set(s.cib.doc, d);
    }
    return d;
  }

  function performTe(h: Host, fx: TransitionEffect[]): void {
    for (const e of fx) {
      if (!h.state) return;
      if (e.type === "execute") {
        const members = h.state.view?.members ?? [];
        if (!members.includes(e.to))
          fail(`DC n${h.id} sent ${e.request.transitionKey} to n${e.to}, not in its view`);
        log(`n${h.id} execute ${e.request.resource}_${e.request.task}_${e.request.intervalMs} on n${e.to}`);
        if (e.to === h.id) nodeExecute(h, e.request);
        else
          sim.send(
            h.id,
            [e.to],
            encoder.encode(JSON.stringify({ t: "execute", view: h.state.view?.id, request: e.request })),
          );
      } else if (e.type === "wake") {
        if (e.atMs < h.wakeAt) {
          h.wakeAt = e.atMs;
          const at = e.atMs - wallBaseMs;
          nodeHost(h.id)?.atLocal(at, () => {
            if (h.wakeAt !== e.atMs) return;
            h.wakeAt = Infinity;
            performTe(h, transitionStep(h.te, { type: "tick" }, wall(h)));
          });
        }
      } else {
        const ev = e.event;
        if (ev.type === "transition_started") stats.transitions++;
        if (ev.type === "fencing_unavailable")
          fail(`a fence action for ${ev.node} with stonith-enabled=false`);
        if (trace) log(`n${h.id} ${JSON.stringify(ev)}`);
      }
    }
  }

  // ---- a node's executor with simulated agents
  function nodeExecute(h: Host, r: ActionRequest): void {
    h.requests.set(`${r.resource}_${r.task}_${r.intervalMs}`, r);
    const pending = pendingRecord(r, Math.floor(wall(h) / 1000));
    if (pending) record(h, pending);
    const op: OperationRequest = {
      resource: r.resource,
      agent: r.agent,
      action: r.task,
      intervalMs: r.intervalMs,
      timeoutMs: r.timeoutMs,
      params: r.params,
      meta: r.meta,
      expectedRc: r.expectedRc,
      transitionKey: r.transitionKey,
    };
    performExec(h, h.exec.request(op, wall(h)).effects);
  }

  function performExec(h: Host, fx: CoreEffect[]): void {
    for (const e of fx) {
      if (!h.state) return;
      switch (e.kind) {
        case "spawn":
          spawn(h, e.callId, e.op);
          break;
        case "setTimer":
          nodeHost(h.id)?.after(e.delayMs, () => {
            if (h.cancelledTimers.delete(e.timerId)) return;
            performExec(h, h.exec.timerFired(e.timerId));
          });
          break;
        case "clearTimer":
          h.cancelledTimers.add(e.timerId);
          break;
        case "report":
          onResult(h, e.result);
          break;
        case "journal":
          break;
      }
    }
  }

  /** A simulated agent run: its effect on the ground truth happens even if hacrmd dies meanwhile. */
  function spawn(h: Host, callId: number, op: OperationRequest): void {
    stats.operations++;
    const epoch = lostEpoch.get(h.id) ?? 0;
    const hang = !agentsHealthy && op.action === "start" && prng.chance(shape.hangRate);
    const failed = !agentsHealthy && op.action === "start" && !hang && prng.chance(shape.startFailRate);
    const delay = hang ? op.timeoutMs : prng.int(5, 80);
    sim.sched.at(sim.now() + delay, () => {
      if (hang || failed) return;
      if (op.action === "start") {
        const m = active.get(op.resource) ?? new Map<number, number>();
        if (!m.has(h.id)) m.set(h.id, epoch);
        active.set(op.resource, m);
      } else if (op.action === "stop") active.get(op.resource)?.delete(h.id);
    });
    nodeHost(h.id)?.after(delay, () => {
      const running = active.get(op.resource)?.has(h.id) ?? false;
      const rc = hang ? 1 : failed ? 1 : op.action === "monitor" ? (running ? 0 : 7) : 0;
      const status = hang ? "timeout" : "done";
      const outcome = {
        status,
        rc,
        exitCode: hang ? null : rc,
        signal: null,
        stdout: "",
        stderr: "",
        outputTruncated: false,
        durationMs: delay,
      } as const;
      performExec(h, h.exec.finished(callId, outcome, wall(h)));
    });
  }

  function onResult(h: Host, res: OpResult): void {
    const r = h.requests.get(res.key);
    record(h, {
      resource: res.resource,
      agent: res.agent,
      task: res.action,
      intervalMs: res.intervalMs,
      callId: res.callId,
      rc: res.rc,
      opStatus: opStatusOf[res.status],
      transitionKey: res.transitionKey ?? r?.transitionKey ?? "",
      execMs: Math.round(res.durationMs),
      queueMs: 0,
      nowSec: Math.floor(wall(h) / 1000),
      ...(r?.digest !== undefined ? { digest: r.digest } : {}),
    });
  }

  function record(h: Host, op: Parameters<typeof recordOperation>[1]): void {
    if (!h.state) return;
    const w = recordOperation(h.history, op, { startFailureIsFatal: true });
    if (!w) return;
    publish(h);
    submit(h, w);
  }

  // ---- membership events in
  function flush(h: Host): void {
    if (h.pendingView === undefined && h.pendingQuorate === undefined) return;
    const inp: ControllerInput = { type: "membership" };
    if (h.pendingView !== undefined) inp.view = h.pendingView;
    if (h.pendingQuorate !== undefined) inp.quorate = h.pendingQuorate;
    h.pendingView = undefined;
    h.pendingQuorate = undefined;
    input(h, inp);
  }
  const flushAll = () => {
    for (const h of hosts.values()) flush(h);
  };

  sim.observers.push((id: number, e: MembershipEvent) => {
    const h = hosts.get(id) as Host;
    if (!h.state) return;
    if (e.type === "view") {
      log(`n${id} view ${e.view.id} [${e.view.members.join(" ")}]`);
      h.pendingView = e.view;
      if (e.view.members.length * 2 > shape.nodeCount) {
        for (const n of nodes) {
          const inView = e.view.members.includes(n.id);
          if (!inView && !lostMark.get(n.id)) lostEpoch.set(n.id, (lostEpoch.get(n.id) ?? 0) + 1);
          lostMark.set(n.id, !inView);
        }
      }
    } else if (e.type === "quorum") {
      h.quorate = e.status.quorate;
      h.pendingQuorate = e.status.quorate;
    } else {
      flush(h);
      if (decoder.decode(e.body.subarray(0, 16)).startsWith('{"t":"execute"')) {
        const msg = JSON.parse(decoder.decode(e.body)) as { view: string; request: ActionRequest };
        if (h.state.view?.id === msg.view && h.state.dc === e.from) nodeExecute(h, msg.request);
        else log(`n${id} drops an execute from n${e.from}`);
        return;
      }
      input(h, { type: "deliver", from: e.from, body: e.body });
    }
  });

  function start(id: number): void {
    const old = hosts.get(id) as Host;
    if (old.state) return;
    const h = freshHost(id, old.disk);
    hosts.set(id, h);
    h.state = createControllerState({ selfId: id, nodes, validate: (d) => validateCib(d) }, h.disk);
    publish(h);
    sim.start(id);
    log(`n${id} start`);
    flush(h);
  }
  function crash(id: number, kind: "crash" | "power"): void {
    const h = hosts.get(id) as Host;
    if (!h.state) return;
    log(`n${id} ${kind}`);
    h.state = null;
    lostEpoch.set(id, (lostEpoch.get(id) ?? 0) + 1);
    if (kind === "power") for (const m of active.values()) m.delete(id);
    sim.crash(id);
  }

  // ---- invariants after every step
  let steps = 0;
  function checkStep(): void {
    if (++steps > stepsMax) throw new RunawayError(`more than ${stepsMax} simulation steps`);
    flushAll();
    for (const [rsc, m] of active) {
      if (clones.has(rsc) || m.size < 2) {
        openWindows.delete(rsc);
        continue;
      }
      const current = [...m].filter(([node, epoch]) => (lostEpoch.get(node) ?? 0) === epoch);
      if (current.length > 1)
        fail(`${rsc} is active on ${current.map(([n]) => `n${n}`).join(" and ")}, none of them lost`);
      if (!openWindows.has(rsc)) {
        openWindows.add(rsc);
        stats.windows++;
        log(`${rsc} active on ${[...m.keys()].map((n) => `n${n}`).join(", ")} (a lost node among them)`);
      }
    }
  }

  // ---- faults
  const ids = sim.ids();
  const up = () => ids.filter((id) => hosts.get(id)?.state);
  function applyFault(kind: string): void {
    log(`fault ${kind}`);
    const alive = up();
    switch (kind) {
      case "crash":
      case "power":
        if (alive.length > 0) crash(prng.pick(alive), kind);
        break;
      case "crash-dc": {
        const dc = alive.find((id) => roleOf(hosts.get(id)?.state as ControllerState) === "dc");
        if (dc !== undefined) crash(dc, "crash");
        break;
      }
      case "restart": {
        const down = ids.filter((id) => !hosts.get(id)?.state);
        if (down.length > 0) start(prng.pick(down));
        break;
      }
      case "partition": {
        const a = ids.filter(() => prng.chance(0.5));
        sim.net.partition(
          a,
          ids.filter((id) => !a.includes(id)),
        );
        break;
      }
      case "heal":
        sim.net.healAll();
        break;
      case "kill-resource": {
        const running = [...active].filter(([, m]) => m.size > 0);
        if (running.length === 0) break;
        const [rsc, m] = prng.pick(running);
        const node = prng.pick([...m.keys()]);
        m.delete(node);
        lastKillMs = sim.now();
        log(`${rsc} dies on n${node}`);
        break;
      }
      case "loss":
        sim.net.conditions.lossRate = prng.float() * 0.15;
        break;
      default:
        sim.net.conditions.delayMaxMs = 1 + prng.float() * 20;
    }
  }

  // Let the cluster form and start its resources, then the faults.
  const formMs = shape.tokenMs * 3 + 800;
  for (const kind of shape.faults) {
    const at = formMs + prng.int(0, shape.faultPhaseMs);
    sim.sched.at(at, () => applyFault(kind));
  }
  for (const id of ids) start(id);
  const faultsEnd = formMs + shape.faultPhaseMs;
  try {
    sim.runUntil(faultsEnd, checkStep);
  } catch (err) {
    if (!(err instanceof RunawayError)) throw err;
    fail(`${err.message} before the faults stopped (a loop at one virtual time?)`);
    return result(-1);
  }

  // ---- faults stop
  sim.net.healAll();
  sim.net.conditions = { ...calmNetwork };
  agentsHealthy = true;
  for (const id of ids) start(id);
  const tf = sim.now();
  const boundMs = 30_000;
  let settleMs = -1;
  let why = "";
  try {
    while (sim.sched.runOne(tf + boundMs)) {
      checkStep();
      why = unsettled();
      if (why === "") {
        settleMs = sim.now() - tf;
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof RunawayError)) throw err;
    why = `${err.message} (a loop at one virtual time?)`;
  }
  if (settleMs < 0) fail(`not settled ${boundMs} ms after the faults stopped: ${why}`);
  else checkFinal();
  log(`settled after ${settleMs} ms; ${stats.operations} operations, ${stats.transitions} transitions`);
  return result(settleMs);

  function result(settle: number): TransitionResult {
    return {
      seed,
      shape,
      violations,
      operations: stats.operations,
      transitions: stats.transitions,
      doubleActiveWindows: stats.windows,
      settleMs: settle,
    };
  }

  /** "" when settled, else what is missing. */
  function unsettled(): string {
    const live = [...hosts.values()];
    if (sim.now() < lastKillMs + 1200) return "a resource died less than a monitor interval ago";
    if (live.some((h) => !h.state)) return "a node is down";
    const states = live.map((h) => h.state as ControllerState);
    const view = states[0]?.view?.id;
    if (states.some((s) => !s.view || s.view.id !== view || s.view.members.length !== ids.length))
      return "not one view of every node";
    if (live.some((h) => !h.quorate)) return "not quorate";
    const dcs = live.filter((h) => roleOf(h.state as ControllerState) === "dc");
    if (dcs.length !== 1) return `${dcs.length} ready DCs`;
    if (new Set(states.map((s) => s.cib.digest)).size !== 1) return "CIB copies differ";
    const dc = dcs[0] as Host;
    if (dc.te.current !== null || dc.te.needPlan) return "a transition runs";
    for (const h of live) {
      if (h.history.writesInFlight.size > 0 || h.stepQueued) return `n${h.id} has history writes in flight`;
      if (h.exec.queued > 0) return `n${h.id} has operations queued`;
      const diff = historyDiff(h, (h.state as ControllerState).cib.doc);
      if (diff) return `n${h.id} history not in the CIB: ${diff}`;
    }
    return "";
  }

  function checkFinal(): void {
    const dc = [...hosts.values()].find((h) => roleOf(h.state as ControllerState) === "dc") as Host;
    const cib = (dc.state as ControllerState).cib.doc;
    const plan = schedule(cib, Math.floor(wall(dc) / 1000));
    const left = plan.graph.actions.filter((a) => !a.pseudo);
    if (left.length > 0)
      fail(
        `the scheduler still has work on the final CIB: ${left.map((a) => `${a.resource}_${a.task}_${a.intervalMs}@${a.node}`).join(", ")}`,
      );
    const placed = new Map<string, Set<string>>();
    for (const p of plan.placement) {
      const base = p.resource.replace(/:\d+$/, "");
      const s = placed.get(base) ?? new Set<string>();
      s.add(p.node);
      placed.set(base, s);
    }
    const names = new Set([...placed.keys(), ...active.keys()]);
    for (const rsc of names) {
      const want = [...(placed.get(rsc) ?? [])].sort().join(",");
      const have = [...(active.get(rsc)?.keys() ?? [])]
        .map((n) => `n${n}`)
        .sort()
        .join(",");
      if (want !== have) fail(`${rsc} runs on [${have}] but the scheduler places it on [${want}]`);
    }
  }
}

/** Ops of this node's history missing from (or different in) the CIB's status section, "" when equal. */
function historyDiff(h: Host, cib: XmlElement): string {
  const mine = opsOf(parseXml(historyNodeState(h.history), "history"));
  const status = child(cib, "status");
  const ns = status
    ? childrenNamed(status, "node_state").find((n) => n.attrs["id"] === String(h.id))
    : undefined;
  const theirs = ns ? opsOf(ns) : new Map<string, string>();
  for (const [k, v] of mine) if (theirs.get(k) !== v) return `${k} ${v} vs ${theirs.get(k) ?? "missing"}`;
  for (const k of theirs.keys()) if (!mine.has(k)) return `${k} only in the CIB`;
  return "";
}

function opsOf(ns: XmlElement): Map<string, string> {
  const out = new Map<string, string>();
  const res = child(child(ns, "lrm") ?? ns, "lrm_resources");
  for (const r of res ? childrenNamed(res, "lrm_resource") : [])
    for (const op of childrenNamed(r, "lrm_rsc_op"))
      out.set(
        `${r.attrs["id"]}/${op.attrs["id"]}`,
        `${op.attrs["call-id"]}:${op.attrs["op-status"]}:${op.attrs["rc-code"]}`,
      );
  return out;
}
