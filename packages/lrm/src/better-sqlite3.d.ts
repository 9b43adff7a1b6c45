// Minimal typing of the part of better-sqlite3 the start journal uses (the
// package ships no types and @types/better-sqlite3 is not installed).
declare module "better-sqlite3" {
  namespace Database {
    interface Statement {
      run(...params: unknown[]): { changes: number };
      all(...params: unknown[]): unknown[];
      get(...params: unknown[]): unknown;
    }
    interface Database {
      prepare(sql: string): Statement;
      exec(sql: string): this;
      pragma(sql: string): unknown;
      close(): void;
    }
  }
  const Database: new (path: string) => Database.Database;
  export default Database;
}
