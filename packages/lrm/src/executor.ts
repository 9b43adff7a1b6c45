import { mkdirSync } from "node:fs";
import {
  HacrmError,
  isHacrmError,
  type Clock,
  type Logger,
  type TimerHandle,
  type TimerHost,
} from "@hacrm/common";
import { locateAgent, defaultPath, classCheckOptions } from "./agents.js";
import { readAgentMetadataXml } from "./agents.js";
import type { AgentClassName } from "./agent-spec.js";
import type { BaseEnvironment, OperationRequest } from "./classes.js";
import { ExecutorCore } from "./core/executor-core.js";
import type { CoreEffect, OpOutcome, OpResult } from "./core/types.js";
import { checkParameters, parseAgentMetadata, type AgentMetadata } from "./metadata.js";
import { projectAgentsDir, resolveAgentPaths, type AgentPaths } from "./paths.js";
import { StartJournal, type JournalEntry } from "./journal.js";
import { createProcessRunner, type ProcessRunner } from "./runner.js";

/**
 * Without a configured grace, SIGKILL follows the timeout's SIGTERM after a
 * tenth of the timeout, from 200 ms to 5 s: an agent that ignores SIGTERM
 * under a 2 s timeout ends at ~2.2 s, not 7 s.
 */
export function defaultKillGraceMs(timeoutMs: number): number {
  return Math.min(5000, Math.max(200, Math.round(timeoutMs / 10)));
}

export interface ExecutorOptions {
  /** This node's name (HACRM_NODE, OCF_RESKEY_CRM_meta_on_node). */
  readonly nodeName: string;
  /** Agents' state folder: HA_RSCTMP, and the attribute store unless `attributeDir` is given. */
  readonly stateDir: string;
  readonly paths?: AgentPaths;
  readonly actionsInFlightMax?: number;
  readonly queuedOpsMax?: number;
  readonly outputBytesMax?: number;
  readonly killGraceMs?: number;
  /** Check instance attributes against the agent's meta-data before running it. */
  readonly checkParams?: boolean;
  /** Executable agents call to set node attributes (HACRM_ATTRIBUTE_TOOL); default agents/bin/hacrm-attribute. */
  readonly attributeTool?: string;
  /** Folder of the local attribute store (HACRM_ATTR_DIR). */
  readonly attributeDir?: string;
  /** SQLite file of the start journal; default STATEDIR/executor.db. */
  readonly journalPath?: string;
  /** More variables for every agent (e.g. CIB_file for the attribute tool). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface ExecutorDeps {
  readonly clock: Clock;
  readonly timers: TimerHost;
  readonly logger: Logger;
  readonly runner?: ProcessRunner;
}

export type ResultListener = (r: OpResult) => void;

const noOutput = {
  stdout: "",
  stderr: "",
  outputTruncated: false,
  exitCode: null,
  signal: null,
  durationMs: 0,
};

/**
 * The executor: the pure core plus the effects it asks for (processes,
 * timers, the start journal, result listeners).
 */
export class Executor {
  private readonly core: ExecutorCore;
  private readonly paths: AgentPaths;
  private readonly runner: ProcessRunner;
  private readonly journal: StartJournal;
  private readonly timerHandles = new Map<number, TimerHandle>();
  private readonly waiters = new Map<number, (r: OpResult) => void>();
  private readonly listeners = new Set<ResultListener>();
  private readonly metadata = new Map<string, Promise<AgentMetadata | undefined>>();
  private readonly running = new Set<Promise<void>>();
  private readonly recovered: JournalEntry[];
  private closed = false;

