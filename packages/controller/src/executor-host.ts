/**
 * hacrmd's glue for steps 5-7 of the data flow: every daemon runs an
 * executor (packages/lrm) and keeps its own operation history; the DC runs
 * the transition engine on every change of its CIB or membership.
 *
 * - Node side: an `execute` from the DC of this view (a message, or a local
 *   call on the DC itself) is recorded as pending, then run by the executor;
 *   every result it reports (recurring monitors: changes and failures) is
 *   recorded in the history and written to the CIB as a `history` write.
 *   The history is also this node's `local-state`: what it reports when it
 *   joins a DC, so results survive DC changes.
 * - DC side: after every controller step, the transition core gets the
 *   role, term, members and CIB; its effects are performed here (execute,
 *   wake timers, log events).
 */
import {
  booleanOr,
  child,
  childrenNamed,
  clusterOptionText,
  configurationDigest,
  durationMs,
  type XmlElement,
} from "@hacrm/cib";
import { createSystemTimerHost, systemClock, type Logger, type TimerHandle } from "@hacrm/common";
import { Executor, resolveAgentPaths, type ExecutorSettings, type OpResult } from "@hacrm/lrm";
import { paramsDigest, schedule } from "@hacrm/policy";
import type { CibHost } from "./cib-host.js";
import {
  OpStatus,
  pendingRecord,
  activeResources,
  createOperationHistory,
  setNodeAttribute,
  createTransitionState,
  followCib,
  historyNodeState,
  historyWriteAnswered,
  reconcileWrites,
  recordOperation,
  roleOf,
  transitionStep,
  type ActionRequest,
  type CibWrite,
  type ControllerNode,
  type ExecutedOp,
  type OperationHistory,
  type TransitionEffect,
  type TransitionState,
} from "./core/index.js";

export interface ExecutorHostOptions {
  selfId: number;
  nodeName: string;
  nodes: ControllerNode[];
  /** The executor's folder: its journal and the agents' HA_RSCTMP. */
  stateDir: string;
  settings: ExecutorSettings;
}

export interface ExecutorHostDeps {
  cib: CibHost;
  send: (to: number, body: Uint8Array) => void;
  logger: Logger;
}

