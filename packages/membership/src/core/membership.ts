/**
 * The membership core: failure detection, view agreement, quorum and
 * reliable delivery as one state machine. `step(state, input, nowMs)` mutates
 * `state` and returns effects (datagrams to send, events for the layer above,
 * state to persist, when to be called again). No IO, no clock, no randomness.
 *
 * Agreement: a node proposes the view computed from the connectivity rows it
 * knows (views.ts) and installs it as soon as every proposed member proposes
 * the same view; when they still disagree after `consensusMs`, it sets the
 * disagreeing members aside for `consensusMs` and tries again without them.
 */
import { assert } from "@hacrm/common";
import { baseConfig, viewQuorum } from "./quorum.js";
import * as rel from "./reliable.js";
import type {
  CoreInput,
  CoreOptions,
  Effects,
  HeartbeatMsg,
  HeartbeatWire,
  LmsState,
  MemberRef,
  Msg,
  Persisted,
  QuorumConfigSet,
  QuorumStatus,
  Row,
  View,
  ViewDesc,
} from "./types.js";
import { cliqueOf, ringId, sameView, seniorMembers, targetView } from "./views.js";

export interface PeerState {
  id: number;
  votes: number;
  /** Incarnation last heard; 0 = never heard. */
  inc: number;
  /** Last datagram received directly from this peer (any link). */
  lastHeardMs: number;
  /**
   * Freshest evidence that this incarnation was alive, on any path: a datagram
   * from it, or its row relayed by another node, dated by the row's age.
   */
  aliveAtMs: number;
  hb: HeartbeatMsg | null;
  excludedUntilMs: number;
  /** Start of the current stretch of hearing this peer without a token-long gap. */
  heardSinceMs: number;
  /** Losses of this incarnation not yet forgiven (link flapping damping). */
  flaps: number;
}

interface RowEntry {
  row: Row;
  /** When the row's version was made, as far as this node can tell (receipt time minus the age relayed with it). */
  madeAtMs: number;
}

export interface CoreState {
  opts: Required<Omit<CoreOptions, "quorum" | "nodes">> & Pick<CoreOptions, "quorum" | "nodes">;
  limits: rel.ReliableLimits;
  inc: number;
  peers: Map<number, PeerState>;
  rows: Map<number, RowEntry>;
  hbCounter: number;
  nextHbAtMs: number;
  lastHbSentMs: number;
  heard: number[];
  view: ViewDesc | null;
  viewInstalledAtMs: number;
  prop: ViewDesc;
  ringSeq: number;
  disagreeSinceMs: number | null;
  lms: LmsState;
  baseCfg: QuorumConfigSet;
  wfaCleared: boolean;
  quorum: QuorumStatus | null;
  out: Map<number, rel.OutChannel>;
  in: Map<number, rel.InChannel>;
}

/** Pending last_man_standing configurations kept at most. */
const lmsPendingMax = 4;
/** Pending configurations after merging the members' (asserted). */
const lmsPendingMergedMax = 64;
/** Smallest gap between two heartbeats to one peer, so changes cannot storm. */
const hbGapMinMs = 2;
/** A peer heard this many consensus periods in a row has its flaps forgiven. */
const flapForgiveConsensusPeriods = 4;
/** Heartbeats per token: a peer is lost only after this many in a row are missing on every path. */
const heartbeatsPerToken = 10;
/** A direct link counts as down after this many tokens without a datagram over it (while the peer is alive). */
const linkTimeoutTokens = 2;

export function defaultHeartbeatIntervalMs(tokenMs: number): number {
  return Math.max(1, Math.floor(tokenMs / heartbeatsPerToken));
}