  constructor(
    private readonly opts: ExecutorOptions,
    private readonly deps: ExecutorDeps,
  ) {
    this.core = new ExecutorCore({
      actionsInFlightMax: opts.actionsInFlightMax ?? 4,
      queuedOpsMax: opts.queuedOpsMax ?? 10_000,
    });
    this.paths = opts.paths ?? resolveAgentPaths({ env: process.env });
    this.runner = deps.runner ?? createProcessRunner({ clock: deps.clock, timers: deps.timers });
    mkdirSync(`${opts.stateDir}/rsctmp`, { recursive: true });
    this.journal = new StartJournal(opts.journalPath ?? `${opts.stateDir}/executor.db`);
    this.recovered = this.journal.entries();
    if (this.recovered.length > 0) {
      deps.logger.warn(
        { event: "executor_recovered", resources: this.recovered.map((e) => e.resource) },
        "resources may still be running",
      );
    }
  }

  /** Resources started before the last restart and never seen stopping: they may still run. */
  mayStillBeRunning(): JournalEntry[] {
    return this.recovered;
  }

  /** Resources the journal holds now. */
  journalEntries(): JournalEntry[] {
    return this.journal.entries();
  }

  /** The environment every agent gets besides its class's own variables. */
  baseEnvironment(): BaseEnvironment {
    return executorBaseEnv(this.opts);
  }

