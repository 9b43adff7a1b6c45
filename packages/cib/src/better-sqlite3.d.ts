// Minimal typing of the part of better-sqlite3 the CIB store uses (the
// package ships no types and @types/better-sqlite3 is not installed).
// Kept out of the store's exported types so dist/*.d.ts never need it.
declare module "better-sqlite3" {
  namespace Database {
    interface Statement {
      run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
      all(...params: unknown[]): unknown[];
      get(...params: unknown[]): unknown;
    }
    interface Database {
      prepare(sql: string): Statement;
      exec(sql: string): this;
      pragma(sql: string, opts?: { simple?: boolean }): unknown;
      transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
      close(): void;
    }
  }
  const Database: new (
    path: string,
    opts?: { readonly?: boolean; fileMustExist?: boolean },
  ) => Database.Database;
  export default Database;
}
