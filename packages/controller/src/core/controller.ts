/**
 * The controller core: DC election, join and CIB replication as one state
 * machine. `controllerStep(state, input)` mutates `state` and returns effects in the
 * order the host must perform them (persist before the sends that depend on
 * it). No IO, no clock, no randomness; membership's reliable ordered delivery
 * carries the messages, one view at a time.
 *
 * - Election: the candidate of a view is known to every member at once
 *   (election.ts); it leads when its partition may have a DC.
 * - Join: members report (term, version, digest) as soon as they install a
 *   view; the DC fetches the winning copy when it is not its own, adopts it
 *   with the status rebuilt from the reports, and syncs every member (nothing,
 *   a patch, or the full document). The DC is ready once every member
 *   confirmed the adopted copy durable.
 * - Replication: the ready DC checks, applies, versions and persists each
 *   write, sends it as a patch; members apply in order and confirm; a write
 *   is acknowledged once every member of the view confirmed it durable.
 *   Members ask for a full copy when a patch does not apply.
 */
import {
  applyPatchOps,
  changeKind,
  compareVersions,
  configurationDigest,
  diffCib,
  documentDigest,
  parseXml,
  serializeXml,
  setVersion,
  versionOf,
  type CibPatch,
  type CibVersion,
  type XmlElement,
} from "@hacrm/cib";
import { assert, isHacrmError } from "@hacrm/common";
import { candidateOf, mayLead, termOf } from "./election.js";
import { adoptedVersion, extendLineage, inHistory, pickWinner, rebuildStatus } from "./join.js";
import type {
  CibWrite,
  ControllerEvent,
  ControllerInput,
  ControllerOptions,
  CtlMsg,
  Effect,
  JoinReport,
  LineageEntry,
  StoredCib,
  SyncBody,
  Term,
  ViewInfo,
  WriteError,
  WriteResult,
} from "./types.js";
import { applyWrite, type ChangeLogEntry } from "./write.js";

type Phase = "waiting" | "collecting" | "fetching" | "syncing" | "ready";

interface PendingAck {
  origin: number;
  req: string;
  version: CibVersion;
}
interface QueuedWrite {
  origin: number;
  req: string;
  write: CibWrite;
}

/** What the candidate of the current view keeps. */
export interface LeadState {
  term: Term;
  phase: Phase;
  round: number;
  /** A sync went out in this view already: the members' first reports are stale. */
  synced: boolean;
  reports: Map<number, JoinReport>;
  winner: number | null;
  confirmedSync: Set<number>;
  confirmed: Map<number, CibVersion>;
  pendingAcks: PendingAck[];
  queued: QueuedWrite[];
  changeLog: ChangeLogEntry[];
  changeLogFrom: CibVersion;
}

export interface ControllerState {
  opts: Required<ControllerOptions>;
  names: Map<number, string>;
  cib: StoredCib;
  localNodeState: string | null;
  view: ViewInfo | null;
  quorate: boolean;
  candidate: number | null;
  /** The DC whose sync this node took in the current view. */
  dc: number | null;
  awaitingFull: boolean;
  /** Local writes forwarded to the DC, by request id. */
  forwarded: Map<string, number>;
  lead: LeadState | null;
}

const zeroTerm: Term = { seq: 0, rep: 0 };

/** The CIB of a node that never had one: empty sections, version 0.0.0. */
export function emptyCibXml(): string {
  return (
    '<cib admin_epoch="0" epoch="0" num_updates="0" validate-with="pacemaker-3.9">' +
    "<configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"
  );
}

/** A stored copy for a document that never went through a DC (a fresh node, or a loaded file). */
export function initialStoredCib(doc: XmlElement): StoredCib {
  return { term: zeroTerm, lineage: [], doc, version: versionOf(doc), digest: documentDigest(doc) };
}

export function createControllerState(opts: ControllerOptions, stored: StoredCib | null): ControllerState {
  assert(
    opts.nodes.some((n) => n.id === opts.selfId),
    `node ${opts.selfId} is in the nodelist`,
  );
  const cib = stored ?? initialStoredCib(parseXml(emptyCibXml(), "empty CIB"));
  return {
    opts: { writesQueuedMax: 1024, changeLogEntriesMax: 64, lineageTermsMax: 64, ...opts },
    names: new Map(opts.nodes.map((n) => [n.id, n.name])),
    cib,
    localNodeState: null,
    view: null,
    quorate: false,
    candidate: null,
    dc: null,
    awaitingFull: false,
    forwarded: new Map(),
    lead: null,
  };
}