export function createCoreState(
  opts: CoreOptions,
  inc: number,
  persisted: Persisted | null,
  nowMs: number,
): CoreState {
  assert(
    opts.nodes.some((n) => n.id === opts.selfId),
    `node ${opts.selfId} is in the nodelist`,
  );
  assert(inc > 0 && Number.isInteger(inc), "incarnation is a positive integer");
  assert(opts.consensusMs >= opts.tokenMs, "consensus >= token");
  const hb = opts.heartbeatIntervalMs ?? defaultHeartbeatIntervalMs(opts.tokenMs);
  const peers = new Map<number, PeerState>();
  for (const n of opts.nodes) {
    if (n.id !== opts.selfId)
      peers.set(n.id, {
        id: n.id,
        votes: n.votes,
        inc: 0,
        lastHeardMs: -Infinity,
        aliveAtMs: -Infinity,
        hb: null,
        excludedUntilMs: 0,
        heardSinceMs: 0,
        flaps: 0,
      });
  }
  const self: MemberRef[] = [{ id: opts.selfId, inc }];
  const ringSeq = persisted?.ringSeq ?? 0;
  return {
    opts: {
      ...opts,
      heartbeatIntervalMs: hb,
      fragmentBytes: opts.fragmentBytes ?? 1024,
      messageBytesMax: opts.messageBytesMax ?? 4 * 1024 * 1024,
    },
    limits: {
      fragmentBytes: opts.fragmentBytes ?? 1024,
      windowFragments: 128,
      receiveAheadFragments: 1024,
      queueBytesMax: 16 * 1024 * 1024,
      rtoMs: Math.min(200, Math.max(20, Math.floor(opts.tokenMs / 10))),
      retransmitsPerTickMax: 64,
    },
    inc,
    peers,
    rows: new Map(),
    hbCounter: 0,
    nextHbAtMs: nowMs,
    lastHbSentMs: -Infinity,
    heard: [],
    view: null,
    viewInstalledAtMs: nowMs,
    prop: { seq: 0, rep: opts.selfId, members: self }, // placeholder; the first step proposes a real ring
    ringSeq,
    disagreeSinceMs: null,
    lms: persisted?.lms ?? { committed: baseConfig(opts.nodes, opts.quorum), pending: [] },
    baseCfg: baseConfig(opts.nodes, opts.quorum),
    wfaCleared: false,
    quorum: null,
    out: new Map(),
    in: new Map(),
  };
}

export function step(s: CoreState, input: CoreInput, nowMs: number): Effects {
  const fx: Effects = { send: [], events: [], persist: null, wakeAtMs: Infinity };
  if (input.type === "recv") onRecv(s, input.from, input.inc, input.msg, nowMs, fx);
  else if (input.type === "send") onSend(s, input.to, input.body, nowMs, fx);
  // Data and acks from a known incarnation change no membership input.
  const membershipInput =
    input.type !== "send" &&
    (input.type === "tick" || input.msg.t === "hb" || s.peers.get(input.from)?.hb === null);
  if (membershipInput || nowMs >= s.nextHbAtMs) reconcile(s, nowMs, fx);
  fx.wakeAtMs = nextWake(s, nowMs);
  return fx;
}

function onRecv(s: CoreState, from: number, inc: number, msg: Msg, nowMs: number, fx: Effects): void {
  const p = s.peers.get(from);
  if (!p || inc < p.inc) return;
  if (inc > p.inc) {
    p.inc = inc;
    p.hb = null;
    p.flaps = 0;
    p.heardSinceMs = nowMs;
    s.out.delete(from);
    s.in.delete(from);
    const r = s.rows.get(from);
    if (r && r.row.inc < inc) s.rows.delete(from);
  } else if (!isAlive(s, p, nowMs) || !isLinkUp(s, p, nowMs)) {
    // back after a loss: a flapping link must stay up longer each time
    p.flaps++;
    p.heardSinceMs = nowMs;
  }
  if (p.flaps > 0 && nowMs - p.heardSinceMs >= flapForgiveConsensusPeriods * s.opts.consensusMs) p.flaps = 0;
  p.lastHeardMs = nowMs;
  p.aliveAtMs = nowMs;
  if (msg.t === "hb") {
    const view = msg.view === "prop" ? msg.prop : msg.view;
    // A heartbeat overtaken by a newer one (reordered or delayed on the wire) says
    // nothing new about its sender's view: keeping it would move the peer back to
    // an old view and drop quorum in a stable one (controller sim seed 697).
    const ver = (h: { rows: Row[] }) => h.rows.find((r) => r.id === from)?.ver ?? -1;
    if (!p.hb || ver(msg) >= ver(p.hb)) p.hb = { ...msg, view, lms: msg.lms ?? { committed: s.baseCfg, pending: [] } };
    for (const r of msg.rows) mergeRow(s, r, nowMs);
  } else if (msg.t === "data") {
    onData(s, from, msg, nowMs, fx);
  } else {
    const ch = s.out.get(from);
    if (ch && ch.ring === msg.ring) {
      rel.onAck(ch, msg.upTo);
      for (const d of rel.pump(ch, nowMs, s.limits)) fx.send.push({ to: from, msg: d });
    }
  }
}

