/**
 * Data of the controller core (DC election, join, CIB replication): options,
 * inputs, effects, the messages between controllers and what a node keeps on
 * disk. No IO, no clock: membership events and messages come in, effects go
 * out, in the order the host must perform them.
 */
import type { CibPatch, CibProblem, CibVersion, XmlElement } from "@hacrm/cib";

/**
 * A DC's tenure: the ring id (seq, representative) of the view it was elected
 * in. Ring seqs only grow on every node, so of two views that share a member
 * the later one has the higher term.
 */
export interface Term {
  seq: number;
  rep: number;
}

/** One term a copy of the CIB went through: the versions it was written at ended at `endVersion`. */
export interface LineageEntry {
  term: Term;
  /** The last version of this term in the history; null for the copy's own (current) term. */
  endVersion: CibVersion | null;
}

/** What a node keeps durably: its copy of the CIB and where the copy comes from. */
export interface StoredCib {
  /** Term of the DC that produced this copy; {0, 0} before the node ever joined a DC. */
  term: Term;
  /** Terms this copy's history went through, oldest first, at most `lineageTermsMax`. */
  lineage: LineageEntry[];
  doc: XmlElement;
  /** Cached: `versionOf(doc)`. */
  version: CibVersion;
  /** Cached: `documentDigest(doc)`. */
  digest: string;
}

export interface ControllerNode {
  id: number;
  name: string;
}

export interface ControllerOptions {
  selfId: number;
  /** The nodelist: ids and names (node_state ids and unames). */
  nodes: ControllerNode[];
  /**
   * The CIB checks of a configuration write (schema and semantic, the same as
   * `hacrm verify`). Injected: pure for a given schema.
   */
  validate: (doc: XmlElement) => CibProblem[];
  /** Writes waiting at a DC that is still joining its members, or forwarded and unanswered. */
  writesQueuedMax?: number;
  /** Configuration changes remembered to tell a refused client what changed. */
  changeLogEntriesMax?: number;
  /** Terms remembered in a copy's lineage. */
  lineageTermsMax?: number;
}

/** The view as the controller needs it (membership's `View`). */
export interface ViewInfo {
  id: string;
  seq: number;
  rep: number;
  members: number[];
  incarnations: { id: number; inc: number }[];
}

/** A client's claim of what it edited: a version and, when known, that version's configuration digest. */
export interface BaseRef {
  version: CibVersion;
  configDigest?: string;
}

export type CibWrite =
  /** Replace the configuration (and the cib element's attributes) with the document's; status stays. */
  | { op: "replace"; xml: string; base: BaseRef | null; force?: boolean }
  /** Apply a patch made from the client's copy (its `from` is the base). */
  | { op: "patch"; patch: CibPatch; force?: boolean }
  /** Replace (or add) one node's `node_state` in the status section. */
  | { op: "status"; nodeState: string }
  /**
   * A node records its own operation history (operation-history.ts): one
   * `lrm_resource` replaced (null: removed) in its `node_state`, and
   * transient attributes set (null: deleted).
   */
  | {
      op: "history";
      node: string;
      uname: string;
      resource: string;
      lrmResource: string | null;
      attributes: Record<string, string | null>;
    }
  /** A node sets (null: deletes) its own transient attributes, e.g. `shutdown` when it leaves. */
  | { op: "attributes"; node: string; uname: string; attributes: Record<string, string | null> }
  /** Forget a resource's operation history and fail counts (on one node, or everywhere): `hacrm resource cleanup`. */
  | { op: "cleanup"; resource: string; node?: string };

export type WriteErrorCode =
  | "NO_QUORUM"
  | "NO_DC"
  | "CONFIG_CHANGED"
  | "CIB_INVALID"
  | "PATCH_REFUSED"
  | "BAD_REQUEST"
  | "WRITE_INTERRUPTED"
  | "BUSY"
  /** This node cannot make its copy durable (disk full, read-only); `message` names the file. */
  | "NOT_DURABLE";

export interface WriteError {
  code: WriteErrorCode;
  message: string;
  hint?: string;
  /** CONFIG_CHANGED: paths of what changed in the configuration since the base. */
  changed?: string[];
  /** CIB_INVALID: one line per problem, as `hacrm verify` prints them. */
  problems?: string[];
}

export type WriteResult = { ok: true; version: CibVersion } | { ok: false; error: WriteError };

/** What a member tells the DC when it joins. */
export interface JoinReport {
  term: Term;
  version: CibVersion;
  digest: string;
  configDigest: string;
  /** The member's own `node_state` (from its executor's journal), serialized; null when it has none. */
  nodeState: string | null;
}

export type SyncBody =
  /** The member already holds this document; only the term and lineage move. */
  { mode: "same" } | { mode: "patch"; patch: CibPatch } | { mode: "full"; xml: string };

/** Messages between controllers, sent over membership's reliable ordered delivery within a view. */
export type CtlMsg =
  | { t: "report"; view: string; round: number; report: JoinReport }
  | { t: "report-request"; view: string; round: number }
  | { t: "fetch"; view: string; round: number }
  | { t: "cib"; view: string; round: number; xml: string; digest: string; lineage: LineageEntry[] }
  | {
      t: "sync";
      view: string;
      round: number;
      term: Term;
      lineage: LineageEntry[];
      version: CibVersion;
      digest: string;
      body: SyncBody;
    }
  | { t: "synced"; view: string; round: number; version: CibVersion; digest: string }
  | { t: "write"; view: string; req: string; write: CibWrite }
  | { t: "result"; view: string; req: string; result: WriteResult }
  | { t: "patch"; view: string; patch: CibPatch }
  | { t: "applied"; view: string; version: CibVersion }
  | { t: "need-full"; view: string; have: CibVersion };

export type ControllerInput =
  /**
   * Membership changed: a new view and/or quorum. Hosts pass the view and
   * quorum events of one membership step together, so the DC decides once.
   */
  | { type: "membership"; view?: ViewInfo; quorate?: boolean }
  | { type: "deliver"; from: number; body: Uint8Array }
  | { type: "submit"; req: string; write: CibWrite }
  /** What this node reports about itself at join (its executor's journal as a node_state); null = nothing. */
  | { type: "local-state"; nodeState: string | null };

export type ControllerEvent =
  | { type: "dc_elected"; view: string; dc: number }
  | { type: "cib_adopted"; view: string; version: CibVersion; from: number; reports: number }
  | { type: "dc_ready"; view: string; version: CibVersion }
  | { type: "cib_synced"; view: string; dc: number; version: CibVersion; mode: SyncBody["mode"] }
  | { type: "cib_committed"; view: string; version: CibVersion; kind: "configuration" | "status" }
  | {
      type: "changes_dropped";
      view: string;
      dropped: { term: Term; version: CibVersion };
      adopted: CibVersion;
      /** Configuration paths the newer CIB does not have (or has differently). */
      paths: string[];
    }
  | { type: "full_copy_requested"; view: string; have: CibVersion; reason: string }
  | { type: "message_dropped"; from: number; reason: string };

export type Effect =
  /** Make this copy durable before performing the effects after it. */
  | { type: "persist"; cib: StoredCib }
  /** Send over membership's reliable ordered delivery in the current view. */
  | { type: "send"; to: number; body: Uint8Array }
  /** Answer a local client's write. */
  | { type: "reply"; req: string; result: WriteResult }
  | { type: "event"; event: ControllerEvent };