export function controllerStep(s: ControllerState, input: ControllerInput): Effect[] {
  const fx: Effect[] = [];
  switch (input.type) {
    case "membership":
      if (input.quorate !== undefined) s.quorate = input.quorate;
      if (input.view !== undefined) onView(s, input.view, fx);
      if (s.lead) reconsiderLead(s, fx);
      break;
    case "deliver":
      onDeliver(s, input.from, input.body, fx);
      break;
    case "submit":
      onSubmit(s, input.req, input.write, fx);
      break;
    case "local-state":
      s.localNodeState = input.nodeState;
      break;
  }
  return fx;
}

/** The role of this node, for status output and the simulator. */
export function roleOf(s: ControllerState): "dc" | "dc-joining" | "member" | "none" {
  if (s.lead && s.lead.phase === "ready") return "dc";
  if (s.lead && s.lead.phase !== "waiting") return "dc-joining";
  return s.dc !== null ? "member" : "none";
}

// ---- effects helpers -------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encode(msg: CtlMsg): Uint8Array {
  return encoder.encode(JSON.stringify(msg));
}
function send(fx: Effect[], to: number, msg: CtlMsg): void {
  fx.push({ type: "send", to, body: encode(msg) });
}
function event(fx: Effect[], e: ControllerEvent): void {
  fx.push({ type: "event", event: e });
}
function persist(s: ControllerState, fx: Effect[], cib: StoredCib): void {
  assert(
    compareVersions(cib.version, s.cib.version) >= 0,
    `the CIB version of node ${s.opts.selfId} never goes backwards`,
  );
  s.cib = cib;
  fx.push({ type: "persist", cib });
}
function fail(code: WriteError["code"], message: string, hint?: string): WriteResult {
  return { ok: false, error: { code, message, ...(hint ? { hint } : {}) } };
}
function respond(s: ControllerState, fx: Effect[], origin: number, req: string, result: WriteResult): void {
  if (origin === s.opts.selfId) fx.push({ type: "reply", req, result });
  else if (s.view) send(fx, origin, { t: "result", view: s.view.id, req, result });
}
function others(s: ControllerState): number[] {
  return (s.view?.members ?? []).filter((m) => m !== s.opts.selfId);
}
function myReport(s: ControllerState): JoinReport {
  return {
    term: s.cib.term,
    version: s.cib.version,
    digest: s.cib.digest,
    configDigest: configurationDigest(s.cib.doc),
    nodeState: s.localNodeState,
  };
}

// ---- membership --------------------------------------------------------------

function onView(s: ControllerState, view: ViewInfo, fx: Effect[]): void {
  const interrupted = fail(
    "WRITE_INTERRUPTED",
    "the cluster membership changed before the write was confirmed on every member",
    "the write may or may not be in the CIB: query it, then retry",
  );
  for (const req of s.forwarded.keys()) fx.push({ type: "reply", req, result: interrupted });
  s.forwarded.clear();
  if (s.lead) {
    for (const p of [...s.lead.pendingAcks, ...s.lead.queued])
      if (p.origin === s.opts.selfId) fx.push({ type: "reply", req: p.req, result: interrupted });
  }
  s.view = view;
  s.candidate = candidateOf(view);
  s.dc = null;
  s.awaitingFull = false;
  s.lead = null;
  if (s.candidate === s.opts.selfId) {
    s.lead = {
      term: termOf(view),
      phase: "waiting",
      round: 0,
      synced: false,
      reports: new Map([[s.opts.selfId, myReport(s)]]),
      winner: null,
      confirmedSync: new Set(),
      confirmed: new Map(),
      pendingAcks: [],
      queued: [],
      changeLog: [],
      changeLogFrom: s.cib.version,
    };
  } else {
    send(fx, s.candidate, { t: "report", view: view.id, round: 0, report: myReport(s) });
  }
}

