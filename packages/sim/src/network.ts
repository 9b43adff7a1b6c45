/**
 * The simulated network between endpoints (node ids): per-datagram loss,
 * duplication, delay with jitter (which reorders), and one-way blocks (a
 * symmetric partition is two one-way blocks). Loss models on top of the
 * uniform rate: sustained loss per receiving node (what `iptables -m
 * statistic` on a node's INPUT does) and per directed link (asymmetric), and
 * bursts (per directed link, a burst starts after an exponential gap and
 * drops with its own rate for a bounded time). Any layer can send datagrams
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

/** Bursts of loss on every directed link, each link on its own schedule. */
export interface BurstModel {
  /** Mean time between the end of one burst and the start of the next (exponential). */
  meanGapMs: number;
  /** Burst length, uniform in [minMs, maxMs]. */
  minMs: number;
  maxMs: number;
  /** Share of datagrams dropped during a burst. */
  lossRate: number;
}

interface BurstState {
  startMs: number;
  endMs: number;
}

export class SimNetwork {
  conditions: NetworkConditions = { ...calmNetwork };
  private blocked = new Set<string>();
  private inboundLoss = new Map<number, number>();
  private linkLoss = new Map<string, number>();
  private bursts: BurstModel | null = null;
  private burstState = new Map<string, BurstState>();
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

  /** Sustained random loss of datagrams arriving at `to` (from anyone). */
  setInboundLoss(to: number, rate: number): void {
    this.inboundLoss.set(to, rate);
  }
  /** Sustained random loss on the directed link from -> to only. */
  setLinkLoss(from: number, to: number, rate: number): void {
    this.linkLoss.set(`${from}>${to}`, rate);
  }
  setBursts(model: BurstModel | null): void {
    this.bursts = model;
    this.burstState.clear();
  }
  /** Remove every loss model (the uniform `conditions.lossRate` stays). */
  clearLoss(): void {
    this.inboundLoss.clear();
    this.linkLoss.clear();
    this.setBursts(null);
  }

  /**
   * Whether the loss models drop this datagram. The PRNG is drawn only for
   * models that are set, so runs without them replay as before.
   */
  private lost(from: number, to: number): boolean {
    const key = `${from}>${to}`;
    if (this.blocked.has(key) || this.prng.chance(this.conditions.lossRate)) return true;
    const inbound = this.inboundLoss.get(to);
    if (inbound !== undefined && this.prng.chance(inbound)) return true;
    const link = this.linkLoss.get(key);
    if (link !== undefined && this.prng.chance(link)) return true;
    return this.bursts !== null && this.inBurst(key, this.bursts) && this.prng.chance(this.bursts.lossRate);
  }

  private inBurst(key: string, m: BurstModel): boolean {
    const now = this.sched.nowMs();
    let b = this.burstState.get(key);
    while (!b || now >= b.endMs) {
      const from = b?.endMs ?? now;
      const startMs = from - m.meanGapMs * Math.log(1 - this.prng.float());
      b = { startMs, endMs: startMs + m.minMs + this.prng.float() * (m.maxMs - m.minMs) };
      this.burstState.set(key, b);
    }
    return now >= b.startMs;
  }

  send(from: number, to: number, bytes: Uint8Array): void {
    this.sent++;
    this.tap?.(from, to, bytes);
    if (this.lost(from, to)) {
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
