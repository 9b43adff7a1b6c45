/**
 * A node's own operation history, as Pacemaker records it in the status
 * section: per resource an `lrm_resource` with its `lrm_rsc_op` entries
 * (`R_last_0` the last one-shot operation, `R_last_failure_0` the last
 * failure, `R_monitor_10000` each recurring monitor), and the node's
 * transient attributes `fail-count-R#task_interval` / `last-failure-R#...`.
 *
 * The node that ran an operation records it: pending before it runs
 * (op-status -1, so a DC elected meanwhile sees the start as under way), the
 * result when it finishes. Each change is one `history` write through the
 * CIB write path (see write.ts), and the whole history is what the node
 * reports when it joins a DC, so results survive a DC change. Pure: time is
 * the caller's `nowSec`.
 */
import { child, childrenNamed, cloneElement, element, type XmlElement } from "@hacrm/cib";
import type { CibWrite } from "./types.js";

/** Pacemaker's execution status codes (op-status). */
export const OpStatus = {
  pending: -1,
  done: 0,
  cancelled: 1,
  timeout: 2,
  notSupported: 3,
  error: 4,
  errorHard: 5,
  errorFatal: 6,
  notInstalled: 7,
} as const;

/** One operation this node ran (or is about to run). */
export interface ExecutedOp {
  /** The lrm_resource id (the graph's resource id). */
  resource: string;
  /** `class:provider:type` or `class:type`. */
  agent: string;
  task: string;
  intervalMs: number;
  /** The executor's call id; -1 while pending. */
  callId: number;
  rc: number;
  opStatus: number;
  /** `action:transition:target-rc:dc-uuid`; carries the expected rc. */
  transitionKey: string;
  execMs: number;
  queueMs: number;
  /** Wall clock, epoch seconds, when the result came (last-run, last-rc-change). */
  nowSec: number;
  /** The digest of the parameters it ran with (the scheduler compares it with the configuration). */
  digest?: string;
  exitReason?: string;
}

interface ResourceHistory {
  agent: string;
  ops: Map<string, XmlElement>;
  /** Seen in this node's copy of the CIB since last changed here (a later absence means a cleanup). */
  confirmed: boolean;
}

export interface OperationHistory {
  nodeId: string;
  uname: string;
  resources: Map<string, ResourceHistory>;
  /** Transient attributes this node keeps: name -> value, and whether the CIB had them. */
  attrs: Map<string, { value: string; confirmed: boolean }>;
  /** History writes sent and not answered yet, per resource (reconcile leaves those alone). */
  writesInFlight: Map<string, number>;
}

export interface HistoryOptions {
  /** A failed start bans the node at once (fail count INFINITY); Pacemaker's default. */
  startFailureIsFatal: boolean;
}

/** Whether an action changes a resource's state (monitors, notifications and meta-data do not). */
export function changesState(task: string): boolean {
  return task !== "monitor" && task !== "notify" && task !== "meta-data";
}

/**
 * The pending record of an action that changes a resource's state, written before it runs so that a DC
 * elected meanwhile sees it under way; null for the others.
 */
export function pendingRecord(
  r: {
    resource: string;
    agent: string;
    task: string;
    intervalMs: number;
    transitionKey: string;
    digest?: string;
  },
  nowSec: number,
): ExecutedOp | null {
  if (!changesState(r.task)) return null;
  const op: ExecutedOp = {
    resource: r.resource,
    agent: r.agent,
    task: r.task,
    intervalMs: r.intervalMs,
    callId: -1,
    rc: 0,
    opStatus: OpStatus.pending,
    transitionKey: r.transitionKey,
    execMs: 0,
    queueMs: 0,
    nowSec,
  };
  if (r.digest !== undefined) op.digest = r.digest;
  return op;
}

export function createOperationHistory(nodeId: string, uname: string): OperationHistory {
  return { nodeId, uname, resources: new Map(), attrs: new Map(), writesInFlight: new Map() };
}

