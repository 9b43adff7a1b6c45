/**
 * Datagram codec: authentication (HMAC-SHA-256/384/512), optional
 * AES-256-GCM encryption, replay protection and message encoding. Shared by
 * hacrmd and the simulator; deterministic for a given key (the GCM nonce is
 * the sender's (node id, incarnation, sequence), unique while incarnations
 * only grow).
 *
 * Layout: "HC" | version u8 | flags u8 | sender u32 | incarnation u32 | seq u32
 *         | sealed payload | tag (HMAC, or the 16-byte GCM tag).
 * Payload: type u8 | json length u32 | json | binary body (data fragments).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { assert } from "@hacrm/common";
import type { Msg } from "../core/types.js";
import { heartbeatOk } from "./sanity.js";

export type CryptoHash = "sha256" | "sha384" | "sha512";
export interface CodecOptions {
  clusterName: string;
  key: Uint8Array;
  cipher: "none" | "aes256";
  hash: CryptoHash;
  selfId: number;
  nodeIds: number[];
  /** Largest datagram accepted or produced, in bytes. */
  datagramBytesMax?: number;
}

export type DropReason =
  | "oversized"
  | "truncated"
  | "bad_magic"
  | "unknown_node"
  | "auth_failed"
  | "replayed"
  | "stale_incarnation"
  | "malformed"
  | "wrong_source";

export type Decoded =
  | { ok: true; from: number; inc: number; seq: number; msg: Msg }
  | { ok: false; reason: DropReason; from?: number };

const headerBytes = 16;
const gcmTagBytes = 16;
const replayWindow = 4096;
export const keyBytesMin = 32;
const typeCode = { hb: 1, data: 2, ack: 3 } as const;

interface ReplayState {
  inc: number;
  maxSeq: number;
  seen: Set<number>;
}

export interface Codec {
  encode(msg: Msg): Uint8Array;
  decode(bytes: Uint8Array): Decoded;
  readonly datagramBytesMax: number;
}

/** `(opts, deps)`: the incarnation is the caller's (persisted, strictly growing). */
export function createCodec(opts: CodecOptions, incarnation: number): Codec {
  assert(opts.key.length >= keyBytesMin, `cluster key has at least ${keyBytesMin} bytes`);
  const max = opts.datagramBytesMax ?? 65_000;
  const tagBytes = opts.cipher === "aes256" ? gcmTagBytes : { sha256: 32, sha384: 48, sha512: 64 }[opts.hash];
  const derive = (info: string) =>
    Buffer.from(hkdfSync("sha256", opts.key, Buffer.from(opts.clusterName), info, 32));
  const macKey = derive("hacrm datagram auth");
  const encKey = derive("hacrm datagram aes-256-gcm");
  const known = new Set(opts.nodeIds);
  const replay = new Map<number, ReplayState>();
  let seq = 0;
  // One encoding per message object: a heartbeat goes to every peer.
  const payloadCache = new WeakMap<Msg, Buffer>();

  const nonce = (h: Buffer) => h.subarray(4, 16);

  function encode(msg: Msg): Uint8Array {
    seq++;
    assert(
      seq <= 0xffffffff,
      "sequence numbers of this incarnation are exhausted; restart for a new incarnation",
    );
    const header = Buffer.alloc(headerBytes);
    header.write("HC", 0, "latin1");
    header[2] = 1;
    header[3] = opts.cipher === "aes256" ? 1 : 0;
    header.writeUInt32BE(opts.selfId, 4);
    header.writeUInt32BE(incarnation, 8);
    header.writeUInt32BE(seq, 12);
    let plain = payloadCache.get(msg);
    if (!plain) {
      plain = encodePayload(msg);
      payloadCache.set(msg, plain);
    }
    let out: Buffer;
    if (opts.cipher === "aes256") {
      const c = createCipheriv("aes-256-gcm", encKey, nonce(header));
      c.setAAD(header);
      out = Buffer.concat([header, c.update(plain), c.final(), c.getAuthTag()]);
    } else {
      const mac = createHmac(opts.hash, macKey).update(header).update(plain).digest();
      out = Buffer.concat([header, plain, mac]);
    }
    assert(out.length <= max, `datagram of ${out.length} bytes fits datagramBytesMax ${max}`);
    return out;
  }

  function open(b: Buffer): Buffer | null {
    const header = b.subarray(0, headerBytes);
    const sealed = b.subarray(headerBytes, b.length - tagBytes);
    const tag = b.subarray(b.length - tagBytes);
    if (opts.cipher === "aes256") {
      if (header[3] !== 1) return null;
      try {
        const d = createDecipheriv("aes-256-gcm", encKey, nonce(header));
        d.setAAD(header);
        d.setAuthTag(tag);
        return Buffer.concat([d.update(sealed), d.final()]);
      } catch {
        return null;
      }
    }
    if (header[3] !== 0) return null;
    const mac = createHmac(opts.hash, macKey).update(header).update(sealed).digest();
    return timingSafeEqual(mac, tag) ? sealed : null;
  }

  function decode(bytes: Uint8Array): Decoded {
    if (bytes.length > max) return { ok: false, reason: "oversized" };
    if (bytes.length < headerBytes + tagBytes + 5) return { ok: false, reason: "truncated" };
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (b[0] !== 0x48 || b[1] !== 0x43 || b[2] !== 1) return { ok: false, reason: "bad_magic" };
    const from = b.readUInt32BE(4);
    const inc = b.readUInt32BE(8);
    const s = b.readUInt32BE(12);
    if (!known.has(from) || from === opts.selfId) return { ok: false, reason: "unknown_node", from };
    // Cheap before expensive: a replayed or stale datagram is refused before
    // any cryptography (the window is only updated once it authenticates).
    const early = replayVerdict(replay.get(from), inc, s);
    if (early) return { ok: false, reason: early, from };
    const plain = open(b);
    if (!plain) return { ok: false, reason: "auth_failed", from };
    const verdict = checkReplay(replay, from, inc, s);
    if (verdict) return { ok: false, reason: verdict, from };
    const msg = decodePayload(plain);
    if (!msg) return { ok: false, reason: "malformed", from };
    return { ok: true, from, inc, seq: s, msg };
  }

  return { encode, decode, datagramBytesMax: max };
}

