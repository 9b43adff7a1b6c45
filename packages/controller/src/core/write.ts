/**
 * A client write applied on the DC's current CIB: the optimistic concurrency
 * check (a write names its base; a newer configuration refuses it with what
 * changed, unless forced), the edit itself, the checks `hacrm verify` makes,
 * and the next version (configuration moves epoch, status moves num_updates),
 * through @hacrm/cib's one write path (`commitCib`). This is the one place the
 * controller calls it.
 */
import {
  applyPatch,
  applyPatchOps,
  cloneElement,
  configurationDigest,
  commitCib,
  formatVersion,
  parseXml,
  problemLine,
  versionOf,
  type CibProblem,
  type CibVersion,
  type ChangeKind,
  type XmlElement,
} from "@hacrm/cib";
import { isHacrmError } from "@hacrm/common";
import { withAttributes, withCleanup, withHistory } from "./transition-status.js";
import type { BaseRef, CibWrite, WriteError } from "./types.js";

/** One configuration change the DC made: its version and the configuration paths it touched. */
export interface ChangeLogEntry {
  version: CibVersion;
  configDigest: string;
  paths: string[];
}

export interface WriteContext {
  validate: (doc: XmlElement) => CibProblem[];
  changeLog: ChangeLogEntry[];
  /** The configuration version the log starts from: every change after it is in the log. */
  changeLogFrom: CibVersion;
}

export type WriteOutcome = { ok: true; doc: XmlElement; kind: ChangeKind } | { ok: false; error: WriteError };

const problemsListedMax = 20;