/** Take or give up the DC role after a membership change. */
function reconsiderLead(s: ControllerState, fx: Effect[]): void {
  const lead = s.lead as LeadState;
  const view = s.view as ViewInfo;
  const eligible = mayLead(s.quorate, s.cib.doc);
  if (!eligible) {
    if (lead.phase === "waiting") return;
    const noQuorum = fail(
      "NO_QUORUM",
      "this partition lost quorum; the CIB accepts no writes (no-quorum-policy is not ignore)",
    );
    for (const p of [...lead.pendingAcks, ...lead.queued]) respond(s, fx, p.origin, p.req, noQuorum);
    lead.pendingAcks = [];
    lead.queued = [];
    lead.phase = "waiting";
    return;
  }
  if (lead.phase !== "waiting") return;
  event(fx, { type: "dc_elected", view: view.id, dc: s.opts.selfId });
  lead.phase = "collecting";
  if (lead.synced) {
    lead.round++;
    lead.reports = new Map([[s.opts.selfId, myReport(s)]]);
    for (const m of others(s)) send(fx, m, { t: "report-request", view: view.id, round: lead.round });
  }
  tryAdopt(s, fx);
}

// ---- messages ----------------------------------------------------------------

function decode(body: Uint8Array): CtlMsg | null {
  try {
    const msg = JSON.parse(decoder.decode(body)) as CtlMsg;
    if (typeof msg !== "object" || msg === null || typeof msg.t !== "string" || typeof msg.view !== "string")
      return null;
    return msg;
  } catch {
    return null;
  }
}

function onDeliver(s: ControllerState, from: number, body: Uint8Array, fx: Effect[]): void {
  const msg = decode(body);
  if (!msg) {
    event(fx, { type: "message_dropped", from, reason: "not a controller message" });
    return;
  }
  if (!s.view || msg.view !== s.view.id || !s.view.members.includes(from)) return; // an older view's
  try {
    if (s.lead) onLeadMsg(s, s.lead, from, msg, fx);
    if (from === s.candidate) onMemberMsg(s, from, msg, fx);
  } catch (err) {
    if (!isHacrmError(err)) throw err;
    event(fx, { type: "message_dropped", from, reason: `${msg.t}: ${err.message}` });
  }
}

function onMemberMsg(s: ControllerState, dc: number, msg: CtlMsg, fx: Effect[]): void {
  const view = s.view as ViewInfo;
  switch (msg.t) {
    case "report-request":
      send(fx, dc, { t: "report", view: view.id, round: msg.round, report: myReport(s) });
      return;
    case "fetch":
      send(fx, dc, {
        t: "cib",
        view: view.id,
        round: msg.round,
        xml: serializeXml(s.cib.doc, { indent: "" }),
        digest: s.cib.digest,
        lineage: s.cib.lineage,
      });
      return;
    case "sync":
      onSync(s, dc, msg, fx);
      return;
    case "patch":
      onPatch(s, dc, msg.patch, fx);
      return;
    case "result": {
      if (!s.forwarded.delete(msg.req)) return;
      fx.push({ type: "reply", req: msg.req, result: msg.result });
      return;
    }
    default:
      return;
  }
}

function onSync(s: ControllerState, dc: number, msg: Extract<CtlMsg, { t: "sync" }>, fx: Effect[]): void {
  const view = s.view as ViewInfo;
  let doc: XmlElement | null = null;
  if (msg.body.mode === "same") doc = s.cib.digest === msg.digest ? s.cib.doc : null;
  else if (msg.body.mode === "patch") doc = tryPatch(s.cib, msg.body.patch);
  else {
    const full = parseXml(msg.body.xml, "sync");
    doc = documentDigest(full) === msg.digest ? full : null;
  }
  if (!doc) {
    askFull(s, dc, `sync (${msg.body.mode}) does not match this copy`, fx);
    return;
  }
  noteDropped(s, msg.lineage, msg.version, doc, fx);
  persist(s, fx, { term: msg.term, lineage: msg.lineage, doc, version: msg.version, digest: msg.digest });
  s.dc = dc;
  s.awaitingFull = false;
  send(fx, dc, { t: "synced", view: view.id, round: msg.round, version: msg.version, digest: msg.digest });
  event(fx, { type: "cib_synced", view: view.id, dc, version: msg.version, mode: msg.body.mode });
}

