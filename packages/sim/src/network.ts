/**
 * The simulated network between endpoints (node ids): per-datagram loss,
 * duplication, delay with jitter (which reorders), and one-way blocks (a
 * symmetric partition is two one-way blocks). Any layer can send datagrams
 * over it; delivery is a callback scheduled on the shared Scheduler.
 */
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";

export interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  delayMinMs: number;
  delayMaxMs: number;
}

export const calmNetwork: NetworkConditions = {
  lossRate: 0,
  duplicateRate: 0,
  delayMinMs: 0.2,
  delayMaxMs: 2,
};

export class SimNetwork {
  conditions: NetworkConditions = { ...calmNetwork };
  private blocked = new Set<string>();
  private receivers = new Map<number, (from: number, bytes: Uint8Array) => void>();
  /** Datagrams seen on the wire, for a sniffer to replay. */
  tap: ((from: number, to: number, bytes: Uint8Array) => void) | null = null;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly prng: Prng,
  ) {}

  attach(id: number, receive: (from: number, bytes: Uint8Array) => void): void {
    this.receivers.set(id, receive);
  }
  detach(id: number): void {
    this.receivers.delete(id);
  }

  block(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }
  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(`${from}>${to}`);
  }
  /** Cut between two groups in both directions. */
  partition(a: number[], b: number[]): void {
    for (const x of a)
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
  }
  healAll(): void {
    this.blocked.clear();
  }

  send(from: number, to: number, bytes: Uint8Array): void {
    this.sent++;
    this.tap?.(from, to, bytes);
    if (this.blocked.has(`${from}>${to}`) || this.prng.chance(this.conditions.lossRate)) {
      this.dropped++;
      return;
    }
    const copies = this.prng.chance(this.conditions.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const c = this.conditions;
      const delay = c.delayMinMs + this.prng.float() * (c.delayMaxMs - c.delayMinMs);
      this.sched.at(this.sched.nowMs() + delay, () => this.receivers.get(to)?.(from, bytes));
    }
  }
}
