import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

// What a module really loads, in a fresh node process on the built dist/:
// every URL the ESM resolver hands out (a registered resolve hook logs it)
// plus every CommonJS file in require.cache (native and CJS packages such as
// better-sqlite3 and pino land there). The controls prove the method sees
// the impure modules when they are imported.
const repo = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "hacrm-purity-"));

function loaded(specifier: string): string[] {
  const log = join(dir, `${specifier.replace(/\W/g, "_")}.log`);
  writeFileSync(log, "");
  const script = `await import(${JSON.stringify(specifier)});`;
  execFileSync(
    process.execPath,
    ["--import", join(dir, "register.mjs"), "--input-type=module", "-e", script],
    {
      cwd: repo,
      env: { ...process.env, RESOLVED_LOG: log },
    },
  );
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.includes("/register.mjs") && !l.includes("/hooks.mjs"));
}

const impure =
  /better-sqlite3|\/pino|\/ajv\/|^node:(fs|os|net|dgram|child_process|worker_threads|perf_hooks|timers|http|module)/;

beforeAll(() => {
  execSync("npx tsc -b packages/policy", { cwd: repo, stdio: "ignore" });
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, r.url + "\\n");
  return r;
}`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    // Imported before the hook is registered, so they are not counted.
    `import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
register(${JSON.stringify(new URL(`file://${dir}/hooks.mjs`).href)});
process.on("exit", () => appendFileSync(process.env.RESOLVED_LOG, Object.keys(createRequire(import.meta.url).cache).join("\\n") + "\\n"));`,
  );
}, 120_000);

describe("pure entries load nothing impure", () => {
  it("the method sees better-sqlite3, pino and ajv when they are loaded (controls)", () => {
    expect(loaded("@hacrm/cib/store").some((u) => u.includes("better-sqlite3"))).toBe(true);
    expect(loaded("@hacrm/common/logger").some((u) => u.includes("/pino"))).toBe(true);
    expect(loaded("@hacrm/cib/validate").some((u) => u.includes("node:fs"))).toBe(true);
  });

  for (const entry of ["@hacrm/policy", "@hacrm/cib", "@hacrm/common"]) {
    it(`${entry} loads no SQLite, pino, ajv or IO module`, () => {
      const all = loaded(entry);
      expect(all.some((u) => u.includes(`/packages/${entry.split("/")[1]}/dist/index.js`))).toBe(true);
      expect(all.filter((u) => impure.test(u))).toEqual([]);
    });
  }
});
