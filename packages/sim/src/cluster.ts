/**
 * N membership nodes running the real core and codec on the virtual clock
 * and the simulated network, with crashes and restarts (each node keeps a
 * "disk" for what the core persists) and an optional keyless intruder.
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
import { Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";
import { SimNetwork } from "./network.js";

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
}

export interface SimNode {
  id: number;
  node: MembershipNode | null;
  disk: Persisted | null;
  incarnation: number;
  wakeAtMs: number;
  keyless: boolean;
}

export type Observer = (nodeId: number, event: MembershipEvent) => void;

export class SimCluster {
  readonly prng: Prng;
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  readonly nodes = new Map<number, SimNode>();
  readonly observers: Observer[] = [];
  private readonly key: Uint8Array;
  private readonly badKey: Uint8Array;

  constructor(readonly opts: SimClusterOptions) {
    this.prng = new Prng(opts.seed);
    this.net = new SimNetwork(this.sched, this.prng);
    this.key = this.prng.bytes(32);
    this.badKey = this.prng.bytes(32);
    const total = opts.nodeCount + (opts.keylessNode ? 1 : 0);
    for (let id = 1; id <= total; id++) {
      const keyless = opts.keylessNode === true && id === total;
      this.nodes.set(id, { id, node: null, disk: null, incarnation: 0, wakeAtMs: Infinity, keyless });
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
        persisted: n.disk,
      },
      this.now(),
    );
    this.apply(n, n.node.tick(this.now()));
  }

  crash(id: number): void {
    const n = this.nodes.get(id);
    if (!n) return;
    n.node = null;
    n.wakeAtMs = Infinity;
  }

  /** Ask node `from` to send `body` reliably to `to` in its current view. */
  send(from: number, to: number[], body: Uint8Array): NodeOutput | null {
    const n = this.nodes.get(from);
    if (!n?.node) return null;
    const out = n.node.send(to, body, this.now());
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
    this.apply(n, n.node.receive(bytes, this.now()));
  }

  private apply(n: SimNode, out: NodeOutput): void {
    const node = n.node;
    if (!node) return;
    for (const d of out.datagrams) this.net.send(n.id, d.to, d.bytes);
    if (out.persist) n.disk = structuredClone(out.persist);
    for (const e of out.events) for (const o of this.observers) o(n.id, e);
    if (out.wakeAtMs < n.wakeAtMs || n.wakeAtMs <= this.now()) {
      n.wakeAtMs = out.wakeAtMs;
      if (out.wakeAtMs === Infinity) return;
      const at = out.wakeAtMs;
      this.sched.at(at, () => {
        if (n.node !== node || n.wakeAtMs !== at) return;
        n.wakeAtMs = Infinity;
        this.apply(n, node.tick(this.now()));
      });
    }
  }
}
