import { createHash } from "node:crypto";
import type { XmlElement } from "@hacrm/cib";
import type { OpDef, Rsc } from "./model.js";

/**
 * Operation parameter digests. Pacemaker records, with each completed
 * operation, an MD5 digest of the parameters it ran with (`op-digest`, and
 * for reloadable agents `op-restart-digest` over the parameters listed in
 * `op-force-restart`). When the digest of the resource's current parameters
 * no longer matches, the resource's definition changed and it is restarted.
 *
 * The digest is the MD5 of ` <parameters name="value" .../>` plus a newline,
 * attributes sorted by name: the resource's instance attributes, the
 * operation's own instance attributes, and for recurring operations
 * `CRM_meta_timeout` in milliseconds. (createHash is deterministic: the
 * engine stays a pure function.)
 */
export function paramsDigest(params: Map<string, string>): string {
  const names = [...params.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const attrs = names.map((n) => ` ${n}="${escapeAttr(params.get(n) ?? "")}"`).join("");
  return createHash("md5").update(` <parameters${attrs}/>\n`).digest("hex");
}

function escapeAttr(v: string): string {
  return v
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

/** Tasks whose recorded parameters Pacemaker compares with the configuration. */
const CHECKED = new Set(["start", "monitor", "promote", "migrate_from"]);

interface RecordedOp {
  task: string;
  intervalMs: number;
  callId: number;
  status: number;
  el: XmlElement;
}

/** What a changed definition asks of a resource where it runs. */
export type DefinitionChange = "none" | "reload" | "restart";

/**
 * Whether the resource must restart (or reload) on this node because the
 * parameters of an operation in its current history (the last start and
 * what followed) differ from the configuration. Operations without a
 * recorded digest, and recurring operations (Pacemaker only reschedules
 * those), never force a restart. A change limited to parameters the agent
 * can reload (the restart digest still matches) is a reload; a start still
 * pending cannot be reloaded, so any change restarts it.
 */
export function definitionChange(rsc: Rsc, ops: RecordedOp[]): DefinitionChange {
  let from = 0;
  for (let i = 0; i < ops.length; i++) {
    const t = ops[i]!.task;
    if ((t === "start" || t === "migrate_from") && ops[i]!.status === 0) from = i;
  }
  let change: DefinitionChange = "none";
  for (const op of ops.slice(from)) {
    const pendingStart = op.status === -1 && op.task === "start";
    if ((op.status !== 0 && !pendingStart) || op.intervalMs > 0 || !CHECKED.has(op.task)) continue;
    const c = opChanged(rsc, op);
    if (c === "restart" || (c === "reload" && pendingStart)) return "restart";
    if (c === "reload") change = "reload";
  }
  return change;
}

function opChanged(rsc: Rsc, op: RecordedOp): DefinitionChange {
  const recorded = op.el.attrs["op-digest"];
  if (recorded === undefined) return "none";
  const def = rsc.ops.find((o) => o.name === op.task && o.intervalMs === op.intervalMs);
  const opParams = def?.params ?? new Map<string, string>();
  const restartRecorded = op.el.attrs["op-restart-digest"];
  const forceRestart = op.el.attrs["op-force-restart"];
  // Without the list of parameters that force a restart, the restart digest cannot be recomputed: not compared.
  if (restartRecorded !== undefined && forceRestart !== undefined) {
    const listed = new Set(forceRestart.split(/\s+/).filter(Boolean));
    const restartParams = new Map<string, string>();
    for (const [k, v] of rsc.params) if (listed.has(k)) restartParams.set(k, v);
    for (const [k, v] of opParams) restartParams.set(k, v);
    if (paramsDigest(restartParams) !== restartRecorded) return "restart";
  }
  if (paramsDigest(allParams(rsc, def)) === recorded) return "none";
  if (secureDigestMatches(rsc, def, op)) return "none";
  // A mismatch that a reload can apply: the restart digest matched, no operation parameters changed,
  // and the operation is one that started the agent with them (a probe that found it running is not).
  const started = op.task === "start" || op.task === "migrate_from";
  return restartRecorded === undefined || opParams.size > 0 || !started ? "restart" : "reload";
}

/**
 * Histories whose secret parameters were masked (`op-secure-params`, e.g.
 * a fencing device's password) also record `op-secure-digest`, the digest
 * without them nor the fencer's own `pcmk_*` settings; crm_simulate
 * accepts a match of that one, and so does hacrm.
 */
function secureDigestMatches(rsc: Rsc, def: OpDef | undefined, op: RecordedOp): boolean {
  const secure = op.el.attrs["op-secure-digest"];
  const listed = op.el.attrs["op-secure-params"];
  if (secure === undefined || listed === undefined) return false;
  const hidden = new Set(listed.split(/\s+/).filter(Boolean));
  const params = allParams(rsc, def);
  for (const k of [...params.keys()]) if (hidden.has(k) || k.startsWith("pcmk_")) params.delete(k);
  return paramsDigest(params) === secure;
}

function allParams(rsc: Rsc, def: OpDef | undefined): Map<string, string> {
  const out = new Map(rsc.params);
  for (const [k, v] of def?.params ?? []) out.set(k, v);
  return out;
}
