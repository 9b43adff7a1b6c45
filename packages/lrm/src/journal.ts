import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** A resource the executor started and has not seen stop: it may still be running. */
export interface JournalEntry {
  readonly resource: string;
  readonly agent: string;
  readonly params: Readonly<Record<string, string>>;
  /** Wall-clock time of the start, for people. */
  readonly sinceWallMs: number;
}

/**
 * Crash safety: which resources this node's executor started, on disk
 * (SQLite, synchronous=FULL) before the start runs, removed when a stop
 * succeeds or a probe finds the resource stopped. After a restart,
 * `entries()` is what may still be running.
 */
export class StartJournal {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  /** Mirror of the table, so writes that change nothing are skipped. */
  private readonly known = new Map<string, string>();

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS started (resource TEXT PRIMARY KEY, agent TEXT NOT NULL, params TEXT NOT NULL, since_ms INTEGER NOT NULL)",
    );
    this.upsert = this.db.prepare(
      "INSERT INTO started (resource, agent, params, since_ms) VALUES (?, ?, ?, ?) ON CONFLICT(resource) DO UPDATE SET agent = excluded.agent, params = excluded.params",
    );
    this.remove = this.db.prepare("DELETE FROM started WHERE resource = ?");
    for (const e of this.entries()) this.known.set(e.resource, `${e.agent}\n${JSON.stringify(e.params)}`);
  }

  markActive(
    resource: string,
    agent: string,
    params: Readonly<Record<string, string>>,
    wallMs: number,
  ): void {
    this.upsert.run(resource, agent, JSON.stringify(params), Math.round(wallMs));
  }

  markStopped(resource: string): void {
    this.remove.run(resource);
  }

  entries(): JournalEntry[] {
    const rows = this.db
      .prepare("SELECT resource, agent, params, since_ms FROM started ORDER BY resource")
      .all() as {
      resource: string;
      agent: string;
      params: string;
      since_ms: number;
    }[];
    return rows.map((r) => ({
      resource: r.resource,
      agent: r.agent,
      params: JSON.parse(r.params) as Record<string, string>,
      sinceWallMs: r.since_ms,
    }));
  }

  close(): void {
    this.db.close();
  }
}
