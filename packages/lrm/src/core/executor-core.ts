import { assert } from "@hacrm/common";
import type { OperationRequest } from "../classes.js";
import { isExpected } from "../codes.js";
import { noProcessOutput, operationKey, type CoreEffect, type OpOutcome, type OpResult } from "./types.js";

export interface ExecutorCoreOptions {
  /** Operations running at once on this node. */
  readonly actionsInFlightMax: number;
  /** Operations waiting to run; a request beyond this is refused with a result. */
  readonly queuedOpsMax: number;
}

interface Call {
  readonly callId: number;
  readonly op: OperationRequest;
  readonly key: string;
  state: "queued" | "running" | "idle";
  /** Recurring: cancelled while running; its outcome is dropped. */
  cancelled: boolean;
  timerId: number | undefined;
  last: OpResult | undefined;
}

const startsResource = new Set(["start", "migrate_from"]);

/**
 * The executor's pure core (style.md habits 1-2): operation queues, one
 * operation at a time per resource in request order, at most
 * `actionsInFlightMax` at once, recurring monitor schedules, and the
 * filtering of recurring results (reported when they change, failures every
 * time). Methods take an event and `nowMs` and return effects; the adapter
 * runs processes and timers.
 */
export class ExecutorCore {
  private nextCallId = 1;
  private nextTimerId = 1;
  private readonly calls = new Map<number, Call>();
  /** Queued call ids in request order. */
  private pending: number[] = [];
  /** resource -> running call id */
  private readonly busy = new Map<string, number>();
  /** recurring key -> call id */
  private readonly recurring = new Map<string, number>();
  private readonly timers = new Map<number, number>();
  private readonly last = new Map<string, OpResult>();

  constructor(private readonly opts: ExecutorCoreOptions) {
    assert(opts.actionsInFlightMax >= 1, "actionsInFlightMax >= 1");
    assert(opts.queuedOpsMax >= 1, "queuedOpsMax >= 1");
  }

  get inFlight(): number {
    return this.busy.size;
  }

  get queued(): number {
    return this.pending.length;
  }

  /** Last result of every operation key seen (recurring and one-shot). */
  lastResults(): OpResult[] {
    return [...this.last.values()];
  }

  /** The recurring operations scheduled now. */
  recurringOps(): OperationRequest[] {
    return [...this.recurring.values()].flatMap((id) => {
      const op = this.calls.get(id)?.op;
      return op ? [op] : [];
    });
  }

  /** A new operation. Returns its call id with the effects. */
  request(op: OperationRequest, nowMs: number): { callId: number; effects: CoreEffect[] } {
    const effects: CoreEffect[] = [];
    const key = operationKey(op.resource, op.action, op.intervalMs);
    if (op.action === "stop") effects.push(...this.cancelResource(op.resource, nowMs));
    if (op.intervalMs > 0 && this.recurring.has(key))
      effects.push(...this.cancel(op.resource, op.action, op.intervalMs, nowMs));
    const callId = this.nextCallId++;
    const call: Call = {
      callId,
      op,
      key,
      state: "idle",
      cancelled: false,
      timerId: undefined,
      last: undefined,
    };
    if (this.pending.length >= this.opts.queuedOpsMax) {
      effects.push({ kind: "report", result: this.refused(call, nowMs) });
      return { callId, effects };
    }
    this.calls.set(callId, call);
    if (op.intervalMs > 0) this.recurring.set(key, callId);
    this.enqueue(call);
    effects.push(...this.dispatch());
    return { callId, effects };
  }

  /** Cancel a recurring monitor (or a queued one-shot operation with that key). */
  cancel(resource: string, action: string, intervalMs: number, nowMs: number): CoreEffect[] {
    const key = operationKey(resource, action, intervalMs);
    const callId = this.recurring.get(key) ?? this.pending.find((id) => this.calls.get(id)?.key === key);
    const call = callId === undefined ? undefined : this.calls.get(callId);
    if (!call) return [];
    const effects: CoreEffect[] = [];
    this.recurring.delete(key);
    if (call.timerId !== undefined) {
      effects.push({ kind: "clearTimer", timerId: call.timerId });
      this.timers.delete(call.timerId);
      call.timerId = undefined;
    }
    if (call.state === "running") call.cancelled = true;
    else {
      this.pending = this.pending.filter((id) => id !== call.callId);
      this.calls.delete(call.callId);
    }
    effects.push({ kind: "report", result: this.cancelledResult(call, nowMs) });
    return effects;
  }

  /** Cancel every recurring operation of `resource` (done before its stop). */
  cancelResource(resource: string, nowMs: number): CoreEffect[] {
    const effects: CoreEffect[] = [];
    for (const callId of [...this.recurring.values()]) {
      const op = this.calls.get(callId)?.op;
      if (op && op.resource === resource)
        effects.push(...this.cancel(resource, op.action, op.intervalMs, nowMs));
    }
    return effects;
  }

