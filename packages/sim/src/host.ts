/**
 * A simulated node process for any pure core: a local clock (offset and drift
 * against the scheduler's true time), a life (crash and restart; timers of an
 * earlier life never fire), and effects applied one at a time with a seeded
 * chance of a crash between any two. Faults draw from their own Prng, so
 * turning them on does not perturb the network's or the workload's stream.
 */
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";

export interface ClockSkew {
  /** Local clock minus true time at true time 0, ms. */
  offsetMs: number;
  /** Rate error of the local clock, parts per million (+ runs fast). */
  driftPpm: number;
}

export interface NodeHostOptions {
  id: number;
  /** Chance of a crash in each gap between two effects of one `apply`. Default 0. */
  crashBetweenEffectsRate?: number;
  clock?: ClockSkew;
}

/** Why a host's life ended; observers use it in traces. */
export type CrashCause = "crash" | "between-effects" | "planned" | "disk";

export class NodeHost {
  readonly id: number;
  readonly clock: ClockSkew;
  crashBetweenEffectsRate: number;
  private up = false;
  private life = 0;
  private crashAfter: number | null = null;
  /** Called once per crash, after the host is down. */
  onCrash: ((cause: CrashCause) => void) | null = null;
  crashes = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly faults: Prng,
    opts: NodeHostOptions,
  ) {
    this.id = opts.id;
    this.clock = opts.clock ?? { offsetMs: 0, driftPpm: 0 };
    this.crashBetweenEffectsRate = opts.crashBetweenEffectsRate ?? 0;
  }

  isUp(): boolean {
    return this.up;
  }

  /** Starts a new life: timers of earlier lives stay dead. */
  start(): void {
    this.up = true;
    this.life++;
    this.crashAfter = null;
  }

  crash(cause: CrashCause = "crash"): void {
    if (!this.up) return;
    this.up = false;
    this.life++;
    this.crashAfter = null;
    this.crashes++;
    this.onCrash?.(cause);
  }

  /** Crash after `n` more effects have been applied (0: before the next one). */
  crashAfterEffects(n: number): void {
    if (this.up) this.crashAfter = n;
  }

  /** The node's own monotonic clock, ms: what its core gets as `now`. */
  now(): number {
    return this.toLocal(this.sched.nowMs());
  }

  /** Run `fire` when the local clock reads `localMs`, unless the node crashes first. */
  atLocal(localMs: number, fire: () => void): void {
    const life = this.life;
    this.sched.at(this.toTrue(localMs), () => {
      if (this.up && this.life === life) fire();
    });
  }

  /** Run `fire` after `delayMs` of local time, unless the node crashes first. */
  after(delayMs: number, fire: () => void): void {
    this.atLocal(this.now() + delayMs, fire);
  }

  /**
   * Perform `effects` in order, one at a time; between two of them the node
   * may crash (seeded, or planned with crashAfterEffects). `perform` may crash
   * the host itself (a failed fsync). Returns how many were performed.
   */
  apply<E>(effects: readonly E[], perform: (e: E) => void): number {
    let done = 0;
    for (const e of effects) {
      if (!this.up) break;
      if (done > 0 && this.crashBetweenEffectsRate > 0 && this.faults.chance(this.crashBetweenEffectsRate)) {
        this.crash("between-effects");
        break;
      }
      if (this.crashAfter !== null && this.crashAfter-- <= 0) {
        this.crash("planned");
        break;
      }
      perform(e);
      done++;
    }
    return done;
  }

  private toLocal(trueMs: number): number {
    return this.clock.offsetMs + trueMs * (1 + this.clock.driftPpm / 1e6);
  }

  /** True time at which the local clock first reads at least `localMs`. */
  private toTrue(localMs: number): number {
    if (localMs === Infinity) return Infinity;
    let t = (localMs - this.clock.offsetMs) / (1 + this.clock.driftPpm / 1e6);
    // Rounding must never fire a timer before its local time, or a core asked
    // to wake at `localMs` sees an earlier now and asks again, forever.
    while (this.toLocal(t) < localMs) t += Math.max(1e-9, Math.abs(t) * 1e-15);
    return t;
  }
}

export interface DiskFaults {
  /** Chance that a write's fsync fails: the caller must crash; the write may or may not have reached the disk. */
  fsyncFailRate: number;
  /** Chance that power is cut in the middle of a write: the node crashes with the record torn. */
  tornWriteRate: number;
}

export const noDiskFaults: DiskFaults = { fsyncFailRate: 0, tornWriteRate: 0 };

export type DiskWrite = "ok" | "fsync-failed" | "torn";
export type DiskRead<T> = { ok: true; value: T | null } | { ok: false; reason: "torn" };

/**
 * One durable record of a node (what survives its crashes), with seeded disk
 * faults. `replace: "atomic"` models write-to-temp, fsync, rename: a torn
 * write leaves the previous record readable. `replace: "in-place"` models an
 * overwrite: a torn record reads as torn, and the host must refuse it.
 */
export class SimDisk<T> {
  private value: T | null = null;
  private torn = false;
  writes = 0;
  faults: DiskFaults;

  constructor(
    private readonly prng: Prng,
    faults: DiskFaults = noDiskFaults,
    readonly replace: "atomic" | "in-place" = "atomic",
  ) {
    this.faults = { ...faults };
  }

  read(): DiskRead<T> {
    if (this.torn) return { ok: false, reason: "torn" };
    return { ok: true, value: this.value === null ? null : structuredClone(this.value) };
  }

  /**
   * Write `v` durably. "fsync-failed" and "torn" mean the caller's process
   * must end (crash the host): neither leaves a state it may continue from.
   */
  write(v: T): DiskWrite {
    this.writes++;
    if (this.faults.tornWriteRate > 0 && this.prng.chance(this.faults.tornWriteRate)) {
      if (this.replace === "in-place") this.torn = true;
      return "torn";
    }
    if (this.faults.fsyncFailRate > 0 && this.prng.chance(this.faults.fsyncFailRate)) {
      // After a failed fsync the page may or may not have been written back.
      if (this.prng.chance(0.5)) this.set(v);
      return "fsync-failed";
    }
    this.set(v);
    return "ok";
  }

  /** Replace the content outright (a restored backup, a test's setup). */
  set(v: T | null): void {
    this.value = v === null ? null : structuredClone(v);
    this.torn = false;
  }
}
