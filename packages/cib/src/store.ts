import { renameSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { assert, HacrmError, type Clock, type Logger } from "@hacrm/common";
import { applyPatch, type CibPatch } from "./core/patch.js";
import { problemLine } from "./core/problems.js";
import {
  changeKindFlat,
  compareVersions,
  documentDigest,
  flattenCib,
  formatVersion,
  nextVersion,
  setVersion,
  versionOf,
  withRoot,
  type FlatCib,
} from "./core/version.js";
import type { CibVersion } from "./types.js";
import { validateCib } from "./validate.js";
import { cloneElement, parseXml, serializeXml, walk, type XmlElement } from "./xml.js";

export interface CibStoreOptions {
  /** SQLite database file (created when absent). */
  path: string;
  /** Committed versions kept; older ones are pruned on commit. Default 100. */
  historyVersionsMax?: number;
  /** "full" survives power loss; "normal" survives process crashes only. Default "full". */
  synchronous?: "full" | "normal";
  /** Validate every commit with validateCib (default true). */
  validate?: boolean;
}

export interface CibStoreDeps {
  clock: Clock;
  logger: Logger;
}

/** One committed version as stored. */
export interface StoredVersion {
  version: CibVersion;
  /** documentDigest of the committed document. */
  digest: string;
  /** configurationDigest of the committed document. */
  configDigest: string;
  /** Wall-clock commit time, ms since the epoch. */
  committedAtMs: number;
}

export interface CommitResult extends StoredVersion {
  /** What moved: "configuration" (epoch), "status" (num_updates), "adopted" (as given), or "none" (nothing written). */
  kind: "configuration" | "status" | "none" | "adopted";
  cib: XmlElement;
}

export interface CibStore {
  /** The current (last committed) version, or undefined in an empty store. Read-only: commit a copy. */
  current(): (StoredVersion & { cib: XmlElement }) | undefined;
  /** Commit a locally edited document: validated, versioned by the store, persisted. */
  commit(proposed: XmlElement): CommitResult;
  /** Store a document exactly as versioned elsewhere (the DC); must be newer than current. */
  adopt(cib: XmlElement): CommitResult;
  /** Apply a patch on top of the current version and adopt the result. */
  commitPatch(patch: CibPatch): CommitResult;
  /** Stored versions, newest first. */
  history(): StoredVersion[];
  /** The document of one stored version. */
  load(version: CibVersion): XmlElement | undefined;
  /** Write the current document to a plain cib.xml (atomically: temp file + rename). */
  exportXml(path: string): void;
  close(): void;
}

/**
 * The CIB store: every committed version with its digests and time, in SQLite
 * (WAL, one transaction per commit, so a process killed at any moment leaves
 * the last committed version). Opening checks the current version's digest.
 */
export function openCibStore(opts: CibStoreOptions, deps: CibStoreDeps): CibStore {
  return new SqliteCibStore(opts, deps);
}

const schemaSql = `
CREATE TABLE IF NOT EXISTS versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  admin_epoch INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  num_updates INTEGER NOT NULL,
  digest TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  committed_at_ms INTEGER NOT NULL,
  xml TEXT NOT NULL
);`;

interface Row {
  seq: number;
  admin_epoch: number;
  epoch: number;
  num_updates: number;
  digest: string;
  config_digest: string;
  committed_at_ms: number;
  xml: string;
}

type Current = StoredVersion & { cib: XmlElement };

class SqliteCibStore implements CibStore {
  private readonly db: Database.Database;
  private readonly q: Record<"latest" | "insert" | "prune" | "history" | "byVersion", Database.Statement>;
  private readonly historyMax: number;
  private readonly write: (xml: string, stored: StoredVersion) => void;
  private cur: Current | undefined;
  /** The current document, serialized (computed on first need, then kept by each commit). */
  private curFlat: FlatCib | undefined;

  constructor(
    private readonly opts: CibStoreOptions,
    private readonly deps: CibStoreDeps,
  ) {
    this.historyMax = opts.historyVersionsMax ?? 100;
    if (!Number.isInteger(this.historyMax) || this.historyMax < 1) {
      throw new HacrmError({
        code: "CIB_STORE_CONFIG",
        where: opts.path,
        message: `historyVersionsMax must be >= 1, got ${this.historyMax}`,
      });
    }
    this.db = new Database(opts.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${opts.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    this.db.exec(schemaSql);
    this.q = {
      latest: this.db.prepare("SELECT * FROM versions ORDER BY seq DESC LIMIT 1"),
      insert: this.db.prepare(
        "INSERT INTO versions (admin_epoch, epoch, num_updates, digest, config_digest, committed_at_ms, xml) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      prune: this.db.prepare("DELETE FROM versions WHERE seq <= ?"),
      history: this.db.prepare(
        "SELECT seq, admin_epoch, epoch, num_updates, digest, config_digest, committed_at_ms FROM versions ORDER BY seq DESC",
      ),
      byVersion: this.db.prepare(
        "SELECT * FROM versions WHERE admin_epoch = ? AND epoch = ? AND num_updates = ? ORDER BY seq DESC LIMIT 1",
      ),
    };
    // Insert and prune in one transaction: both happen, or neither.
    this.write = this.db.transaction((xml: string, stored: StoredVersion) => {
      const v = stored.version;
      const { lastInsertRowid } = this.q.insert.run(
        v.admin_epoch,
        v.epoch,
        v.num_updates,
        stored.digest,
        stored.configDigest,
        stored.committedAtMs,
        xml,
      );
      this.q.prune.run(Number(lastInsertRowid) - this.historyMax);
    });
    this.cur = loadLatest(this.q.latest.get() as Row | undefined, opts.path);
    deps.logger.info({
      event: "cib_store_opened",
      path: opts.path,
      version: this.cur && formatVersion(this.cur.version),
    });
  }

  current(): Current | undefined {
    return this.cur;
  }

  commit(proposed: XmlElement): CommitResult {
    this.checkValid(proposed);
    const next = cloneElement(proposed);
    normalizeText(next);
    if (!this.cur) return this.persist(next, "configuration");
    // Serialized once: the compared parts leave the counters out; they sit
    // in the cib start tag, which alone is serialized again after the bump.
    const flat = flattenCib(next);
    const change = changeKindFlat(this.currentFlat(), flat);
    const { version, kind } = nextVersion(this.cur.version, versionOf(next), change);
    if (kind === "none") return { ...this.cur, kind: "none" };
    setVersion(next, version);
    return this.persist(next, kind === "configuration" ? "configuration" : "status", withRoot(next, flat));
  }

  adopt(cib: XmlElement): CommitResult {
    if (this.cur && compareVersions(versionOf(cib), this.cur.version) <= 0) {
      throw new HacrmError({
        code: "CIB_STALE",
        where: this.opts.path,
        message: `version ${formatVersion(versionOf(cib))} is not newer than the stored ${formatVersion(this.cur.version)}`,
      });
    }
    this.checkValid(cib);
    const copy = cloneElement(cib);
    normalizeText(copy);
    return this.persist(copy, "adopted");
  }

  commitPatch(patch: CibPatch): CommitResult {
    if (!this.cur)
      throw new HacrmError({
        code: "PATCH_REFUSED",
        where: this.opts.path,
        message: "the store is empty; a patch needs a base",
      });
    return this.adopt(applyPatch(this.cur.cib, patch));
  }

  history(): StoredVersion[] {
    return (this.q.history.all() as Row[]).map(toStored);
  }

  load(v: CibVersion): XmlElement | undefined {
    const row = this.q.byVersion.get(v.admin_epoch, v.epoch, v.num_updates) as Row | undefined;
    return row ? parseXml(row.xml, `${this.opts.path}#${formatVersion(v)}`) : undefined;
  }

  exportXml(path: string): void {
    if (!this.cur)
      throw new HacrmError({
        code: "CIB_STORE_EMPTY",
        where: this.opts.path,
        message: "nothing committed yet",
      });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, serializeXml(this.cur.cib));
    renameSync(tmp, path);
  }

  close(): void {
    this.db.close();
  }

  private currentFlat(): FlatCib {
    assert(this.cur !== undefined, "a current version exists");
    this.curFlat ??= flattenCib(this.cur.cib);
    return this.curFlat;
  }

  /** One serialization serves as stored text, document digest and the next commit's change detection. */
  private persist(cib: XmlElement, kind: CommitResult["kind"], flattened?: FlatCib): CommitResult {
    const flat = flattened ?? flattenCib(cib);
    const stored: StoredVersion = {
      version: versionOf(cib),
      digest: flat.digest,
      configDigest: flat.configDigest,
      committedAtMs: this.deps.clock.wallMs(),
    };
    this.write(flat.xml, stored);
    this.cur = { ...stored, cib };
    this.curFlat = flat;
    this.deps.logger.info({
      event: "cib_committed",
      version: formatVersion(stored.version),
      kind,
      digest: stored.digest,
    });
    return { ...stored, kind, cib };
  }

  private checkValid(cib: XmlElement): void {
    if (this.opts.validate === false) return;
    const problems = validateCib(cib);
    if (problems.length === 0) return;
    throw new HacrmError({
      code: "CIB_INVALID",
      where: problems[0]?.where ?? "cib",
      message: `commit refused, ${problems.length} problem(s): ${problems.slice(0, 5).map(problemLine).join("; ")}`,
      hint: "run `hacrm verify` on the document for the full list",
    });
  }
}

/** Text is stored trimmed (as parseXml reads it), so a reload has the same digest. */
function normalizeText(cib: XmlElement): void {
  for (const el of walk(cib)) {
    if (el.text === undefined) continue;
    const t = el.text.trim();
    if (t === "") delete el.text;
    else el.text = t;
  }
}

function toStored(row: Omit<Row, "xml">): StoredVersion {
  return {
    version: { admin_epoch: row.admin_epoch, epoch: row.epoch, num_updates: row.num_updates },
    digest: row.digest,
    configDigest: row.config_digest,
    committedAtMs: row.committed_at_ms,
  };
}

function loadLatest(row: Row | undefined, path: string): Current | undefined {
  if (!row) return undefined;
  const cib = parseXml(row.xml, `${path}#latest`);
  const stored = toStored(row);
  if (documentDigest(cib) !== stored.digest || compareVersions(versionOf(cib), stored.version) !== 0) {
    throw new HacrmError({
      code: "CIB_STORE_CORRUPT",
      where: path,
      message: `the current version ${formatVersion(stored.version)} does not match its recorded digest`,
      hint: "restore from another node or an exported cib.xml",
    });
  }
  return { ...stored, cib };
}