/** The one message of this layer: the DC asks a node's executor to run an action. */
interface ExecuteMsg {
  t: "execute";
  view: string;
  request: ActionRequest;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether a delivered message is an `execute` (and not one of the controller core's). */
export function isExecuteMessage(body: Uint8Array): boolean {
  // Cheap test on the JSON prefix: every message starts with {"t":"...".
  return decoder.decode(body.subarray(0, 16)).startsWith('{"t":"execute"');
}

const opStatusOf: Record<OpResult["status"], number> = {
  done: OpStatus.done,
  timeout: OpStatus.timeout,
  cancelled: OpStatus.cancelled,
  "not-found": OpStatus.notInstalled,
  "not-executable": OpStatus.error,
  "invalid-params": OpStatus.errorFatal,
  error: OpStatus.error,
};

export class ExecutorHost {
  readonly executor: Executor;
  readonly history: OperationHistory;
  readonly transition: TransitionState;
  /** The requests this node runs, by call key, for the digest and transition key of their results. */
  private readonly requests = new Map<string, ActionRequest>();
  private readonly sentAt = new Map<string, number>();
  private wake: TimerHandle | null = null;
  private wakeAtMs = Infinity;
  private readonly timers = createSystemTimerHost();
  private lastDigest = "";
  private configDigest = "";
  private closed = false;
  private stepQueued = false;
  private reconciledAt = "";

  constructor(
    private readonly opts: ExecutorHostOptions,
    private readonly deps: ExecutorHostDeps,
  ) {
    const s = opts.settings;
    this.executor = new Executor(
      {
        nodeName: opts.nodeName,
        stateDir: opts.stateDir,
        paths: resolveAgentPaths({ env: process.env, configOcfDirs: [...s.ocfDirs] }),
        ...(s.actionsInFlightMax !== undefined ? { actionsInFlightMax: s.actionsInFlightMax } : {}),
        ...(s.queuedOpsMax !== undefined ? { queuedOpsMax: s.queuedOpsMax } : {}),
        ...(s.killGraceMs !== undefined ? { killGraceMs: s.killGraceMs } : {}),
        ...(s.outputBytesMax !== undefined ? { outputBytesMax: s.outputBytesMax } : {}),
      },
      { clock: systemClock, timers: this.timers, logger: deps.logger },
    );
    this.history = createOperationHistory(String(opts.selfId), opts.nodeName);
    this.transition = createTransitionState({
      selfId: opts.selfId,
      nodes: opts.nodes,
      plan: (cib, nowSec) => schedule(cib, nowSec),
      digest: paramsDigest,
    });
    this.executor.onResult((r) => this.onResult(r));
    this.publishLocalState();
  }

  /**
   * A message from another node's controller that `isExecuteMessage`
   * accepted; handled after the membership events already queued reach the
   * controller core (the view it names may have just been installed).
   */
  onMessage(from: number, body: Uint8Array): void {
    setImmediate(() => this.handleMessage(from, body));
  }

  private handleMessage(from: number, body: Uint8Array): void {
    let msg: ExecuteMsg;
    try {
      msg = JSON.parse(decoder.decode(body)) as ExecuteMsg;
    } catch {
      this.deps.logger.warn({ event: "message_dropped", from, reason: "not an execute message" });
      return;
    }
    const s = this.deps.cib.state;
    if (!s.view || msg.view !== s.view.id || from !== s.dc) {
      this.deps.logger.warn({ event: "execute_dropped", from, reason: "not from the DC of this view" });
      return;
    }
    this.execute(msg.request);
  }

  /**
   * After every controller step: follow the CIB (cleanups), and run the
   * transition engine, once per turn of the event loop (a local action's
   * pending record is itself a controller step: never re-entered).
   */
  afterControllerStep(): void {
    if (this.stepQueued) return;
    this.stepQueued = true;
    queueMicrotask(() => {
      this.stepQueued = false;
      this.step();
    });
  }

  private step(): void {
    if (this.closed) return;
    const s = this.deps.cib.state;
    if (s.cib.digest !== this.lastDigest) {
      this.lastDigest = s.cib.digest;
      this.configDigest = configurationDigest(s.cib.doc);
      if (followCib(this.history, s.cib.doc)) this.publishLocalState();
    }
    // Joined to a DC: what this node's history has and the CIB lacks (a refused write) goes again.
    // Once per change of view, DC, quorum or CIB: a write refused at once (no quorum) is not retried in a loop.
    const key = `${s.view?.id}/${s.dc}/${s.quorate}/${s.cib.digest}`;
    if (s.dc !== null && key !== this.reconciledAt) {
      this.reconciledAt = key;
      for (const w of reconcileWrites(this.history, s.cib.doc)) this.submitWrite(w);
    }
    const dc = roleOf(s) === "dc";
    this.performAll(
      transitionStep(
        this.transition,
        {
          type: "cluster",
          dc,
          term: dc && s.lead ? s.lead.term : null,
          members: s.view?.members ?? [],
          cib: s.cib.doc,
          cibDigest: s.cib.digest,
          configDigest: this.configDigest,
        },
        Date.now(),
      ),
    );
  }

  /**
   * SIGTERM: ask the cluster to move or stop what runs on this node (the
   * `shutdown` transient attribute, as Pacemaker's controller sets it; the
   * scheduler then places nothing here), and resolve once this node's
   * history says nothing may be active here and no operation runs, or after
   * the CIB's `shutdown-escalation` (default 20 min).
   */
  async leave(): Promise<"clean" | "escalated"> {
    const doc = this.deps.cib.state.cib.doc;
    const escalationMs = durationMs(
      clusterOptionText("shutdown-escalation", optionValue(doc, "shutdown-escalation")) ?? "20min",
      "shutdown-escalation",
    );
    const at = String(Math.floor(Date.now() / 1000));
    this.submitWrite(setNodeAttribute(this.history, "shutdown", at));
    this.publishLocalState();
    this.deps.logger.info({ event: "shutdown_requested", node: this.opts.nodeName, escalationMs });
    const until = Date.now() + escalationMs;
    while (Date.now() < until) {
      const active = activeResources(this.history);
      if (active.length === 0 && this.executor.inFlight === 0) return "clean";
      await new Promise((r) => setTimeout(r, 100));
    }
    this.deps.logger.warn({
      event: "shutdown_escalated",
      active: activeResources(this.history),
      message: "leaving with resources that may still be active here",
    });
    return "escalated";
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.wake) this.timers.clearTimer(this.wake);
    await this.executor.close();
  }

  private performAll(effects: TransitionEffect[]): void {
    for (const e of effects) this.perform(e);
  }

  private perform(e: TransitionEffect): void {
    switch (e.type) {
      case "execute": {
        if (e.to === this.opts.selfId) {
          this.execute(e.request);
          return;
        }
        const view = this.deps.cib.state.view?.id ?? "";
        const msg: ExecuteMsg = { t: "execute", view, request: e.request };
        this.deps.send(e.to, encoder.encode(JSON.stringify(msg)));
        return;
      }
      case "wake":
        this.armWake(e.atMs);
        return;
      case "event":
        this.deps.logger.info({ ...e.event, event: e.event.type, type: undefined });
        return;
    }
  }

  private armWake(atMs: number): void {
    if (atMs >= this.wakeAtMs && this.wake) return;
    if (this.wake) this.timers.clearTimer(this.wake);
    this.wakeAtMs = atMs;
    this.wake = this.timers.setTimer(Math.max(0, atMs - Date.now()), () => {
      this.wake = null;
      this.wakeAtMs = Infinity;
      if (!this.closed) this.performAll(transitionStep(this.transition, { type: "tick" }, Date.now()));
    });
  }

  /** Run an action for the DC: recorded as pending first, then handed to the executor. */
  private execute(r: ActionRequest): void {
    const key = `${r.resource}_${r.task}_${r.intervalMs}`;
    this.requests.set(key, r);
    this.sentAt.set(key, Date.now());
    const pending = pendingRecord(r, Math.floor(Date.now() / 1000));
    if (pending) this.record(pending);
    void this.executor
      .execute({
        resource: r.resource,
        agent: r.agent,
        action: r.task,
        intervalMs: r.intervalMs,
        timeoutMs: r.timeoutMs,
        params: r.params,
        meta: r.meta,
        expectedRc: r.expectedRc,
        transitionKey: r.transitionKey,
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ event: "execute_failed", key, error: String(err) });
      });
  }

  private onResult(res: OpResult): void {
    if (this.closed) return;
    const r = this.requests.get(res.key);
    const op: ExecutedOp = {
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
      nowSec: Math.floor(Date.now() / 1000),
      ...(r?.digest !== undefined ? { digest: r.digest } : {}),
      ...(res.exitReason !== undefined ? { exitReason: res.exitReason } : {}),
    };
    this.record(op);
  }

  private record(op: ExecutedOp): void {
    const doc = this.deps.cib.state.cib.doc;
    const write = recordOperation(this.history, op, { startFailureIsFatal: startFailureIsFatal(doc) });
    if (!write) return;
    this.publishLocalState();
    this.submitWrite(write);
  }

  private submitWrite(write: CibWrite): void {
    const resource = write.op === "history" ? write.resource : "";
    void this.deps.cib.submit(write).then((result) => {
      historyWriteAnswered(this.history, resource);
      if (!result.ok)
        this.deps.logger.info({
          event: "history_write_deferred",
          resource,
          code: result.error.code,
          message: "written again once this node is joined to a DC",
        });
    });
  }

  private publishLocalState(): void {
    this.deps.cib.setLocalState(historyNodeState(this.history));
  }
}

/** Operations whose pending record matters to a DC elected while they run (not probes and monitors). */
function optionValue(doc: XmlElement, name: string): string | undefined {
  const conf = child(doc, "configuration");
  const crm = conf ? child(conf, "crm_config") : undefined;
  let value: string | undefined;
  for (const set of crm ? childrenNamed(crm, "cluster_property_set") : [])
    for (const nv of childrenNamed(set, "nvpair")) if (nv.attrs["name"] === name) value = nv.attrs["value"];
  return value;
}

function startFailureIsFatal(doc: XmlElement): boolean {
  return booleanOr(optionValue(doc, "start-failure-is-fatal"), true);
}