/** The expected rc a transition key carries (probes 7, promoted monitors 8, else 0). */
export function expectedRcOf(transitionKey: string, task: string, intervalMs: number): number {
  const parts = transitionKey.split(":");
  const rc = parts.length >= 4 ? Number.parseInt(parts[2] ?? "", 10) : NaN;
  if (!Number.isNaN(rc)) return rc;
  return task === "monitor" && intervalMs === 0 ? 7 : 0;
}

/** Whether a finished operation failed: a probe finding the resource running is news, not a failure. */
export function opFailed(op: ExecutedOp): boolean {
  if (op.opStatus === OpStatus.pending || op.opStatus === OpStatus.cancelled) return false;
  if (op.opStatus !== OpStatus.done) return true;
  const expected = expectedRcOf(op.transitionKey, op.task, op.intervalMs);
  const probe = op.task === "monitor" && op.intervalMs === 0;
  if (probe) return ![0, 7, 8].includes(op.rc);
  return op.rc !== expected;
}

/** The suffix of fail-count and last-failure attributes: `R#task_interval`. */
export function failAttrSuffix(resource: string, task: string, intervalMs: number): string {
  return `${resource}#${task}_${intervalMs}`;
}

const infinity = 1_000_000;

function opId(op: ExecutedOp): string {
  return op.intervalMs > 0 ? `${op.resource}_${op.task}_${op.intervalMs}` : `${op.resource}_last_0`;
}

function opElement(
  h: OperationHistory,
  id: string,
  op: ExecutedOp,
  prev: XmlElement | undefined,
): XmlElement {
  const sameRc = prev && prev.attrs["rc-code"] === String(op.rc) && prev.attrs["op-status"] !== "-1";
  const attrs: Record<string, string> = {
    id,
    operation_key: `${op.resource}_${op.task}_${op.intervalMs}`,
    operation: op.task,
    "crm-debug-origin": "hacrm",
    crm_feature_set: "3.16.2",
    "transition-key": op.transitionKey,
    "transition-magic": `${op.opStatus}:${op.rc};${op.transitionKey}`,
    "exit-reason": op.exitReason ?? "",
    on_node: h.uname,
    "call-id": String(op.callId),
    "rc-code": String(op.rc),
    "op-status": String(op.opStatus),
    interval: String(op.intervalMs),
    "last-rc-change": sameRc ? (prev.attrs["last-rc-change"] ?? String(op.nowSec)) : String(op.nowSec),
    "exec-time": String(op.execMs),
    "queue-time": String(op.queueMs),
  };
  if (op.intervalMs > 0) attrs["last-run"] = String(op.nowSec);
  if (op.digest !== undefined) attrs["op-digest"] = op.digest;
  return element("lrm_rsc_op", attrs);
}

/**
 * Record one operation in the node's history; returns the write that puts
 * the same change in the CIB (null when nothing changed).
 */
export function recordOperation(h: OperationHistory, op: ExecutedOp, opts: HistoryOptions): CibWrite | null {
  let rh = h.resources.get(op.resource);
  const attributes: Record<string, string | null> = {};
  if (op.opStatus === OpStatus.cancelled) {
    // A cancelled recurring monitor leaves the history (Pacemaker deletes its entry).
    if (!rh || op.intervalMs === 0 || !rh.ops.delete(opId(op))) return null;
  } else {
    if (!rh) {
      rh = { agent: op.agent, ops: new Map(), confirmed: false };
      h.resources.set(op.resource, rh);
    }
    const id = opId(op);
    rh.ops.set(id, opElement(h, id, op, rh.ops.get(id)));
    if (opFailed(op)) {
      const failId = `${op.resource}_last_failure_0`;
      rh.ops.set(failId, opElement(h, failId, op, undefined));
      if (!(op.task === "monitor" && op.intervalMs === 0)) {
        const suffix = failAttrSuffix(op.resource, op.task, op.intervalMs);
        const count = `fail-count-${suffix}`;
        const prev = h.attrs.get(count)?.value;
        const before = prev === undefined ? 0 : prev === "INFINITY" ? infinity : Number(prev) || 0;
        const fatal = op.task === "start" && opts.startFailureIsFatal;
        const next = fatal ? infinity : Math.min(infinity, before + 1);
        attributes[count] = next >= infinity ? "INFINITY" : String(next);
        attributes[`last-failure-${suffix}`] = String(op.nowSec);
      }
    }
  }
  rh.confirmed = false;
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null) h.attrs.delete(name);
    else h.attrs.set(name, { value, confirmed: false });
  }
  return historyWrite(h, op.resource, attributes);
}