/** The replay window's verdict without changing it. */
function replayVerdict(st: ReplayState | undefined, inc: number, s: number): DropReason | null {
  if (!st || inc > st.inc) return null;
  if (inc < st.inc) return "stale_incarnation";
  return s <= st.maxSeq - replayWindow || st.seen.has(s) ? "replayed" : null;
}

function checkReplay(
  replay: Map<number, ReplayState>,
  from: number,
  inc: number,
  s: number,
): DropReason | null {
  let st = replay.get(from);
  if (st && inc < st.inc) return "stale_incarnation";
  if (!st || inc > st.inc) {
    st = { inc, maxSeq: 0, seen: new Set() };
    replay.set(from, st);
  }
  if (s <= st.maxSeq - replayWindow || st.seen.has(s)) return "replayed";
  st.seen.add(s);
  if (s > st.maxSeq) {
    if (s - st.maxSeq >= replayWindow) st.seen = new Set([s]);
    else for (let k = st.maxSeq - replayWindow + 1; k <= s - replayWindow; k++) st.seen.delete(k);
    st.maxSeq = s;
  }
  return null;
}

function encodePayload(msg: Msg): Buffer {
  const { t, ...rest } = msg;
  let body: Uint8Array = new Uint8Array(0);
  let json: unknown = rest;
  if (msg.t === "data") {
    body = msg.body;
    json = { ring: msg.ring, fseq: msg.fseq, fi: msg.fi, fn: msg.fn };
  }
  const j = Buffer.from(JSON.stringify(json));
  const head = Buffer.alloc(5);
  head[0] = typeCode[t];
  head.writeUInt32BE(j.length, 1);
  return Buffer.concat([head, j, body]);
}

function decodePayload(p: Buffer): Msg | null {
  if (p.length < 5) return null;
  const type = p[0];
  const len = p.readUInt32BE(1);
  if (5 + len > p.length) return null;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(p.subarray(5, 5 + len).toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null) return null;
  const body = new Uint8Array(p.subarray(5 + len));
  // Peers hold the key, but a peer with a corrupt state file (or a bug) must
  // not crash this node or push its persistent counters past their bounds.
  if (type === typeCode.hb && heartbeatOk(json)) {
    return { t: "hb", ...(json as object) } as Msg;
  }
  if (type === typeCode.data && typeof json["ring"] === "string" && Number.isInteger(json["fseq"])) {
    return {
      t: "data",
      ring: json["ring"],
      fseq: json["fseq"] as number,
      fi: json["fi"] as number,
      fn: json["fn"] as number,
      body,
    };
  }
  if (type === typeCode.ack && typeof json["ring"] === "string" && Number.isInteger(json["upTo"])) {
    return { t: "ack", ring: json["ring"], upTo: json["upTo"] as number };
  }
  return null;
}