/**
 * Keep the newest row of each node. A row relayed by a third node is also
 * evidence that its node was alive when it made the row: `age` ms before the
 * relay sent it (receipt minus age; transit time is not counted, which on a
 * LAN is a millisecond or less).
 */
function mergeRow(s: CoreState, r: Row, nowMs: number): void {
  if (r.id === s.opts.selfId || !s.peers.has(r.id)) return;
  const known = s.peers.get(r.id) as PeerState;
  if (r.inc < known.inc) return;
  const age = r.age ?? 0;
  if (typeof age !== "number" || !(age >= 0) || age >= s.opts.tokenMs) return; // stale, or not an age at all
  const madeAtMs = nowMs - age;
  const row: Row = { id: r.id, inc: r.inc, ver: r.ver, heard: r.heard };
  const cur = s.rows.get(r.id);
  if (!cur || r.inc > cur.row.inc || (r.inc === cur.row.inc && r.ver > cur.row.ver)) {
    s.rows.set(r.id, { row, madeAtMs });
    if (r.inc === known.inc && madeAtMs > known.aliveAtMs) known.aliveAtMs = madeAtMs;
  } else if (r.inc === cur.row.inc && r.ver === cur.row.ver && madeAtMs < cur.madeAtMs) {
    // The same version again, relayed back and forth: keep the earliest dating.
    // Taking the latest would add each hop's transit and queueing time, and
    // keep a dead node alive past token.
    cur.madeAtMs = madeAtMs;
  }
}

function onData(
  s: CoreState,
  from: number,
  msg: Extract<Msg, { t: "data" }>,
  nowMs: number,
  fx: Effects,
): void {
  const v = s.view;
  if (!v || ringId(v) !== msg.ring) return;
  const member = v.members.find((m) => m.id === from);
  if (!member || member.inc !== s.peers.get(from)?.inc) return;
  let ch = s.in.get(from);
  if (!ch || ch.ring !== msg.ring) {
    ch = rel.newIn(msg.ring);
    s.in.set(from, ch);
  }
  const { bodies, ack } = rel.receive(ch, msg, s.limits);
  for (const body of bodies) fx.events.push({ type: "deliver", from, viewId: msg.ring, body });
  fx.send.push({ to: from, msg: ack });
  void nowMs;
}

function onSend(s: CoreState, to: number[], body: Uint8Array, nowMs: number, fx: Effects): void {
  const v = s.view;
  if (!v) {
    fx.refused = "no view installed yet";
    return;
  }
  if (body.length > s.opts.messageBytesMax) {
    fx.refused = `message of ${body.length} bytes exceeds messageBytesMax ${s.opts.messageBytesMax}`;
    return;
  }
  const ring = ringId(v);
  for (const id of to) {
    if (id === s.opts.selfId) {
      fx.events.push({ type: "deliver", from: id, viewId: ring, body });
      continue;
    }
    if (!v.members.some((m) => m.id === id)) {
      fx.refused = `node ${id} is not a member of view ${ring}`;
      continue;
    }
    let ch = s.out.get(id);
    if (!ch || ch.ring !== ring) {
      ch = rel.newOut(ring);
      s.out.set(id, ch);
    }
    if (!rel.enqueue(ch, body, s.limits)) fx.refused = `send queue to node ${id} is full`;
    for (const d of rel.pump(ch, nowMs, s.limits)) fx.send.push({ to: id, msg: d });
  }
}

