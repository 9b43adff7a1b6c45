/**
 * Data of the membership core: options, wire messages (already authenticated
 * by the codec), events in, effects out. No IO, no clock: time is `nowMs`.
 */
import type { QuorumConfig } from "@hacrm/common";

export interface NodeSpec {
  id: number;
  votes: number;
}

/** The config file's `quorum {}` section, as the core uses it. */
export type QuorumOptions = Omit<QuorumConfig, "provider">;

export interface CoreOptions {
  selfId: number;
  nodes: NodeSpec[];
  /** Silence after which a peer is declared lost. */
  tokenMs: number;
  /** How long members may disagree on the next view before the disagreeing ones are set aside. */
  consensusMs: number;
  /** Heartbeat period; default tokenMs / 10. */
  heartbeatIntervalMs?: number;
  quorum: QuorumOptions;
  /** Payload bytes per data fragment. */
  fragmentBytes?: number;
  /** Largest message accepted by `send`, in bytes. */
  messageBytesMax?: number;
}

/** A view target: ring id (seq, representative) and members with incarnations. */
export interface ViewDesc {
  seq: number;
  rep: number;
  members: MemberRef[];
}
export interface MemberRef {
  id: number;
  inc: number;
}

/** A quorum configuration: base (epoch 0) or one set by last_man_standing. */
export interface QuorumConfigSet {
  epoch: number;
  /** Ring id of the view that created it ("base" for epoch 0). */
  tag: string;
  members: NodeSpec[];
  expected: number;
}

export interface LmsState {
  committed: QuorumConfigSet;
  pending: QuorumConfigSet[];
}

/** One node's connectivity row: whom it hears, versioned by its heartbeat counter. */
export interface Row {
  id: number;
  inc: number;
  ver: number;
  heard: number[];
  /** In a heartbeat: ms since the row's node made this version, as the sender reckons (absent = 0, its own row). */
  age?: number;
}

export type Msg = HeartbeatWire | DataMsg | AckMsg;

export interface HeartbeatMsg {
  t: "hb";
  rows: Row[];
  prop: ViewDesc;
  view: ViewDesc | null;
  wfaCleared: boolean;
  lms: LmsState;
}
/** A heartbeat as sent: `view` "prop" = same as `prop`; `lms` null = base configuration, nothing pending. */
export interface HeartbeatWire {
  t: "hb";
  rows: Row[];
  prop: ViewDesc;
  view: ViewDesc | null | "prop";
  wfaCleared: boolean;
  lms: LmsState | null;
}
export interface DataMsg {
  t: "data";
  ring: string;
  fseq: number;
  fi: number;
  fn: number;
  body: Uint8Array;
}
export interface AckMsg {
  t: "ack";
  ring: string;
  upTo: number;
}

export type CoreInput =
  | { type: "tick" }
  | { type: "recv"; from: number; inc: number; msg: Msg }
  | { type: "send"; to: number[]; body: Uint8Array };

export interface View {
  /** "rep.seq", e.g. "1.7" (Corosync prints its ring id the same way). */
  id: string;
  seq: number;
  rep: number;
  members: number[];
  incarnations: MemberRef[];
}

export interface QuorumStatus {
  quorate: boolean;
  /** Votes of the members of the current view. */
  votes: number;
  /** Expected votes of the quorum configuration in force. */
  expected: number;
  /** Votes needed: floor(expected / 2) + 1 (1 with two_node). */
  quorum: number;
  waitForAllPending: boolean;
  flags: string[];
}

export type MembershipEvent =
  | { type: "view"; view: View; joined: number[]; left: number[] }
  | { type: "quorum"; status: QuorumStatus; viewId: string }
  | { type: "deliver"; from: number; viewId: string; body: Uint8Array };

export interface Persisted {
  ringSeq: number;
  lms: LmsState;
}

export interface Effects {
  send: { to: number; msg: Msg }[];
  events: MembershipEvent[];
  persist: Persisted | null;
  /** Call `step` with a tick at this time (or earlier). */
  wakeAtMs: number;
  /** Set when a `send` input was refused (no view, too big, queue full). */
  refused?: string;
}
