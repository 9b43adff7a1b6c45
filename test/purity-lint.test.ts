import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The purity lint (eslint.config.js) must refuse, by pattern, every way a
// core reaches the clock, timers, randomness, the process or IO. Each probe
// is linted as if it were a file in a core folder (and, as a control, in a
// shell file, where it is allowed).
const root = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restricted(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith("no-restricted")).map((m) => m.message);
}

const probes: Record<string, string> = {
  "node:fs/promises": `import { readFile } from "node:fs/promises";\nexport const f = readFile;`,
  "node:os": `import { hostname } from "node:os";\nexport const f = hostname;`,
  "node:worker_threads": `import { Worker } from "node:worker_threads";\nexport const f = Worker;`,
  fs: `import { readFileSync } from "fs";\nexport const f = readFileSync;`,
  "better-sqlite3": `import Database from "better-sqlite3";\nexport const f = Database;`,
  pino: `import { pino } from "pino";\nexport const f = pino;`,
  "the cib store": `import { openCibStore } from "@hacrm/cib/store";\nexport const f = openCibStore;`,
  "the logger": `import { createLogger } from "@hacrm/common/logger";\nexport const f = createLogger;`,
  randomBytes: `import { randomBytes } from "node:crypto";\nexport const f = randomBytes;`,
  "dynamic import": `export const f = () => import("node:fs");`,
  "process.env": `export const f = () => process.env["X"];`,
  "performance.now()": `export const f = () => performance.now();`,
  "Date.now()": `export const f = () => Date.now();`,
  "new Date()": `export const f = () => new Date();`,
  "Math.random()": `export const f = () => Math.random();`,
  setTimeout: `export const f = () => setTimeout(() => 0, 1);`,
  setImmediate: `export const f = () => setImmediate(() => 0);`,
  "crypto.randomUUID()": `export const f = () => crypto.randomUUID();`,
};

describe("the purity lint", () => {
  for (const [what, code] of Object.entries(probes)) {
    it(`refuses ${what} in a core file, and allows it in an adapter`, async () => {
      for (const file of [
        "packages/membership/src/core/probe.ts",
        "packages/policy/src/probe.ts",
        "packages/cib/src/vocabulary.ts",
      ]) {
        expect(await restricted(code, file), `${what} in ${file}`).not.toEqual([]);
      }
      expect(await restricted(code, "packages/shell/src/probe.ts")).toEqual([]);
    });
  }

  it("allows what a core may use: createHash and the pure entries", async () => {
    const code = `import { createHash } from "node:crypto";\nimport { parseXml } from "@hacrm/cib";\nexport const f = [createHash, parseXml];`;
    expect(await restricted(code, "packages/lrm/src/core/probe.ts")).toEqual([]);
  });
});