/** The patched document, or null unless `patch` goes from exactly this copy to exactly its target. */
function tryPatch(cib: StoredCib, patch: CibPatch): XmlElement | null {
  if (cib.digest !== patch.from.digest || compareVersions(cib.version, patch.from.version) !== 0) return null;
  try {
    const doc = applyPatchOps(cib.doc, patch.ops);
    return documentDigest(doc) === patch.to.digest ? doc : null;
  } catch (err) {
    if (isHacrmError(err)) return null;
    throw err;
  }
}

function onPatch(s: ControllerState, dc: number, patch: CibPatch, fx: Effect[]): void {
  if (s.awaitingFull || s.dc !== dc) return;
  const doc = tryPatch(s.cib, patch);
  if (!doc) {
    askFull(s, dc, `patch to ${fmt(patch.to.version)} does not apply to ${fmt(s.cib.version)}`, fx);
    return;
  }
  persist(s, fx, { ...s.cib, doc, version: patch.to.version, digest: patch.to.digest });
  send(fx, dc, { t: "applied", view: (s.view as ViewInfo).id, version: patch.to.version });
}

function askFull(s: ControllerState, dc: number, reason: string, fx: Effect[]): void {
  s.awaitingFull = true;
  const view = (s.view as ViewInfo).id;
  send(fx, dc, { t: "need-full", view, have: s.cib.version });
  event(fx, { type: "full_copy_requested", view, have: s.cib.version, reason });
}

/** Log the configuration changes of this node's copy that the adopted history does not contain. */
function noteDropped(
  s: ControllerState,
  lineage: LineageEntry[],
  version: CibVersion,
  doc: XmlElement,
  fx: Effect[],
): void {
  if (inHistory(lineage, version, s.cib.term, s.cib.version) === true) return;
  if (configurationDigest(s.cib.doc) === configurationDigest(doc)) return;
  const paths = configPaths(diffCib(s.cib.doc, doc));
  event(fx, {
    type: "changes_dropped",
    view: (s.view as ViewInfo).id,
    dropped: { term: s.cib.term, version: s.cib.version },
    adopted: version,
    paths,
  });
}

/**
 * The configuration paths a patch touches, as an operator reads them: an
 * insert names the element it adds, and the `[1]` of sections that occur
 * once is left out (`/cib/configuration/resources/primitive[@id='a1']`).
 */
function configPaths(patch: CibPatch): string[] {
  const paths = patch.ops.map((o) => {
    if (o.op !== "insert") return o.path;
    const id = o.element.attrs["id"];
    return `${o.parent}/${o.element.name}${id === undefined ? "" : `[@id='${id}']`}`;
  });
  const readable = paths.map((p) => p.replace(/\[1\]/g, ""));
  return [...new Set(readable.filter((p) => p.startsWith("/cib/configuration")))];
}

function fmt(v: CibVersion): string {
  return `${v.admin_epoch}.${v.epoch}.${v.num_updates}`;
}

// ---- the DC ------------------------------------------------------------------

function onLeadMsg(s: ControllerState, lead: LeadState, from: number, msg: CtlMsg, fx: Effect[]): void {
  switch (msg.t) {
    case "report":
      if (msg.round !== lead.round) return;
      lead.reports.set(from, msg.report);
      tryAdopt(s, fx);
      return;
    case "cib":
      if (lead.phase !== "fetching" || msg.round !== lead.round || from !== lead.winner) return;
      onFetched(s, lead, msg, fx);
      return;
    case "synced":
      if (msg.round !== lead.round) return;
      lead.confirmedSync.add(from);
      raiseConfirmed(lead, from, msg.version);
      if (lead.phase === "syncing" && others(s).every((m) => lead.confirmedSync.has(m))) becomeReady(s, fx);
      else if (lead.phase === "ready") checkAcks(s, lead, fx);
      return;
    case "applied":
      raiseConfirmed(lead, from, msg.version);
      checkAcks(s, lead, fx);
      return;
    case "need-full":
      if (lead.phase !== "syncing" && lead.phase !== "ready") return;
      syncMember(s, lead, from, { mode: "full", xml: serializeXml(s.cib.doc, { indent: "" }) }, fx);
      return;
    case "write":
      onWrite(s, from, msg.req, msg.write, fx);
      return;
    default:
      return;
  }
}

function raiseConfirmed(lead: LeadState, from: number, v: CibVersion): void {
  const cur = lead.confirmed.get(from);
  if (!cur || compareVersions(v, cur) > 0) lead.confirmed.set(from, v);
}

