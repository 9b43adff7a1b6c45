import { describe, expect, it } from "vitest";
import { NodeHost, Prng, Scheduler } from "@hacrm/sim";
import {
  ExecutorCore,
  type CoreEffect,
  type OperationRequest,
  type OpOutcome,
  type OpResult,
} from "@hacrm/lrm";

/**
 * The executor's pure core in the simulator (packages/sim): a NodeHost on the
 * shared Scheduler plays the adapter, performing the core's effects one at a
 * time (operations take a scripted time, timers fire at their virtual time),
 * so a minute of recurring monitors takes milliseconds.
 */
class Sim {
  readonly sched = new Scheduler();
  readonly host: NodeHost;
  reports: OpResult[] = [];
  spawned: { callId: number; op: OperationRequest; atMs: number }[] = [];
  maxInFlight = 0;
  private running = new Set<string>();
  constructor(
    readonly core: ExecutorCore,
    /** How long an operation runs and what it returns. */
    readonly behave: (
      op: OperationRequest,
      nowMs: number,
    ) => { durationMs: number; rc: number; status?: OpOutcome["status"] },
  ) {
    this.host = new NodeHost(this.sched, new Prng(1), { id: 1 });
    this.host.start();
  }

  get nowMs(): number {
    return this.host.now();
  }

  request(op: OperationRequest): number {
    const { callId, effects } = this.core.request(op, this.nowMs);
    this.apply(effects);
    return callId;
  }

  cancel(resource: string, action: string, intervalMs: number): void {
    this.apply(this.core.cancel(resource, action, intervalMs, this.nowMs));
  }

  runUntil(endMs: number): void {
    while (this.sched.runOne(endMs));
  }

  apply(effects: readonly CoreEffect[]): void {
    this.host.apply(effects, (e) => {
      if (e.kind === "report") this.reports.push(e.result);
      if (e.kind === "setTimer")
        this.host.after(e.delayMs, () => this.apply(this.core.timerFired(e.timerId)));
      if (e.kind === "spawn") this.spawn(e.callId, e.op);
    });
  }

  private spawn(callId: number, op: OperationRequest): void {
    expect(this.running.has(op.resource), `two operations on ${op.resource} at once`).toBe(false);
    this.running.add(op.resource);
    this.maxInFlight = Math.max(this.maxInFlight, this.running.size);
    this.spawned.push({ callId, op, atMs: this.nowMs });
    const b = this.behave(op, this.nowMs);
    this.host.after(b.durationMs, () => {
      this.running.delete(op.resource);
      const o: OpOutcome = {
        status: b.status ?? "done",
        rc: b.rc,
        exitCode: b.rc,
        signal: null,
        stdout: "",
        stderr: "",
        outputTruncated: false,
        durationMs: b.durationMs,
      };
      this.apply(this.core.finished(callId, o, this.nowMs));
    });
  }
}

function op(
  resource: string,
  action: string,
  intervalMs = 0,
  extra: Partial<OperationRequest> = {},
): OperationRequest {
  return { resource, agent: "ocf:hacrm:Dummy", action, intervalMs, timeoutMs: 20_000, params: {}, ...extra };
}

/** Seeded with the simulator's PRNG: a failing seed replays exactly. */
function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