export function applyWrite(current: XmlElement, write: CibWrite, ctx: WriteContext): WriteOutcome {
  let proposed: XmlElement;
  try {
    const edited = edit(current, write, ctx);
    if (!edited.ok) return edited;
    proposed = edited.doc;
  } catch (err) {
    if (!isHacrmError(err)) throw err;
    const code = err.code === "PATCH_REFUSED" ? "PATCH_REFUSED" : "BAD_REQUEST";
    return { ok: false, error: { code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  }
  // A node's operation history and a cleanup edit the status section only: the configuration stays as checked.
  const statusOnly = write.op === "history" || write.op === "attributes" || write.op === "cleanup";
  const next = commitCib(current, proposed, { validate: statusOnly ? () => [] : ctx.validate });
  if (!next.ok) {
    const lines = next.problems.map(problemLine);
    return {
      ok: false,
      error: {
        code: "CIB_INVALID",
        message: `the CIB would not be valid (${lines.length} problem${lines.length === 1 ? "" : "s"}): ${lines[0]}`,
        problems: lines.slice(0, problemsListedMax),
        hint: "nothing was changed; fix the problems and try again",
      },
    };
  }
  return { ok: true, doc: next.cib, kind: next.kind };
}

type Edited = { ok: true; doc: XmlElement } | { ok: false; error: WriteError };

/** Root attributes the DC sets at join (join.ts): a client's copy of them may be stale, and never wins. */
const clusterOwnedAttrs = ["have-quorum", "dc-uuid"];

function edit(current: XmlElement, write: CibWrite, ctx: WriteContext): Edited {
  const edited = editDoc(current, write, ctx);
  if (!edited.ok || (write.op !== "replace" && write.op !== "patch")) return edited;
  const doc = edited.doc === current ? cloneElement(current) : edited.doc;
  for (const name of clusterOwnedAttrs) {
    const v = current.attrs[name];
    if (v === undefined) delete doc.attrs[name];
    else doc.attrs[name] = v;
  }
  return { ok: true, doc };
}

function editDoc(current: XmlElement, write: CibWrite, ctx: WriteContext): Edited {
  switch (write.op) {
    case "replace": {
      const doc = parseXml(write.xml, "replace");
      if (doc.name !== "cib") return bad(`the document's root is <${doc.name}>, not <cib>`);
      if (write.base && !write.force) {
        const stale = staleBase(current, write.base, ctx);
        if (stale) return { ok: false, error: stale };
      }
      return { ok: true, doc: withStatusOf(doc, current) };
    }
    case "patch": {
      const from = write.patch.from;
      const cur = versionOf(current);
      const exact = formatVersion(cur) === formatVersion(from.version);
      if (exact) {
        try {
          return { ok: true, doc: applyPatch(current, write.patch) };
        } catch (err) {
          if (!isHacrmError(err) || err.code !== "PATCH_REFUSED") throw err;
          // same version, other content: fall through to the configuration check
        }
      }
      if (!write.force) {
        const stale = staleBase(current, { version: from.version }, ctx);
        if (stale) return { ok: false, error: stale };
      }
      return { ok: true, doc: applyPatchOps(current, write.patch.ops) };
    }
    case "status": {
      const ns = parseXml(write.nodeState, "node_state");
      if (ns.name !== "node_state" || ns.attrs["id"] === undefined)
        return bad("a status write is one <node_state> element with an id");
      return { ok: true, doc: withNodeState(current, ns) };
    }
    case "history":
      return { ok: true, doc: withHistory(current, write) };
    case "attributes":
      return { ok: true, doc: withAttributes(current, write) };
    case "cleanup":
      return { ok: true, doc: withCleanup(current, write) };
  }
}

function bad(message: string): Edited {
  return { ok: false, error: { code: "BAD_REQUEST", message } };
}

/** CONFIG_CHANGED when the configuration moved since `base`, with what changed; null when it did not. */
function staleBase(current: XmlElement, base: BaseRef, ctx: WriteContext): WriteError | null {
  const cur = versionOf(current);
  const digest = configurationDigest(current);
  const sameEpoch = cur.admin_epoch === base.version.admin_epoch && cur.epoch === base.version.epoch;
  if (base.configDigest !== undefined ? base.configDigest === digest : sameEpoch) return null;
  const after = ctx.changeLog.filter(
    (e) =>
      e.version.admin_epoch > base.version.admin_epoch ||
      (e.version.admin_epoch === base.version.admin_epoch && e.version.epoch > base.version.epoch),
  );
  const from = ctx.changeLogFrom;
  const known =
    base.version.admin_epoch > from.admin_epoch ||
    (base.version.admin_epoch === from.admin_epoch && base.version.epoch >= from.epoch);
  const paths = [...new Set(after.flatMap((e) => e.paths))];
  const changed = known ? paths : [...paths, "(older changes are not remembered)"];
  return {
    code: "CONFIG_CHANGED",
    message: `the configuration changed since version ${formatVersion(base.version)} (now ${formatVersion(cur)})${paths.length > 0 ? `: ${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ", ..." : ""}` : ""}`,
    changed,
    hint: "read the CIB again and redo the edit, or force it to overwrite",
  };
}

/** `doc` with the status section of `current` (status belongs to the cluster, not to an edit). */
function withStatusOf(doc: XmlElement, current: XmlElement): XmlElement {
  const out = cloneElement(doc);
  const status = current.children.find((c) => c.name === "status");
  const i = out.children.findIndex((c) => c.name === "status");
  if (status && i >= 0) out.children[i] = cloneElement(status);
  else if (status) out.children.push(cloneElement(status));
  else if (i >= 0) out.children.splice(i, 1);
  return out;
}

function withNodeState(current: XmlElement, ns: XmlElement): XmlElement {
  const out = cloneElement(current);
  let status = out.children.find((c) => c.name === "status");
  if (!status) {
    status = { name: "status", attrs: {}, children: [] };
    out.children.push(status);
  }
  const i = status.children.findIndex((c) => c.name === "node_state" && c.attrs["id"] === ns.attrs["id"]);
  if (i >= 0) status.children[i] = ns;
  else status.children.push(ns);
  return out;
}