/** Some path brought news of this incarnation within the last token: a real crash ends this within token. */
function isAlive(s: CoreState, p: PeerState, nowMs: number): boolean {
  return p.inc > 0 && nowMs - p.aliveAtMs < s.opts.tokenMs;
}

/**
 * The direct link from the peer carried a datagram lately. A lossy link that
 * delivers one heartbeat in 2 x token still counts; a cut one (the peer alive
 * through others) stops counting after 2 x token, so views keep only pairs
 * that hear each other.
 */
function isLinkUp(s: CoreState, p: PeerState, nowMs: number): boolean {
  return nowMs - p.lastHeardMs < linkTimeoutTokens * s.opts.tokenMs;
}

function isHeard(s: CoreState, p: PeerState, nowMs: number): boolean {
  return (
    isAlive(s, p, nowMs) &&
    isLinkUp(s, p, nowMs) &&
    p.excludedUntilMs <= nowMs &&
    p.lastHeardMs - p.heardSinceMs >= holdDownMs(s, p)
  );
}

/**
 * How long a peer that came back after a loss must be heard before it counts
 * again: nothing the first time, then token/2 doubling per flap, at most
 * `consensus` (so merges after faults stop stay within token + consensus).
 */
export function holdDownMs(s: CoreState, p: PeerState): number {
  if (p.flaps <= 1) return 0;
  return Math.min(s.opts.consensusMs, (s.opts.tokenMs / 2) * 2 ** (p.flaps - 2));
}

/** Fresh connectivity rows (made less than a token ago), including this node's own. */
function freshRows(s: CoreState, nowMs: number): Map<number, Row> {
  const rows = new Map<number, Row>();
  rows.set(s.opts.selfId, { id: s.opts.selfId, inc: s.inc, ver: s.hbCounter, heard: s.heard });
  for (const [id, e] of s.rows) {
    const p = s.peers.get(id) as PeerState;
    if (nowMs - e.madeAtMs < s.opts.tokenMs && e.row.inc === p.inc) rows.set(id, e.row);
  }
  return rows;
}

/** The rows a heartbeat carries, each with its age in whole ms (rounded up). */
function rowsToSend(s: CoreState, nowMs: number): Row[] {
  const out: Row[] = [{ id: s.opts.selfId, inc: s.inc, ver: s.hbCounter, heard: s.heard }];
  for (const [id, e] of s.rows) {
    const p = s.peers.get(id) as PeerState;
    const age = Math.ceil(nowMs - e.madeAtMs);
    if (age < s.opts.tokenMs && e.row.inc === p.inc) out.push({ ...e.row, age });
  }
  return out;
}

function reconcile(s: CoreState, nowMs: number, fx: Effects): void {
  const heard = [...s.peers.values()].filter((p) => isHeard(s, p, nowMs)).map((p) => p.id);
  if (heard.join() !== s.heard.join()) {
    s.heard = heard;
    s.nextHbAtMs = Math.min(s.nextHbAtMs, s.lastHbSentMs + hbGapMinMs);
  }
  const prop = propose(s, nowMs);
  if (!sameView(prop, s.prop)) {
    s.prop = prop;
    s.nextHbAtMs = Math.min(s.nextHbAtMs, s.lastHbSentMs + hbGapMinMs);
    if (prop.seq > s.ringSeq) {
      s.ringSeq = prop.seq;
      fx.persist = { ringSeq: s.ringSeq, lms: s.lms };
    }
  }
  agree(s, nowMs, fx);
  updateQuorum(s, nowMs, fx);
  if (nowMs >= s.nextHbAtMs) sendHeartbeats(s, nowMs, fx);
  for (const [id, ch] of s.out) {
    for (const d of rel.retransmits(ch, nowMs, s.limits)) fx.send.push({ to: id, msg: d });
  }
}