function tryAdopt(s: ControllerState, fx: Effect[]): void {
  const lead = s.lead as LeadState;
  if (lead.phase !== "collecting") return;
  const members = (s.view as ViewInfo).members;
  if (!members.every((m) => lead.reports.has(m))) return;
  const winner = pickWinner(lead.reports, s.opts.selfId);
  const report = lead.reports.get(winner) as JoinReport;
  if (winner === s.opts.selfId || report.digest === s.cib.digest) {
    adopt(s, lead, s.cib.doc, report, s.cib.lineage, winner, fx);
    return;
  }
  lead.winner = winner;
  lead.phase = "fetching";
  send(fx, winner, { t: "fetch", view: (s.view as ViewInfo).id, round: lead.round });
}

function onFetched(
  s: ControllerState,
  lead: LeadState,
  msg: Extract<CtlMsg, { t: "cib" }>,
  fx: Effect[],
): void {
  const report = lead.reports.get(lead.winner as number);
  const doc = parseXml(msg.xml, "fetched CIB");
  if (!report || documentDigest(doc) !== report.digest) {
    // The winner's copy moved since it reported: ask everyone again.
    lead.phase = "waiting";
    lead.synced = true;
    reconsiderLead(s, fx);
    return;
  }
  adopt(s, lead, doc, report, msg.lineage, lead.winner as number, fx);
}

function adopt(
  s: ControllerState,
  lead: LeadState,
  winnerDoc: XmlElement,
  winner: JoinReport,
  winnerLineage: LineageEntry[],
  winnerId: number,
  fx: Effect[],
): void {
  const view = s.view as ViewInfo;
  const members = view.members.map((id) => ({
    id,
    name: s.names.get(id) ?? String(id),
    nodeState: lead.reports.get(id)?.nodeState ?? null,
  }));
  const nonMembers = s.opts.nodes.filter((n) => !view.members.includes(n.id));
  const doc = rebuildStatus(winnerDoc, members, nonMembers, s.opts.selfId, s.quorate);
  const changed = changeKind(winnerDoc, doc) !== "none";
  const version = adoptedVersion(winner, configurationDigest(doc), changed, [...lead.reports.values()]);
  setVersion(doc, version);
  const digest = documentDigest(doc);
  const lineage = extendLineage(winnerLineage, winner.version, lead.term, s.opts.lineageTermsMax);
  noteDropped(s, lineage, version, doc, fx);
  persist(s, fx, { term: lead.term, lineage, doc, version, digest });
  event(fx, { type: "cib_adopted", view: view.id, version, from: winnerId, reports: lead.reports.size });
  lead.phase = "syncing";
  lead.synced = true;
  lead.confirmedSync = new Set();
  lead.confirmed = new Map();
  lead.changeLog = [];
  lead.changeLogFrom = version;
  let patchFromWinner: CibPatch | null = null;
  for (const m of others(s)) {
    const r = lead.reports.get(m) as JoinReport;
    let body: SyncBody;
    if (r.digest === digest) body = { mode: "same" };
    else if (r.digest === winner.digest) {
      patchFromWinner ??= diffCib(winnerDoc, doc);
      body = { mode: "patch", patch: patchFromWinner };
    } else body = { mode: "full", xml: serializeXml(doc, { indent: "" }) };
    syncMember(s, lead, m, body, fx);
  }
  if (others(s).length === 0) becomeReady(s, fx);
}

function syncMember(s: ControllerState, lead: LeadState, m: number, body: SyncBody, fx: Effect[]): void {
  send(fx, m, {
    t: "sync",
    view: (s.view as ViewInfo).id,
    round: lead.round,
    term: lead.term,
    lineage: s.cib.lineage,
    version: s.cib.version,
    digest: s.cib.digest,
    body,
  });
}

function becomeReady(s: ControllerState, fx: Effect[]): void {
  const lead = s.lead as LeadState;
  lead.phase = "ready";
  s.dc = s.opts.selfId;
  event(fx, { type: "dc_ready", view: (s.view as ViewInfo).id, version: s.cib.version });
  const queued = lead.queued;
  lead.queued = [];
  for (const q of queued) commit(s, lead, q.origin, q.req, q.write, fx);
}

// ---- writes ------------------------------------------------------------------

