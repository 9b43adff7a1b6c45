import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { Clock, TimerHandle, TimerHost } from "@hacrm/common";
import { canExecute, type AgentInvocation } from "./classes.js";
import { noProcessOutput, type ProcessOutput } from "./core/types.js";

export interface RunLimits {
  readonly timeoutMs: number;
  /** After SIGTERM to the process group, how long before SIGKILL. */
  readonly killGraceMs: number;
  /** Bytes kept of each of stdout and stderr; the rest is read and dropped. */
  readonly outputBytesMax: number;
}

export type RunStatus = "done" | "timeout" | "not-found" | "not-executable" | "error";

export interface RunOutcome extends ProcessOutput {
  readonly status: RunStatus;
  readonly pid?: number;
}

/** Runs one agent process; injectable so the executor can be tested without processes. */
export type ProcessRunner = (inv: AgentInvocation, limits: RunLimits) => Promise<RunOutcome>;

class Capture {
  private chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;
  constructor(private readonly bytesMax: number) {}
  push(chunk: Buffer): void {
    const room = this.bytesMax - this.kept;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Pids of live (not zombie) processes in process group `pgid`, from /proc. */
export function liveGroupMembers(pgid: number): number[] {
  return groupMembers(pgid, false);
}

/** Pids of the processes in group `pgid`; with `zombies`, also those that ended and wait to be reaped. */
export function groupMembers(pgid: number, zombies: boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] = state, fields[2] = pgrp
      const dead = fields[0] === "Z" || fields[0] === "X";
      if (Number(fields[2]) === pgid && (zombies || !dead)) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function notRunnable(file: string): RunOutcome | undefined {
  if (!existsSync(file)) return { ...noProcessOutput, status: "not-found", reason: `${file} does not exist` };
  if (!canExecute(file)) {
    return { ...noProcessOutput, status: "not-executable", reason: `${file} is not executable` };
  }
  return undefined;
}

export interface ProcessRunnerDeps {
  readonly clock: Clock;
  readonly timers: TimerHost;
  /** Process groups of the agents running now (so a caller that is interrupted can end them). */
  readonly groups?: Set<number>;
}

/** SIGTERM every group, then SIGKILL what is left after `graceMs`; resolves once none is alive. */
export async function endGroups(groups: ReadonlySet<number>, graceMs: number): Promise<void> {
  for (const g of groups) signalGroup(g, "SIGTERM");
  const until = Date.now() + graceMs;
  const alive = () => [...groups].some((g) => liveGroupMembers(g).length > 0);
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const g of groups) signalGroup(g, "SIGKILL");
}

/**
 * The real runner: the agent leads its own process group (detached), so a
 * timeout can end it and everything it started: SIGTERM to the group, then
 * SIGKILL after `killGraceMs`, then wait until /proc shows none of the group
 * alive. Output is captured up to a limit.
 */
export function createProcessRunner(deps: ProcessRunnerDeps): ProcessRunner {
  return (inv, limits) => {
    const early = notRunnable(inv.file);
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => runOne(inv, limits, deps, resolve));
  };
}

function runOne(
  inv: AgentInvocation,
  limits: RunLimits,
  deps: ProcessRunnerDeps,
  resolve: (o: RunOutcome) => void,
): void {
  const started = deps.clock.nowMs();
  const out = new Capture(limits.outputBytesMax);
  const err = new Capture(limits.outputBytesMax);
  const child = spawn(inv.file, [...inv.argv], {
    detached: true,
    env: { ...inv.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const deadline = armTimeout(child.pid, limits, deps.timers);
  if (child.pid !== undefined) deps.groups?.add(child.pid);
  let finished = false;
  const finish = (o: Omit<RunOutcome, "stdout" | "stderr" | "outputTruncated" | "durationMs">): void => {
    if (finished) return;
    finished = true;
    deadline.disarm();
    const pid = child.pid;
    const done = (): void => {
      if (pid !== undefined) deps.groups?.delete(pid);
      resolve({
        ...o,
        stdout: out.text(),
        stderr: err.text(),
        outputTruncated: out.truncated || err.truncated,
        durationMs: deps.clock.nowMs() - started,
        pid,
      });
    };
    if (deadline.fired && pid !== undefined) sweepGroup(pid, deps.timers, done);
    else done();
  };
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  child.stdin.on("error", () => undefined);
  child.stdin.end(inv.stdin);
  child.on("error", (e: NodeJS.ErrnoException) => {
    const status = e.code === "EACCES" ? "not-executable" : e.code === "ENOENT" ? "not-found" : "error";
    finish({ status, exitCode: null, signal: null, reason: `${inv.file}: ${e.message}` });
  });
  child.on("exit", (code, signal) => {
    // Output may still sit in the pipes (or a background process may hold them
    // open): wait for the pipes to close, at most a short while.
    whenPipesClosed(child, deps.timers, pipeSettleMs, () => {
      if (deadline.fired) {
        finish({
          status: "timeout",
          exitCode: code,
          signal,
          reason: `ended after its ${limits.timeoutMs} ms timeout`,
        });
      } else {
        finish({
          status: "done",
          exitCode: code,
          signal,
          ...(signal ? { reason: `killed by ${signal}` } : {}),
        });
      }
    });
  });
}

/** At the timeout SIGTERM to the group, SIGKILL after the grace. */
function armTimeout(
  pgid: number | undefined,
  limits: RunLimits,
  timers: TimerHost,
): { readonly fired: boolean; disarm(): void } {
  const state = { fired: false, disarm: () => undefined as void };
  let killTimer: TimerHandle | undefined;
  const timeoutTimer = timers.setTimer(limits.timeoutMs, () => {
    state.fired = true;
    if (pgid !== undefined) signalGroup(pgid, "SIGTERM");
    killTimer = timers.setTimer(limits.killGraceMs, () => {
      if (pgid !== undefined) signalGroup(pgid, "SIGKILL");
    });
  });
  state.disarm = () => {
    timers.clearTimer(timeoutTimer);
    if (killTimer) timers.clearTimer(killTimer);
  };
  return state;
}

/** How long output pipes may stay open after the agent exited (a background child holding them). */
const pipeSettleMs = 200;

function whenPipesClosed(
  child: ChildProcessWithoutNullStreams,
  timers: TimerHost,
  waitMs: number,
  then: () => void,
): void {
  const streams = [child.stdout, child.stderr].filter((s) => !s.closed);
  let settled = false;
  const settle = (): void => {
    if (settled) return;
    settled = true;
    timers.clearTimer(timer);
    child.stdout.destroy();
    child.stderr.destroy();
    then();
  };
  const timer = timers.setTimer(waitMs, settle);
  let open = streams.length;
  if (open === 0) return settle();
  for (const s of streams) {
    s.once("close", () => {
      open -= 1;
      if (open === 0) settle();
    });
  }
}

/**
 * After a timeout: SIGKILL what is left of the group until /proc shows none
 * of it alive, then wait (bounded) until the orphans init adopted are reaped
 * too, so the result is reported only when nothing of the operation is left.
 */
function sweepGroup(pgid: number, timers: TimerHost, done: () => void, triesLeft = 200): void {
  signalGroup(pgid, "SIGKILL");
  const live = liveGroupMembers(pgid).length;
  if ((live === 0 && groupMembers(pgid, true).length === 0) || triesLeft <= 0) return done();
  timers.setTimer(live > 0 ? 10 : 50, () => sweepGroup(pgid, timers, done, triesLeft - 1));
}