function propose(s: CoreState, nowMs: number): ViewDesc {
  const rows = freshRows(s, nowMs);
  const current = (m: MemberRef) =>
    m.id === s.opts.selfId ? m.inc === s.inc : s.peers.get(m.id)?.inc === m.inc && rows.has(m.id);
  const known = [s.view, ...[...s.peers.values()].map((p) => (rows.has(p.id) ? (p.hb?.view ?? null) : null))];
  const ids = cliqueOf(s.opts.selfId, rows, seniorMembers(known, current));
  const members: MemberRef[] = ids.map((id) => ({
    id,
    inc: id === s.opts.selfId ? s.inc : (s.peers.get(id) as PeerState).inc,
  }));
  const installed: (ViewDesc | null)[] = [s.view];
  const proposals: ViewDesc[] = [];
  for (const m of members) {
    const hb = s.peers.get(m.id)?.hb;
    if (hb) {
      installed.push(hb.view);
      proposals.push(hb.prop);
    }
  }
  return targetView(members, installed, proposals, s.prop, s.ringSeq);
}

/** Install the proposal once every member proposes it; set disagreeing members aside after consensus. */
function agree(s: CoreState, nowMs: number, fx: Effects): void {
  const others = s.prop.members.filter((m) => m.id !== s.opts.selfId);
  const disagreeing = others.filter((m) => {
    const p = s.peers.get(m.id) as PeerState;
    return (
      p.inc !== m.inc ||
      !p.hb ||
      !sameView(p.hb.prop, s.prop) ||
      !isAlive(s, p, nowMs) ||
      !isLinkUp(s, p, nowMs)
    );
  });
  if (disagreeing.length === 0) {
    s.disagreeSinceMs = null;
    if (!sameView(s.view, s.prop)) install(s, s.prop, nowMs, fx);
    return;
  }
  s.disagreeSinceMs ??= nowMs;
  if (nowMs - s.disagreeSinceMs >= s.opts.consensusMs) {
    for (const m of disagreeing)
      (s.peers.get(m.id) as PeerState).excludedUntilMs = nowMs + s.opts.consensusMs;
    s.disagreeSinceMs = null;
  }
}

function install(s: CoreState, v: ViewDesc, nowMs: number, fx: Effects): void {
  const old = s.view?.members ?? [];
  const had = (list: MemberRef[], m: MemberRef) => list.some((x) => x.id === m.id && x.inc === m.inc);
  s.view = v;
  s.viewInstalledAtMs = nowMs;
  s.out.clear();
  s.in.clear();
  assert(v.seq <= s.ringSeq, "an installed ring was proposed first");
  fx.events.push({
    type: "view",
    view: toView(v),
    joined: v.members.filter((m) => !had(old, m)).map((m) => m.id),
    left: old.filter((m) => !had(v.members, m)).map((m) => m.id),
  });
  s.nextHbAtMs = Math.min(s.nextHbAtMs, s.lastHbSentMs + hbGapMinMs);
}

export function toView(v: ViewDesc): View {
  return {
    id: ringId(v),
    seq: v.seq,
    rep: v.rep,
    members: v.members.map((m) => m.id),
    incarnations: v.members,
  };
}

/** Heartbeats of view members that are in the same view as this node. */
function viewPeers(s: CoreState): HeartbeatMsg[] {
  const v = s.view;
  if (!v) return [];
  const out: HeartbeatMsg[] = [];
  for (const m of v.members) {
    const hb = s.peers.get(m.id)?.hb;
    if (m.id !== s.opts.selfId && hb && sameView(hb.view, v)) out.push(hb);
  }
  return out;
}

/**
 * last_man_standing_window, at least token + consensus + one heartbeat
 * interval: by then a member cut off from the rest has left its quorate view
 * (or seen a peer's heartbeat from another view), so the rest cannot move to
 * a configuration that lets a disjoint partition be quorate while it still
 * counts itself quorate in the old view.
 */
