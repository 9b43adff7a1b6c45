import { problem, type CibProblem } from "./core/problems.js";
import {
  changeKind,
  documentDigest,
  nextVersion,
  setVersion,
  versionOf,
  type ChangeKind,
} from "./core/version.js";
import type { CibVersion } from "./types.js";
import { cloneElement, type XmlElement } from "./xml.js";

/**
 * The one CIB write path, pure part: every writer (the shell's configure
 * session, `attribute`, `node`, `resource`, and the daemon) turns "current +
 * proposed" into the document to store through `commitCib`, and nothing else
 * bumps a version or decides what changed.
 */
export interface CommitOptions {
  /**
   * Every problem of a document: pass `validateCib` from `@hacrm/cib/validate`
   * (exactly the checks `hacrm verify` applies). A parameter, not an import,
   * so this entry stays free of IO (the schema is read from disk once).
   */
  validate: (cib: XmlElement) => CibProblem[];
  /** What the writer changed, when it knows better than a comparison (default: compare). */
  kind?: ChangeKind;
  /** Root attributes the writer stamps when something changed (cib-last-written, update-client, ...). */
  stamp?: Readonly<Record<string, string>>;
}

export type CommitOutcome =
  | { ok: true; cib: XmlElement; version: CibVersion; digest: string; kind: ChangeKind }
  | { ok: false; problems: CibProblem[] };

/**
 * The document to store when `proposed` replaces `current`: validated, then
 * versioned by the rule (a configuration change moves epoch and resets
 * num_updates; a status-only change moves num_updates; nothing changed keeps
 * `current` as it is), with its digest. Counters written in `proposed` are
 * ignored except a higher admin_epoch, which an operator sets on purpose.
 * On any problem nothing is to be written.
 */
export function commitCib(current: XmlElement, proposed: XmlElement, opts: CommitOptions): CommitOutcome {
  const compared = opts.kind ?? changeKind(current, proposed);
  const adminRaised = Number(proposed.attrs["admin_epoch"] ?? 0) > Number(current.attrs["admin_epoch"] ?? 0);
  const kind = compared === "none" && adminRaised ? "configuration" : compared;
  if (kind === "none") {
    return { ok: true, cib: current, version: versionOf(current), digest: documentDigest(current), kind };
  }
  const problems = [...counterProblems(current, "current"), ...opts.validate(proposed)];
  if (problems.length > 0) return { ok: false, problems };
  const next = nextVersion(versionOf(current), versionOf(proposed), kind);
  const cib = cloneElement(proposed);
  Object.assign(cib.attrs, opts.stamp ?? {});
  setVersion(cib, next.version);
  return { ok: true, cib, version: next.version, digest: documentDigest(cib), kind: next.kind };
}

/** The stored document's counters must be readable before anything is built on them. */
function counterProblems(cib: XmlElement, label: string): CibProblem[] {
  const out: CibProblem[] = [];
  for (const name of ["admin_epoch", "epoch", "num_updates"]) {
    const v = cib.attrs[name];
    if (v !== undefined && !/^\d+$/.test(v)) {
      out.push(
        problem("BAD_VALUE", [cib], `${label} ${name}="${v}"`, "a version counter is a non-negative integer"),
      );
    }
  }
  return out;
}