  /** The adapter finished running call `callId`. */
  finished(callId: number, outcome: OpOutcome, nowMs: number): CoreEffect[] {
    const call = this.calls.get(callId);
    assert(call !== undefined && call.state === "running", `finished: call ${callId} is running`);
    assert(this.busy.get(call.op.resource) === callId, `finished: ${call.op.resource} runs call ${callId}`);
    this.busy.delete(call.op.resource);
    const effects: CoreEffect[] = [];
    if (call.cancelled) {
      this.calls.delete(callId);
    } else {
      const result = this.result(call, outcome, nowMs);
      this.last.set(call.key, result);
      if (call.op.intervalMs > 0) effects.push(...this.afterRecurring(call, result));
      else {
        this.calls.delete(callId);
        effects.push({ kind: "report", result });
      }
      effects.push(...this.journalAfter(call.op, result));
    }
    effects.push(...this.dispatch());
    return effects;
  }

  /** A recurring monitor's interval timer fired. */
  timerFired(timerId: number): CoreEffect[] {
    const callId = this.timers.get(timerId);
    this.timers.delete(timerId);
    const call = callId === undefined ? undefined : this.calls.get(callId);
    if (!call || call.timerId !== timerId) return [];
    call.timerId = undefined;
    assert(call.state === "idle", `timer: recurring ${call.key} idle when its timer fires`);
    this.enqueue(call);
    return this.dispatch();
  }

  private enqueue(call: Call): void {
    call.state = "queued";
    this.pending.push(call.callId);
  }

  private afterRecurring(call: Call, result: OpResult): CoreEffect[] {
    const prev = call.last;
    const changed = !prev || prev.status !== result.status || prev.rc !== result.rc;
    const failed =
      !isExpected(call.op.action, result.rc, call.op.expectedRc ?? 0) || result.status !== "done";
    const repeat = changed ? 1 : (prev?.repeat ?? 0) + 1;
    const kept: OpResult = { ...result, repeat };
    call.last = kept;
    this.last.set(call.key, kept);
    call.state = "idle";
    const timerId = this.nextTimerId++;
    call.timerId = timerId;
    this.timers.set(timerId, call.callId);
    const effects: CoreEffect[] = [{ kind: "setTimer", timerId, delayMs: call.op.intervalMs }];
    if (changed || failed) effects.unshift({ kind: "report", result: kept });
    return effects;
  }

  /** Start queued operations while there is room: first queued, per resource one at a time. */
  private dispatch(): CoreEffect[] {
    const effects: CoreEffect[] = [];
    if (this.busy.size >= this.opts.actionsInFlightMax) return effects;
    const stay: number[] = [];
    const blocked = new Set<string>();
    for (const callId of this.pending) {
      const call = this.calls.get(callId);
      assert(call !== undefined, `dispatch: queued call ${callId} exists`);
      const r = call.op.resource;
      if (this.busy.size >= this.opts.actionsInFlightMax || this.busy.has(r) || blocked.has(r)) {
        blocked.add(r);
        stay.push(callId);
        continue;
      }
      call.state = "running";
      this.busy.set(r, callId);
      if (startsResource.has(call.op.action)) {
        effects.push({
          kind: "journal",
          resource: r,
          agent: call.op.agent,
          state: "maybe-active",
          params: call.op.params,
        });
      }
      effects.push({ kind: "spawn", callId, op: call.op });
    }
    this.pending = stay;
    assert(this.busy.size <= this.opts.actionsInFlightMax, "no more than actionsInFlightMax in flight");
    return effects;
  }

  private journalAfter(op: OperationRequest, r: OpResult): CoreEffect[] {
    const probe = op.action === "monitor" && op.intervalMs === 0;
    const gone =
      (op.action === "stop" && r.status === "done" && r.rc === 0) ||
      (probe && r.status === "done" && r.rc === 7);
    const found = probe && r.status === "done" && (r.rc === 0 || r.rc === 8);
    if (gone)
      return [
        { kind: "journal", resource: op.resource, agent: op.agent, state: "stopped", params: op.params },
      ];
    if (found)
      return [
        { kind: "journal", resource: op.resource, agent: op.agent, state: "maybe-active", params: op.params },
      ];
    return [];
  }

  private result(call: Call, o: OpOutcome, nowMs: number): OpResult {
    const { op } = call;
    return {
      ...o,
      callId: call.callId,
      key: call.key,
      resource: op.resource,
      agent: op.agent,
      action: op.action,
      intervalMs: op.intervalMs,
      finishedMs: nowMs,
      repeat: 1,
      ...(op.transitionKey !== undefined ? { transitionKey: op.transitionKey } : {}),
    };
  }

  private cancelledResult(call: Call, nowMs: number): OpResult {
    return this.result(call, { ...noProcessOutput, status: "cancelled", rc: 0, reason: "cancelled" }, nowMs);
  }

  private refused(call: Call, nowMs: number): OpResult {
    const reason = `queue full (${this.opts.queuedOpsMax} operations waiting)`;
    return this.result(call, { ...noProcessOutput, status: "error", rc: 1, reason }, nowMs);
  }
}
