/**
 * Live mode: the shell's CIB is the running cluster's, read from and written
 * through the local hacrmd (docs/controller.md). The session's code is the
 * same as offline; only this store differs from the file store.
 *
 * A commit is checked here first with exactly the checks of `hacrm verify`
 * (so an invalid configuration gets the same errors, with positions, as
 * offline, and nothing is sent), then sent as a patch made from the version
 * the edit started from. The DC refuses it when the configuration changed
 * since (optimistic concurrency: CONFIG_CHANGED says what changed) unless
 * forced; a forced configuration edit replaces the configuration.
 */
import { HacrmError } from "@hacrm/common";
import {
  cloneElement,
  commitCib,
  diffCib,
  documentDigest,
  parseXml,
  serializeXml,
  setVersion,
  versionOf,
  type CibPatch,
  type CibVersion,
  type CommitOutcome,
  type XmlElement,
} from "@hacrm/cib";
import { askDaemon } from "../../daemon-client.js";
import type { CibStore, CommitRequest } from "./store.js";

/** hacrmd's answer to `cib-query`. */
export interface CibQueryReply {
  ok: true;
  xml: string;
  version: CibVersion;
  digest: string;
  configDigest: string;
  /** This node's name. */
  node?: string;
}

/** What `cib-write` sends (the controller's `CibWrite`). */
export type LiveWrite =
  | {
      op: "replace";
      xml: string;
      base: { version: CibVersion; configDigest?: string } | null;
      force?: boolean;
    }
  | { op: "patch"; patch: CibPatch; force?: boolean }
  | { op: "status"; nodeState: string };

export interface WriteErrorReply {
  code: string;
  message: string;
  hint?: string;
  problems?: string[];
  changed?: string[];
}

/** hacrmd's answer to `cib-write`: the controller's result, once every member has the write on disk. */
export interface CibWriteReply {
  ok: true;
  result: { ok: true; version: CibVersion } | { ok: false; error: WriteErrorReply };
}

/** What the shell adds to the DC's reason, per refusal. */
const hints: Record<string, string> = {
  CONFIG_CHANGED:
    "nothing was written; read the CIB again and redo the edit, or force it over those changes ('commit force' in configure, or 'hacrm -F')",
  NO_QUORUM:
    "nothing was written; writes resume once this node is in a partition with quorum again (reads still work)",
  NO_DC: "nothing was written; this node has not joined a cluster view yet: try again in a moment",
  WRITE_INTERRUPTED:
    "the membership changed before every member confirmed: the write may or may not be in the CIB; look ('hacrm cib show'), then retry",
  BUSY: "nothing was written; too many writes are waiting: try again",
};

/** The error a refused write becomes, with the DC's reason and what to do. */
export function writeRefused(socket: string, e: WriteErrorReply): HacrmError {
  const problems = e.problems && e.problems.length > 1 ? `; ${e.problems.slice(1, 4).join("; ")}` : "";
  return new HacrmError({
    code: e.code,
    where: `live CIB (${socket})`,
    message: `${e.message}${problems}`,
    hint: hints[e.code] ?? e.hint ?? "nothing was written",
  });
}

/** Send one write and wait for its result: the new version, or a HacrmError saying why not. */
export async function submitWrite(socket: string, write: LiveWrite): Promise<CibVersion> {
  const reply = await askDaemon<CibWriteReply>(socket, { cmd: "cib-write", write });
  if (!reply.result.ok) throw writeRefused(socket, reply.result.error);
  return reply.result.version;
}

export async function queryCib(socket: string): Promise<{ doc: XmlElement; reply: CibQueryReply }> {
  const reply = await askDaemon<CibQueryReply>(socket, { cmd: "cib-query" });
  return { doc: parseXml(reply.xml, `live CIB (${socket})`), reply };
}

export function liveCibStore(socket: string): CibStore {
  let node: string | undefined;
  const read = async (): Promise<XmlElement> => {
    const { doc, reply } = await queryCib(socket);
    node = reply.node;
    return doc;
  };
  return {
    label: "live",
    socket,
    read,
    async localNode() {
      if (node === undefined) await read();
      return node;
    },
    async commit(base: XmlElement, proposed: XmlElement, opts: CommitRequest): Promise<CommitOutcome> {
      const { validateCib } = await import("@hacrm/cib/validate");
      const local = commitCib(base, proposed, {
        validate: (d) => validateCib(d),
        kind: opts.kind,
        ...(opts.stamp ? { stamp: opts.stamp } : {}),
      });
      if (!local.ok || local.kind === "none") return local;
      await submitWrite(socket, liveWrite(base, local.cib, local.kind, opts.force === true));
      const now = await read();
      return { ok: true, cib: now, version: versionOf(now), digest: documentDigest(now), kind: local.kind };
    },
  };
}

/**
 * The write for an edit of `base` into `edited`: a patch from `base` (its
 * version is the edit's base; the DC versions the result, so the counters
 * are left out of the patch), or, forced over a changed configuration, a
 * replacement of the configuration.
 */
function liveWrite(
  base: XmlElement,
  edited: XmlElement,
  kind: "status" | "configuration",
  force: boolean,
): LiveWrite {
  if (force && kind === "configuration") {
    return { op: "replace", xml: serializeXml(edited, { indent: "" }), base: null };
  }
  const target = cloneElement(edited);
  // An admin_epoch raised on purpose stays in the patch.
  setVersion(target, { ...versionOf(base), admin_epoch: versionOf(edited).admin_epoch });
  // A status-only edit does not depend on the configuration it was read with.
  return { op: "patch", patch: diffCib(base, target), force: kind === "status" };
}