function historyWrite(
  h: OperationHistory,
  resource: string,
  attributes: Record<string, string | null>,
): CibWrite {
  const rh = h.resources.get(resource);
  h.writesInFlight.set(resource, (h.writesInFlight.get(resource) ?? 0) + 1);
  return {
    op: "history",
    node: h.nodeId,
    uname: h.uname,
    resource,
    lrmResource: rh ? lrmResourceXml(resource, rh) : null,
    attributes,
  };
}

/**
 * Set (null: delete) one of this node's own transient attributes that
 * belongs to no resource, e.g. `shutdown` when it leaves; returns its write.
 * The attribute is part of what the node reports when it joins.
 */
export function setNodeAttribute(h: OperationHistory, name: string, value: string | null): CibWrite {
  if (value === null) h.attrs.delete(name);
  else h.attrs.set(name, { value, confirmed: false });
  h.writesInFlight.set("", (h.writesInFlight.get("") ?? 0) + 1);
  return { op: "attributes", node: h.nodeId, uname: h.uname, attributes: { [name]: value } };
}

/**
 * The resources this node's history says may be active here: a pending
 * operation, a start, promote, demote or migration (failed or not: only a
 * stop ends it), a failed stop, a probe that found it running.
 */
export function activeResources(h: OperationHistory): string[] {
  const out: string[] = [];
  for (const [id, rh] of h.resources) {
    const last = rh.ops.get(`${id}_last_0`);
    if (!last) continue;
    const a = last.attrs;
    const done = a["op-status"] === "0";
    const rc = a["rc-code"];
    const inactive =
      (a["operation"] === "stop" && done && rc === "0") ||
      (a["operation"] === "monitor" && done && rc === "7");
    if (!inactive) out.push(id);
  }
  return out;
}

/** A history write of `resource` was answered (acknowledged or refused). */
export function historyWriteAnswered(h: OperationHistory, resource: string): void {
  const n = (h.writesInFlight.get(resource) ?? 0) - 1;
  if (n > 0) h.writesInFlight.set(resource, n);
  else h.writesInFlight.delete(resource);
}

/**
 * The writes that bring the CIB's copy of this node's history up to the
 * node's own (after a refused write: no DC, no quorum, a view change), for
 * every resource with no write in flight. Call `followCib` first, so a
 * cleanup is not undone.
 */
export function reconcileWrites(h: OperationHistory, cib: XmlElement): CibWrite[] {
  const { resources: inCib, attrs: attrsInCib } = cibHistoryOf(h, cib);
  const out: CibWrite[] = [];
  for (const [id, rh] of h.resources) {
    if (h.writesInFlight.has(id)) continue;
    const attributes: Record<string, string | null> = {};
    for (const [name, a] of h.attrs)
      if (name.includes(`-${id}#`) && attrsInCib.get(name) !== a.value) attributes[name] = a.value;
    const r = inCib.get(id);
    if (r && sameOps(r, rh) && Object.keys(attributes).length === 0) continue;
    out.push(historyWrite(h, id, attributes));
  }
  if (!h.writesInFlight.has("")) {
    const own: Record<string, string | null> = {};
    for (const [name, a] of h.attrs)
      if (!name.includes("#") && attrsInCib.get(name) !== a.value) own[name] = a.value;
    if (Object.keys(own).length > 0) {
      h.writesInFlight.set("", 1);
      out.push({ op: "attributes", node: h.nodeId, uname: h.uname, attributes: own });
    }
  }
  return out;
}