export function lmsWindowMs(s: CoreState): number {
  const o = s.opts;
  return Math.max(o.quorum.lastManStandingWindowMs, o.tokenMs + o.consensusMs + o.heartbeatIntervalMs);
}

function updateQuorum(s: CoreState, nowMs: number, fx: Effects): void {
  const v = s.view;
  if (!v) return;
  const votesById = new Map(s.opts.nodes.map((n) => [n.id, n.votes]));
  const r = viewQuorum({
    lms: s.lms,
    wfaCleared: s.wfaCleared,
    tag: ringId(v),
    members: v.members.map((m) => ({ id: m.id, votes: votesById.get(m.id) ?? 0 })),
    peers: viewPeers(s),
    base: s.baseCfg,
    opts: s.opts.quorum,
    windowDone: nowMs - s.viewInstalledAtMs >= lmsWindowMs(s),
    pendingMax: lmsPendingMax,
    mergedPendingMax: lmsPendingMergedMax,
  });
  s.lms = r.lms;
  s.wfaCleared = r.wfaCleared;
  const status = r.status;
  if (r.lmsChanged) fx.persist = { ringSeq: s.ringSeq, lms: s.lms };
  const q = s.quorum;
  if (
    !q ||
    q.quorate !== status.quorate ||
    q.votes !== status.votes ||
    q.expected !== status.expected ||
    q.waitForAllPending !== status.waitForAllPending
  ) {
    fx.events.push({ type: "quorum", status, viewId: ringId(v) });
  }
  s.quorum = status;
}

function sendHeartbeats(s: CoreState, nowMs: number, fx: Effects): void {
  s.hbCounter++;
  const rows = rowsToSend(s, nowMs);
  const isBase = s.lms.committed.epoch === 0 && s.lms.pending.length === 0;
  const view = s.view && sameView(s.view, s.prop) ? "prop" : s.view;
  const msg: HeartbeatWire = {
    t: "hb",
    rows,
    prop: s.prop,
    view,
    wfaCleared: s.wfaCleared,
    lms: isBase ? null : s.lms,
  };
  for (const id of s.peers.keys()) fx.send.push({ to: id, msg });
  s.lastHbSentMs = nowMs;
  s.nextHbAtMs = nowMs + s.opts.heartbeatIntervalMs;
}

function nextWake(s: CoreState, nowMs: number): number {
  let t = s.nextHbAtMs;
  const later = (x: number) => {
    if (x > nowMs && x < t) t = x;
  };
  for (const p of s.peers.values()) {
    if (p.inc > 0) {
      later(p.aliveAtMs + s.opts.tokenMs);
      later(p.lastHeardMs + linkTimeoutTokens * s.opts.tokenMs);
    }
    later(p.excludedUntilMs);
  }
  for (const e of s.rows.values()) later(e.madeAtMs + s.opts.tokenMs);
  if (s.disagreeSinceMs !== null) later(s.disagreeSinceMs + s.opts.consensusMs);
  if (s.opts.quorum.lastManStanding) later(s.viewInstalledAtMs + lmsWindowMs(s));
  for (const ch of s.out.values()) later(rel.nextRetransmitMs(ch, s.limits));
  return Math.max(t, nowMs);
}

/** A read-only snapshot for status output. */
export function coreSnapshot(s: CoreState, nowMs: number) {
  return {
    selfId: s.opts.selfId,
    incarnation: s.inc,
    view: s.view ? toView(s.view) : null,
    viewInstalledAtMs: s.viewInstalledAtMs,
    quorum: s.quorum,
    lmsEpoch: s.lms.committed.epoch,
    peers: [...s.peers.values()].map((p) => ({
      id: p.id,
      incarnation: p.inc,
      heard: isHeard(s, p, nowMs),
      lastHeardAgoMs: p.inc > 0 ? nowMs - p.lastHeardMs : null,
    })),
  };
}