describe("executor core", () => {
  it("runs operations on one resource one after another, in request order", () => {
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 8, queuedOpsMax: 100 }), () => ({
      durationMs: 100,
      rc: 0,
    }));
    for (const a of ["start", "monitor", "stop", "start"])
      sim.request(op("r1", a, 0, { transitionKey: `t:${a}` }));
    sim.runUntil(10_000);
    expect(sim.spawned.map((s) => `${s.op.action}@${s.atMs}`)).toEqual([
      "start@0",
      "monitor@100",
      "stop@200",
      "start@300",
    ]);
    expect(sim.reports.map((r) => r.transitionKey)).toEqual(["t:start", "t:monitor", "t:stop", "t:start"]);
  });

  it("never runs more than actionsInFlightMax at once, and serves waiting resources first come first served", () => {
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 3, queuedOpsMax: 100 }), () => ({
      durationMs: 50,
      rc: 0,
    }));
    for (let i = 0; i < 10; i++) sim.request(op(`r${i}`, "start"));
    expect(sim.core.inFlight).toBe(3);
    expect(sim.core.queued).toBe(7);
    sim.runUntil(1000);
    expect(sim.maxInFlight).toBe(3);
    expect(sim.spawned.map((s) => s.op.resource)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(sim.reports).toHaveLength(10);
  });

  it("a busy resource does not hold back the others", () => {
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 2, queuedOpsMax: 100 }), (o) => ({
      durationMs: o.resource === "slow" ? 1000 : 10,
      rc: 0,
    }));
    sim.request(op("slow", "start"));
    sim.request(op("slow", "monitor"));
    sim.request(op("fast", "start"));
    sim.request(op("fast", "monitor"));
    sim.runUntil(100);
    expect(sim.reports.map((r) => r.key)).toEqual(["fast_start_0", "fast_monitor_0"]);
  });

  it("reports recurring results only when they change, failures every time, and keeps the last", () => {
    let rc = 0;
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 4, queuedOpsMax: 100 }), () => ({
      durationMs: 10,
      rc,
    }));
    sim.request(op("r1", "monitor", 1000));
    sim.runUntil(5_500); // runs at 0, 1010, 2020, 3030, 4040, 5050: all rc 0
    expect(sim.reports).toHaveLength(1);
    expect(sim.core.lastResults().find((r) => r.key === "r1_monitor_1000")?.repeat).toBe(6);
    rc = 7;
    sim.runUntil(8_000); // 6060, 7070: failures are reported every time
    expect(sim.reports.map((r) => r.rc)).toEqual([0, 7, 7]);
    rc = 0;
    sim.runUntil(10_500); // 8080 changes back to 0, 9090 and 10100 do not
    expect(sim.reports.map((r) => r.rc)).toEqual([0, 7, 7, 0]);
    expect(sim.core.lastResults().find((r) => r.key === "r1_monitor_1000")).toMatchObject({
      rc: 0,
      repeat: 3,
    });
  });

  it("a promoted monitor expects 8: 8 is quiet, 0 is a failure reported every time", () => {
    let rc = 8;
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 4, queuedOpsMax: 100 }), () => ({
      durationMs: 10,
      rc,
    }));
    sim.request(op("r1", "monitor", 1000, { expectedRc: 8 }));
    sim.runUntil(3_000);
    expect(sim.reports.map((r) => r.rc)).toEqual([8]);
    rc = 0;
    sim.runUntil(6_000);
    expect(sim.reports.map((r) => r.rc)).toEqual([8, 0, 0, 0]);
  });

  it("cancelling a monitor stops its schedule, also while it runs; a stop cancels the resource's monitors first", () => {
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 4, queuedOpsMax: 100 }), () => ({
      durationMs: 100,
      rc: 0,
    }));
    sim.request(op("r1", "monitor", 1000));
    sim.request(op("r2", "monitor", 1000));
    sim.runUntil(1050); // r1 and r2 run at 0 and at 1100 (after 100 ms + 1000 ms)
    sim.runUntil(1150); // both are running now
    sim.cancel("r1", "monitor", 1000);
    sim.request(op("r2", "stop"));
    sim.runUntil(10_000);
    const runs = (r: string) =>
      sim.spawned.filter((s) => s.op.resource === r && s.op.action === "monitor").length;
    expect(runs("r1")).toBe(2);
    expect(runs("r2")).toBe(2);
    expect(sim.core.recurringOps()).toEqual([]);
    expect(
      sim.reports
        .filter((r) => r.status === "cancelled")
        .map((r) => r.resource)
        .sort(),
    ).toEqual(["r1", "r2"]);
    expect(sim.reports.at(-1)?.key).toBe("r2_stop_0");
  });

  it("refuses requests beyond queuedOpsMax with an error result instead of growing", () => {
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 1, queuedOpsMax: 2 }), () => ({
      durationMs: 10,
      rc: 0,
    }));
    for (let i = 0; i < 5; i++) sim.request(op(`r${i}`, "start"));
    expect(sim.reports.filter((r) => r.status === "error").map((r) => r.resource)).toEqual(["r3", "r4"]);
    sim.runUntil(1000);
    expect(sim.reports.filter((r) => r.status === "done")).toHaveLength(3);
  });

  it("asks the journal to remember a start before it runs and to forget it after a successful stop or a probe that finds it stopped", () => {
    const journal: string[] = [];
    const core = new ExecutorCore({ actionsInFlightMax: 4, queuedOpsMax: 100 });
    const sim = new Sim(core, (o) => ({ durationMs: 10, rc: o.action === "monitor" ? 7 : 0 }));
    const orig = sim.apply.bind(sim);
    sim.apply = (effects) => {
      for (const e of effects) if (e.kind === "journal") journal.push(`${e.resource}:${e.state}`);
      orig(effects);
    };
    sim.request(op("a", "start"));
    sim.request(op("b", "start"));
    sim.request(op("a", "stop"));
    sim.request(op("b", "monitor")); // a probe: rc 7, not running
    sim.runUntil(1000);
    expect(journal).toEqual(["a:maybe-active", "b:maybe-active", "a:stopped", "b:stopped"]);
  });

  it("50 recurring monitors for a minute of virtual time: each runs on schedule, one run at a time, within the limit", () => {
    const seed = 20261121;
    const rand = prng(seed);
    const intervalMs = 1000;
    const sim = new Sim(new ExecutorCore({ actionsInFlightMax: 8, queuedOpsMax: 1000 }), () => ({
      durationMs: 5 + Math.floor(rand() * 60),
      rc: rand() < 0.02 ? 1 : 0,
    }));
    for (let i = 0; i < 50; i++) sim.request(op(`rsc${i}`, "monitor", intervalMs));
    sim.runUntil(60_000);
    expect(sim.maxInFlight).toBeLessThanOrEqual(8);
    for (let i = 0; i < 50; i++) {
      const starts = sim.spawned.filter((s) => s.op.resource === `rsc${i}`).map((s) => s.atMs);
      // once at 0, then every interval plus the run time and any wait for a slot
      expect(starts.length, `seed ${seed}, rsc${i}`).toBeGreaterThanOrEqual(45);
      expect(starts.length).toBeLessThanOrEqual(60);
      for (let k = 1; k < starts.length; k++)
        expect((starts[k] ?? 0) - (starts[k - 1] ?? 0)).toBeGreaterThanOrEqual(intervalMs);
    }
    // every failure is reported, and every change back to ok; steady ok runs are not
    const failures = sim.reports.filter((r) => r.rc !== 0).length;
    expect(failures).toBeGreaterThan(0);
    expect(sim.reports.length).toBeLessThan(sim.spawned.length / 4);
    expect(sim.core.lastResults()).toHaveLength(50);
  });
});