  onResult(listener: ResultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Run an operation; resolves with its (first) result. Recurring monitors go on until cancelled. */
  execute(op: OperationRequest): Promise<OpResult> {
    if (this.closed) throw new HacrmError({ code: "EXECUTOR_CLOSED", message: "the executor is shut down" });
    const meta = { on_node: this.opts.nodeName, ...(op.meta ?? {}) };
    const { callId, effects } = this.core.request({ ...op, meta }, this.deps.clock.nowMs());
    const p = new Promise<OpResult>((resolve) => this.waiters.set(callId, resolve));
    this.apply(effects);
    return p;
  }

  cancel(resource: string, action: string, intervalMs: number): void {
    this.apply(this.core.cancel(resource, action, intervalMs, this.deps.clock.nowMs()));
  }

  lastResults(): OpResult[] {
    return this.core.lastResults();
  }

  get inFlight(): number {
    return this.core.inFlight;
  }

  /** Cancel every recurring monitor, wait for running operations, close the journal. */
  async close(): Promise<void> {
    for (const op of this.core.recurringOps()) this.cancel(op.resource, op.action, op.intervalMs);
    this.closed = true;
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.journal.close();
  }

  private apply(effects: readonly CoreEffect[]): void {
    for (const e of effects) this.applyOne(e);
  }

  private applyOne(e: CoreEffect): void {
    switch (e.kind) {
      case "spawn": {
        const p = this.spawn(e.callId, e.op).finally(() => this.running.delete(p));
        this.running.add(p);
        return;
      }
      case "setTimer":
        this.timerHandles.set(
          e.timerId,
          this.deps.timers.setTimer(e.delayMs, () => {
            this.timerHandles.delete(e.timerId);
            if (!this.closed) this.apply(this.core.timerFired(e.timerId));
          }),
        );
        return;
      case "clearTimer": {
        const h = this.timerHandles.get(e.timerId);
        if (h) this.deps.timers.clearTimer(h);
        this.timerHandles.delete(e.timerId);
        return;
      }
      case "journal":
        if (e.state === "maybe-active")
          this.journal.markActive(e.resource, e.agent, e.params, this.deps.clock.wallMs());
        else this.journal.markStopped(e.resource);
        return;
      case "report":
        return this.report(e.result);
    }
  }

  private report(r: OpResult): void {
    this.deps.logger.info(
      {
        event: "operation_result",
        key: r.key,
        callId: r.callId,
        agent: r.agent,
        status: r.status,
        rc: r.rc,
        durationMs: r.durationMs,
        reason: r.reason,
      },
      "operation result",
    );
    const waiter = this.waiters.get(r.callId);
    if (waiter) {
      this.waiters.delete(r.callId);
      waiter(r);
    }
    for (const l of this.listeners) l(r);
  }

  private async spawn(callId: number, op: OperationRequest): Promise<void> {
    let outcome: OpOutcome;
    try {
      outcome = await this.run(op);
    } catch (err) {
      const reason = isHacrmError(err) ? err.toLine() : String(err);
      const status = isHacrmError(err) && err.code === "AGENT_NOT_FOUND" ? "not-found" : "error";
      outcome = { ...noOutput, status, rc: status === "not-found" ? 5 : 1, reason };
    }
    this.apply(this.core.finished(callId, outcome, this.deps.clock.nowMs()));
  }

  private async run(op: OperationRequest): Promise<OpOutcome> {
    const located = locateAgent(op.agent, this.paths);
    if (located.spec.cls === "stonith" && op.action === "stop") {
      // Stopping a fence device only unregisters it: there is nothing to run.
      return { ...noOutput, status: "done", rc: 0, exitCode: 0 };
    }
    if (located.spec.cls === "lsb" && op.action === "meta-data") {
      const stdout = await readAgentMetadataXml(op.agent, { paths: this.paths });
      return { ...noOutput, status: "done", rc: 0, exitCode: 0, stdout };
    }
    if ((this.opts.checkParams ?? true) && op.action !== "meta-data") {
      const problems = await this.paramProblems(op, located.spec.cls);
      if (problems) return { ...noOutput, status: "invalid-params", rc: 6, reason: problems };
    }
    const inv = located.cls.invocation(located.file, located.spec, op, this.baseEnvironment(), this.paths);
    const out = await this.runner(inv, {
      timeoutMs: op.timeoutMs,
      killGraceMs: this.opts.killGraceMs ?? defaultKillGraceMs(op.timeoutMs),
      outputBytesMax: this.opts.outputBytesMax ?? 256 * 1024,
    });
    const rc =
      out.status === "done" && out.exitCode !== null
        ? located.cls.mapExit(op.action, out.exitCode)
        : out.status === "not-found"
          ? 5
          : out.status === "not-executable"
            ? 4
            : 1;
    const exitReason = lastExitReason(out.stderr);
    return { ...out, rc, ...(exitReason !== undefined ? { exitReason } : {}) };
  }

  /** Problems with `op.params` (one line), or undefined; agents without readable meta-data are not checked. */
  private async paramProblems(op: OperationRequest, cls: AgentClassName): Promise<string | undefined> {
    let md = this.metadata.get(op.agent);
    if (!md) {
      md = readAgentMetadataXml(op.agent, {
        paths: this.paths,
        baseEnv: this.baseEnvironment(),
        runner: this.runner,
        timeoutMs: 10_000,
      })
        .then((xml) => parseAgentMetadata(xml, op.agent))
        .catch((err: unknown) => {
          this.deps.logger.warn(
            { event: "metadata_unreadable", agent: op.agent, error: String(err) },
            "parameters not checked",
          );
          return undefined;
        });
      this.metadata.set(op.agent, md);
    }
    const loaded = await md;
    if (!loaded) return undefined;
    const problems = checkParameters(loaded, op.params, classCheckOptions(cls));
    return problems.length === 0 ? undefined : problems.map((p) => p.message).join("; ");
  }
}

/** The variables the executor gives every agent (also what `hacrm ra exec` uses). */
export function executorBaseEnv(opts: ExecutorOptions): BaseEnvironment {
  const env: Record<string, string> = {
    PATH: defaultPath,
    LANG: "C.UTF-8",
    HA_RSCTMP: `${opts.stateDir}/rsctmp`,
    HACRM_NODE: opts.nodeName,
    HACRM_STATE_DIR: opts.stateDir,
    HACRM_ATTR_DIR: opts.attributeDir ?? `${opts.stateDir}/attributes`,
    HACRM_ATTRIBUTE_TOOL: opts.attributeTool ?? `${projectAgentsDir()}/bin/hacrm-attribute`,
    ...(opts.extraEnv ?? {}),
  };
  return env as BaseEnvironment;
}

/** The last `ocf-exit-reason:` line an agent wrote on stderr (Pacemaker's convention). */
export function lastExitReason(stderr: string): string | undefined {
  const lines = stderr.split("\n").filter((l) => l.startsWith("ocf-exit-reason:"));
  const last = lines.at(-1);
  return last === undefined ? undefined : last.slice("ocf-exit-reason:".length).trim();
}