function onSubmit(s: ControllerState, req: string, write: CibWrite, fx: Effect[]): void {
  const reply = (result: WriteResult) => fx.push({ type: "reply", req, result });
  if (!s.view || s.candidate === null) {
    reply(fail("NO_DC", "this node is not in a cluster view yet", "wait for the membership to form"));
    return;
  }
  if (s.candidate === s.opts.selfId) {
    onWrite(s, s.opts.selfId, req, write, fx);
    return;
  }
  if (!mayLead(s.quorate, s.cib.doc)) {
    reply(fail("NO_QUORUM", "this partition has no quorum; the CIB accepts no writes"));
    return;
  }
  if (s.forwarded.size >= s.opts.writesQueuedMax || s.forwarded.has(req)) {
    reply(fail("BUSY", `${s.forwarded.size} writes are already waiting for the DC`, "retry shortly"));
    return;
  }
  s.forwarded.set(req, s.candidate);
  send(fx, s.candidate, { t: "write", view: s.view.id, req, write });
}

function onWrite(s: ControllerState, origin: number, req: string, write: CibWrite, fx: Effect[]): void {
  const lead = s.lead as LeadState;
  if (lead.phase === "waiting") {
    respond(s, fx, origin, req, fail("NO_QUORUM", "this partition has no quorum; the CIB accepts no writes"));
    return;
  }
  if (lead.phase !== "ready") {
    if (lead.queued.length >= s.opts.writesQueuedMax) {
      respond(s, fx, origin, req, fail("BUSY", "the DC is joining its members and its queue is full"));
      return;
    }
    lead.queued.push({ origin, req, write });
    return;
  }
  if (lead.pendingAcks.length >= s.opts.writesQueuedMax) {
    respond(
      s,
      fx,
      origin,
      req,
      fail("BUSY", "too many writes wait for the members' confirmation", "retry shortly"),
    );
    return;
  }
  commit(s, lead, origin, req, write, fx);
}

function commit(
  s: ControllerState,
  lead: LeadState,
  origin: number,
  req: string,
  write: CibWrite,
  fx: Effect[],
): void {
  const out = applyWrite(s.cib.doc, write, {
    validate: s.opts.validate,
    changeLog: lead.changeLog,
    changeLogFrom: lead.changeLogFrom,
  });
  if (!out.ok) {
    respond(s, fx, origin, req, { ok: false, error: out.error });
    return;
  }
  if (out.kind !== "none") {
    const patch = diffCib(s.cib.doc, out.doc);
    // The patch goes out before the DC's own copy is made durable, so the members'
    // fsyncs overlap the DC's: no reply depends on these sends, and an
    // acknowledgement waits for every member's `applied`, which comes after this
    // step, whose persist is performed before the host reads another input. A DC
    // that dies between the two leaves members a version it never had: not
    // acknowledged, and the next join adopts it like any newer copy.
    const body = encode({ t: "patch", view: (s.view as ViewInfo).id, patch });
    for (const m of others(s)) fx.push({ type: "send", to: m, body });
    persist(s, fx, { ...s.cib, doc: out.doc, version: patch.to.version, digest: patch.to.digest });
    if (out.kind === "configuration") {
      lead.changeLog.push({
        version: patch.to.version,
        configDigest: configurationDigest(out.doc),
        paths: configPaths(patch),
      });
      if (lead.changeLog.length > s.opts.changeLogEntriesMax)
        lead.changeLogFrom = (lead.changeLog.shift() as ChangeLogEntry).version;
    }
    event(fx, {
      type: "cib_committed",
      view: (s.view as ViewInfo).id,
      version: patch.to.version,
      kind: out.kind,
    });
  }
  lead.pendingAcks.push({ origin, req, version: s.cib.version });
  checkAcks(s, lead, fx);
}

/** Acknowledge the writes every member of the view confirmed durable. */
function checkAcks(s: ControllerState, lead: LeadState, fx: Effect[]): void {
  let min = s.cib.version;
  for (const m of others(s)) {
    const c = lead.confirmed.get(m);
    if (!c) return;
    if (compareVersions(c, min) < 0) min = c;
  }
  while (
    lead.pendingAcks.length > 0 &&
    compareVersions((lead.pendingAcks[0] as PendingAck).version, min) <= 0
  ) {
    const p = lead.pendingAcks.shift() as PendingAck;
    respond(s, fx, p.origin, p.req, { ok: true, version: p.version });
  }
}
