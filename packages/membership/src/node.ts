/**
 * One membership node: the pure core plus the datagram codec, with counters
 * of dropped datagrams. IO stays outside: the caller hands in datagrams and
 * ticks, and performs the returned sends (hacrmd over UDP, the simulator over
 * its virtual network). Both run exactly this code.
 */
import { createCoreState, step, coreSnapshot, type CoreState } from "./core/membership.js";
import type { CoreOptions, MembershipEvent, Persisted } from "./core/types.js";
import { createCodec, type Codec, type CodecOptions, type DropReason } from "./wire/codec.js";

export interface NodeOutput {
  /** Datagrams to send: destination node id and bytes. */
  datagrams: { to: number; bytes: Uint8Array }[];
  events: MembershipEvent[];
  persist: Persisted | null;
  wakeAtMs: number;
  refused?: string;
  dropped?: DropReason;
}

export interface MembershipNodeOptions {
  core: CoreOptions;
  codec: Omit<CodecOptions, "selfId" | "nodeIds">;
  incarnation: number;
  persisted: Persisted | null;
}

export class MembershipNode {
  readonly state: CoreState;
  readonly codec: Codec;
  readonly drops = new Map<DropReason, number>();
  received = 0;
  sent = 0;

  constructor(opts: MembershipNodeOptions, nowMs: number) {
    const nodeIds = opts.core.nodes.map((n) => n.id);
    this.state = createCoreState(opts.core, opts.incarnation, opts.persisted, nowMs);
    this.codec = createCodec({ ...opts.codec, selfId: opts.core.selfId, nodeIds }, opts.incarnation);
  }

  get id(): number {
    return this.state.opts.selfId;
  }

  tick(nowMs: number): NodeOutput {
    return this.output(step(this.state, { type: "tick" }, nowMs));
  }

  receive(bytes: Uint8Array, nowMs: number): NodeOutput {
    const d = this.codec.decode(bytes);
    if (!d.ok) {
      this.drops.set(d.reason, (this.drops.get(d.reason) ?? 0) + 1);
      return { datagrams: [], events: [], persist: null, wakeAtMs: Infinity, dropped: d.reason };
    }
    this.received++;
    return this.output(step(this.state, { type: "recv", from: d.from, inc: d.inc, msg: d.msg }, nowMs));
  }

  send(to: number[], body: Uint8Array, nowMs: number): NodeOutput {
    return this.output(step(this.state, { type: "send", to, body }, nowMs));
  }

  snapshot(nowMs: number) {
    return {
      ...coreSnapshot(this.state, nowMs),
      received: this.received,
      sent: this.sent,
      dropped: Object.fromEntries(this.drops),
    };
  }

  private output(fx: ReturnType<typeof step>): NodeOutput {
    const datagrams = fx.send.map((s) => ({ to: s.to, bytes: this.codec.encode(s.msg) }));
    this.sent += datagrams.length;
    const out: NodeOutput = { datagrams, events: fx.events, persist: fx.persist, wakeAtMs: fx.wakeAtMs };
    if (fx.refused !== undefined) out.refused = fx.refused;
    return out;
  }
}
