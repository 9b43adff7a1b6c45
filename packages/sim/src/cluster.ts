/**
 * N membership nodes running the real core and codec on the virtual clock
 * and the simulated network, each in a NodeHost (its own skewed clock,
 * crashes and restarts, effects one at a time) with a SimDisk for what the
 * core persists, and an optional keyless intruder. A node's output is
 * performed as hacrmd's worker performs it: persist first, then the
 * datagrams, then the events, so a crash can fall between any two.
 * Observers get every event; invariants are checked by the caller after
 * every step (see membership-scenario.ts).
 */
import {
  MembershipNode,
  type MembershipEvent,
  type NodeOutput,
  type Persisted,
  type QuorumOptions,
} from "@hacrm/membership";
import { NodeHost, SimDisk, noDiskFaults, type CrashCause, type DiskFaults } from "./host.js";
import { Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";
import { SimNetwork } from "./network.js";

/** Process and disk faults of the nodes; drawn from their own PRNG stream. */
export interface HostFaults {
  /** Chance of a crash in each gap between two effects of one step. */
  crashBetweenEffectsRate: number;
  disk: DiskFaults;
  /** Largest clock rate error, ppm (each node draws its own, with an offset). */
  driftPpmMax: number;
}

export const noHostFaults: HostFaults = { crashBetweenEffectsRate: 0, disk: noDiskFaults, driftPpmMax: 0 };

type Effect =
  | { kind: "persist"; persisted: Persisted }
  | { kind: "datagram"; to: number; bytes: Uint8Array }
  | { kind: "event"; event: MembershipEvent };

export interface SimClusterOptions {
  seed: number;
  nodeCount: number;
  tokenMs: number;
  consensusMs: number;
  quorum: QuorumOptions;
  cipher: "none" | "aes256";
  /** Votes per node id (default 1 each). */
  votes?: Record<number, number>;
  /** Add a nodelist entry (id nodeCount+1) that runs without the cluster key. */
  keylessNode?: boolean;
  /** Process, disk and clock faults (default none), seeded by `faultSeed` (default seed ^ 0xfa17). */
  hostFaults?: HostFaults;
  faultSeed?: number;
}

export interface SimNode {
  id: number;
  node: MembershipNode | null;
  host: NodeHost;
  disk: SimDisk<Persisted>;
  incarnation: number;
  /** Local time of the pending wake-up, Infinity when none. */
  wakeAtMs: number;
  keyless: boolean;
  /** Crash right after the next persist (the gap between persisting and sending). */
  crashAfterPersist: boolean;
}

export type Observer = (nodeId: number, event: MembershipEvent) => void;
export type CrashObserver = (nodeId: number, cause: CrashCause) => void;

export class SimCluster {
  readonly prng: Prng;
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  readonly nodes = new Map<number, SimNode>();
  readonly observers: Observer[] = [];
  readonly crashObservers: CrashObserver[] = [];
  /** The fault stream: host crashes, disk faults, clock skew. */
  readonly faultPrng: Prng;
  private readonly key: Uint8Array;
  private readonly badKey: Uint8Array;

  constructor(readonly opts: SimClusterOptions) {
    this.prng = new Prng(opts.seed);
    this.faultPrng = new Prng(opts.faultSeed ?? opts.seed ^ 0xfa17);
    this.net = new SimNetwork(this.sched, this.prng);
    this.key = this.prng.bytes(32);
    this.badKey = this.prng.bytes(32);
    const faults = opts.hostFaults ?? noHostFaults;
    const total = opts.nodeCount + (opts.keylessNode ? 1 : 0);
    for (let id = 1; id <= total; id++) {
      const keyless = opts.keylessNode === true && id === total;
      const clock =
        faults.driftPpmMax > 0
          ? {
              offsetMs: this.faultPrng.int(0, 1_000_000),
              driftPpm: (this.faultPrng.float() * 2 - 1) * faults.driftPpmMax,
            }
          : undefined;
      const host = new NodeHost(this.sched, this.faultPrng, {
        id,
        crashBetweenEffectsRate: faults.crashBetweenEffectsRate,
        ...(clock ? { clock } : {}),
      });
      const disk = new SimDisk<Persisted>(this.faultPrng, faults.disk, "atomic");
      const n: SimNode = {
        id,
        node: null,
        host,
        disk,
        incarnation: 0,
        wakeAtMs: Infinity,
        keyless,
        crashAfterPersist: false,
      };
      host.onCrash = (cause) => {
        n.node = null;
        n.wakeAtMs = Infinity;
        for (const o of this.crashObservers) o(id, cause);
      };
      this.nodes.set(id, n);
      this.net.attach(id, (from, bytes) => this.deliver(id, bytes, from));
    }
  }

  ids(): number[] {
    return [...this.nodes.keys()].filter((id) => !this.nodes.get(id)?.keyless);
  }
  alive(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.node !== null && !n.keyless);
  }
  now(): number {
    return this.sched.nowMs();
  }

  start(id: number): void {
    const n = this.nodes.get(id);
    if (!n || n.node) return;
    const persisted = n.disk.read();
    // hacrmd refuses to start on a state file it cannot read; so does the node here.
    if (!persisted.ok) return;
    n.host.start();
    n.incarnation++;
    const nodes = [...this.nodes.keys()].map((i) => ({ id: i, votes: this.opts.votes?.[i] ?? 1 }));
    n.node = new MembershipNode(
      {
        core: {
          selfId: id,
          nodes,
          tokenMs: this.opts.tokenMs,
          consensusMs: this.opts.consensusMs,
          quorum: this.opts.quorum,
        },
        codec: {
          clusterName: "sim",
          key: n.keyless ? this.badKey : this.key,
          cipher: this.opts.cipher,
          hash: "sha256",
        },
        incarnation: n.incarnation,
        persisted: persisted.value,
      },
      n.host.now(),
    );
    this.apply(n, n.node.tick(n.host.now()));
  }

  crash(id: number): void {
    this.nodes.get(id)?.host.crash();
  }

  /** Crash node `id` right after its next persist, before the datagrams of that step. */
  crashAfterNextPersist(id: number): void {
    const n = this.nodes.get(id);
    if (n?.node) n.crashAfterPersist = true;
  }

  /** Ask node `from` to send `body` reliably to `to` in its current view. */
  send(from: number, to: number[], body: Uint8Array): NodeOutput | null {
    const n = this.nodes.get(from);
    if (!n?.node) return null;
    const out = n.node.send(to, body, n.host.now());
    this.apply(n, out);
    return out;
  }

  /** Inject raw bytes as if `from` sent them to `to`. */
  inject(from: number, to: number, bytes: Uint8Array): void {
    this.net.send(from, to, bytes);
  }

  runUntil(untilMs: number, afterStep?: () => void): void {
    while (this.sched.runOne(untilMs)) afterStep?.();
  }

  private deliver(id: number, bytes: Uint8Array, _from: number): void {
    const n = this.nodes.get(id);
    if (!n?.node) return;
    this.apply(n, n.node.receive(bytes, n.host.now()));
  }

  /** Perform one step's output in hacrmd's order, one effect at a time. */
  private apply(n: SimNode, out: NodeOutput): void {
    const node = n.node;
    if (!node) return;
    const effects: Effect[] = [];
    if (out.persist) effects.push({ kind: "persist", persisted: out.persist });
    for (const d of out.datagrams) effects.push({ kind: "datagram", to: d.to, bytes: d.bytes });
    for (const e of out.events) effects.push({ kind: "event", event: e });
    n.host.apply(effects, (e) => this.perform(n, e));
    if (n.node !== node) return;
    const now = n.host.now();
    if (out.wakeAtMs < n.wakeAtMs || n.wakeAtMs <= now) {
      n.wakeAtMs = out.wakeAtMs;
      if (out.wakeAtMs === Infinity) return;
      const at = out.wakeAtMs;
      n.host.atLocal(at, () => {
        if (n.node !== node || n.wakeAtMs !== at) return;
        n.wakeAtMs = Infinity;
        this.apply(n, node.tick(n.host.now()));
      });
    }
  }

  private perform(n: SimNode, e: Effect): void {
    if (e.kind === "datagram") this.net.send(n.id, e.to, e.bytes);
    else if (e.kind === "event") for (const o of this.observers) o(n.id, e.event);
    else {
      const w = n.disk.write(e.persisted);
      // A failed fsync or a torn write ends the process, as in hacrmd.
      if (w !== "ok") n.host.crash("disk");
      else if (n.crashAfterPersist) n.host.crashAfterEffects(0);
      n.crashAfterPersist = false;
    }
  }
}