function cibHistoryOf(
  h: OperationHistory,
  cib: XmlElement,
): { resources: Map<string, XmlElement>; attrs: Map<string, string> } {
  const status = child(cib, "status");
  const ns = status ? childrenNamed(status, "node_state").find((n) => n.attrs["id"] === h.nodeId) : undefined;
  const lrmRes = ns ? child(child(ns, "lrm") ?? ns, "lrm_resources") : undefined;
  const resources = new Map<string, XmlElement>();
  for (const r of lrmRes ? childrenNamed(lrmRes, "lrm_resource") : []) resources.set(r.attrs["id"] ?? "", r);
  const attrs = new Map<string, string>();
  const ta = ns ? child(ns, "transient_attributes") : undefined;
  for (const set of ta ? childrenNamed(ta, "instance_attributes") : [])
    for (const nv of childrenNamed(set, "nvpair")) attrs.set(nv.attrs["name"] ?? "", nv.attrs["value"] ?? "");
  return { resources, attrs };
}

function lrmResourceElement(id: string, rh: ResourceHistory): XmlElement {
  const [cls = "", second = "", third] = rh.agent.split(":");
  const attrs: Record<string, string> =
    third === undefined
      ? { id, class: cls, type: second }
      : { id, class: cls, provider: second, type: third };
  return element(
    "lrm_resource",
    attrs,
    [...rh.ops.values()].map((e) => cloneElement(e)),
  );
}

function lrmResourceXml(id: string, rh: ResourceHistory): string {
  const el = lrmResourceElement(id, rh);
  return serialize(el);
}

/** Minimal serializer for the small elements of a history write (attribute order kept). */
function serialize(el: XmlElement): string {
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join("");
  if (el.children.length === 0) return `<${el.name}${attrs}/>`;
  return `<${el.name}${attrs}>${el.children.map(serialize).join("")}</${el.name}>`;
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A transient attribute's nvpair id: Pacemaker's `status-NODE-NAME`, with characters an id may not hold replaced. */
export function attributeId(nodeId: string, name: string): string {
  return `status-${nodeId}-${name}`.replace(/[^A-Za-z0-9_.-]/g, ".");
}

/** The node's `node_state` as it reports it at join: its history and its transient attributes. */
export function historyNodeState(h: OperationHistory): string {
  const resources = [...h.resources].map(([id, rh]) => lrmResourceElement(id, rh));
  const nvpairs = [...h.attrs].map(([name, a]) =>
    element("nvpair", { id: attributeId(h.nodeId, name), name, value: a.value }),
  );
  const ns = element("node_state", { id: h.nodeId, uname: h.uname }, [
    element("transient_attributes", { id: h.nodeId }, [
      element("instance_attributes", { id: `status-${h.nodeId}` }, nvpairs),
    ]),
    element("lrm", { id: h.nodeId }, [element("lrm_resources", {}, resources)]),
  ]);
  return serialize(ns);
}

/**
 * Follow this node's copy of the CIB: what the CIB holds of this node's
 * history is confirmed; a confirmed resource or attribute that the CIB no
 * longer has was cleaned up (`hacrm resource cleanup`), and is forgotten
 * here too, so the next join does not bring it back. Returns whether
 * anything was forgotten.
 */
export function followCib(h: OperationHistory, cib: XmlElement): boolean {
  const { resources: inCib, attrs: attrsInCib } = cibHistoryOf(h, cib);
  let forgot = false;
  for (const [id, rh] of h.resources) {
    const r = inCib.get(id);
    if (!r) {
      if (rh.confirmed) {
        h.resources.delete(id);
        forgot = true;
      }
      continue;
    }
    if (sameOps(r, rh)) rh.confirmed = true;
  }
  for (const [name, a] of h.attrs) {
    const v = attrsInCib.get(name);
    if (v === undefined) {
      if (a.confirmed) {
        h.attrs.delete(name);
        forgot = true;
      }
    } else if (v === a.value) a.confirmed = true;
  }
  return forgot;
}

function sameOps(r: XmlElement, rh: ResourceHistory): boolean {
  const ops = childrenNamed(r, "lrm_rsc_op");
  if (ops.length !== rh.ops.size) return false;
  for (const o of ops) {
    const mine = rh.ops.get(o.attrs["id"] ?? "");
    if (
      !mine ||
      mine.attrs["call-id"] !== o.attrs["call-id"] ||
      mine.attrs["op-status"] !== o.attrs["op-status"]
    )
      return false;
  }
  return true;
}
