/**
 * Reliable, ordered, once-only delivery between two members of one view,
 * pure. Messages are cut into fragments numbered per (view, sender, receiver);
 * the receiver delivers in fragment order and acknowledges cumulatively; the
 * sender keeps a bounded window in flight and retransmits after `rtoMs`. A
 * view change drops both ends (the layer above learns it from the view event).
 */
import type { AckMsg, DataMsg } from "./types.js";

export interface Fragment {
  fseq: number;
  fi: number;
  fn: number;
  body: Uint8Array;
}

export interface OutChannel {
  ring: string;
  nextFseq: number;
  /** Sent, not yet acknowledged, oldest first. */
  inflight: { frag: Fragment; sentAtMs: number }[];
  /** Not yet sent (window full), oldest first. */
  queued: Fragment[];
  queuedBytes: number;
}

export interface InChannel {
  ring: string;
  nextFseq: number;
  buffer: Map<number, Fragment>;
  assembling: Uint8Array[];
}

export interface ReliableLimits {
  fragmentBytes: number;
  windowFragments: number;
  receiveAheadFragments: number;
  queueBytesMax: number;
  rtoMs: number;
  retransmitsPerTickMax: number;
}

export function newOut(ring: string): OutChannel {
  return { ring, nextFseq: 1, inflight: [], queued: [], queuedBytes: 0 };
}
export function newIn(ring: string): InChannel {
  return { ring, nextFseq: 1, buffer: new Map(), assembling: [] };
}

/** Cut `body` into fragments and queue them; false when the queue is full. */
export function enqueue(ch: OutChannel, body: Uint8Array, lim: ReliableLimits): boolean {
  if (ch.queuedBytes + body.length > lim.queueBytesMax) return false;
  const fn = Math.max(1, Math.ceil(body.length / lim.fragmentBytes));
  for (let fi = 0; fi < fn; fi++) {
    const part = body.subarray(fi * lim.fragmentBytes, Math.min(body.length, (fi + 1) * lim.fragmentBytes));
    ch.queued.push({ fseq: ch.nextFseq++, fi, fn, body: part });
  }
  ch.queuedBytes += body.length;
  return true;
}

const toData = (ring: string, f: Fragment): DataMsg => ({
  t: "data",
  ring,
  fseq: f.fseq,
  fi: f.fi,
  fn: f.fn,
  body: f.body,
});

/** Move queued fragments into the window; returns the datagrams to send. */
export function pump(ch: OutChannel, nowMs: number, lim: ReliableLimits): DataMsg[] {
  const out: DataMsg[] = [];
  while (ch.inflight.length < lim.windowFragments && ch.queued.length > 0) {
    const frag = ch.queued.shift() as Fragment;
    ch.queuedBytes -= frag.body.length;
    ch.inflight.push({ frag, sentAtMs: nowMs });
    out.push(toData(ch.ring, frag));
  }
  return out;
}

export function onAck(ch: OutChannel, upTo: number): void {
  while (ch.inflight.length > 0 && (ch.inflight[0]?.frag.fseq ?? Infinity) <= upTo) ch.inflight.shift();
}

export function retransmits(ch: OutChannel, nowMs: number, lim: ReliableLimits): DataMsg[] {
  const out: DataMsg[] = [];
  for (const f of ch.inflight) {
    if (out.length >= lim.retransmitsPerTickMax) break;
    if (nowMs - f.sentAtMs >= lim.rtoMs) {
      f.sentAtMs = nowMs;
      out.push(toData(ch.ring, f.frag));
    }
  }
  return out;
}

export function nextRetransmitMs(ch: OutChannel, lim: ReliableLimits): number {
  let t = Infinity;
  for (const f of ch.inflight) t = Math.min(t, f.sentAtMs + lim.rtoMs);
  return t;
}

/** Accept a fragment; returns complete messages now deliverable, in order, and the ack to send. */
export function receive(
  ch: InChannel,
  msg: DataMsg,
  lim: ReliableLimits,
): { bodies: Uint8Array[]; ack: AckMsg } {
  const bodies: Uint8Array[] = [];
  const fresh = msg.fseq >= ch.nextFseq && msg.fseq < ch.nextFseq + lim.receiveAheadFragments;
  const sane = msg.fn >= 1 && msg.fi >= 0 && msg.fi < msg.fn && msg.body.length <= lim.fragmentBytes;
  if (fresh && sane && !ch.buffer.has(msg.fseq)) {
    ch.buffer.set(msg.fseq, { fseq: msg.fseq, fi: msg.fi, fn: msg.fn, body: msg.body });
  }
  for (let f = ch.buffer.get(ch.nextFseq); f !== undefined; f = ch.buffer.get(ch.nextFseq)) {
    ch.buffer.delete(ch.nextFseq);
    ch.nextFseq++;
    if (f.fi === 0) ch.assembling = [];
    if (f.fi !== ch.assembling.length) {
      ch.assembling = [];
      continue; // a broken sender; its fragments cannot be reassembled
    }
    ch.assembling.push(f.body);
    if (f.fi === f.fn - 1) {
      bodies.push(concat(ch.assembling));
      ch.assembling = [];
    }
  }
  return { bodies, ack: { t: "ack", ring: ch.ring, upTo: ch.nextFseq - 1 } };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
