import tseslint from "typescript-eslint";

// Cores are pure: no wall clock, timers, randomness, process state or IO
// inside them (style.md habit 1), forbidden by pattern so a new module name
// cannot slip through. The folders: the scheduler, every package's src/core,
// and the files behind @hacrm/cib's main entry (its IO is behind the subpaths
// @hacrm/cib/validate, /file and /store). test/purity-lint.test.ts proves a
// forbidden import in a core file fails the lint.
const coreFiles = [
  "packages/policy/src/**/*.ts",
  "packages/*/src/core/**/*.ts",
  ...["index", "read", "types", "vocabulary", "write", "xml", "xml-scan", "xml-reference"].map(
    (f) => `packages/cib/src/${f}.ts`,
  ),
];
const impureGlobals = [
  { name: "Date", message: "Cores take `now` as an argument." },
  { name: "setTimeout", message: "Cores return timer effects." },
  { name: "setInterval", message: "Cores return timer effects." },
  { name: "setImmediate", message: "Cores return timer effects." },
  { name: "clearTimeout", message: "Cores return timer effects." },
  { name: "clearInterval", message: "Cores return timer effects." },
  { name: "queueMicrotask", message: "Cores return effects; they do not schedule work." },
  { name: "process", message: "Cores take their settings as arguments, not from the process." },
  { name: "performance", message: "Cores take `now` as an argument." },
  { name: "crypto", message: "Cores take a seeded PRNG; hashing is `createHash` from node:crypto." },
  { name: "fetch", message: "Cores return effects; adapters do IO." },
  { name: "require", message: "Cores import pure modules statically." },
];
const impureModules = [
  "node:*",
  "!node:crypto", // createHash only; the random functions are refused below
  "fs",
  "fs/*",
  "os",
  "net",
  "dgram",
  "child_process",
  "worker_threads",
  "perf_hooks",
  "timers",
  "timers/*",
  "http",
  "https",
  "dns",
  "process",
  "module",
  "crypto",
  "better-sqlite3",
  "pino",
  "pino-*",
  "@hacrm/*/store",
  "@hacrm/*/file",
  "@hacrm/*/validate",
  "@hacrm/*/logger",
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "perf/**", "agents/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: coreFiles,
    rules: {
      "no-restricted-globals": ["error", ...impureGlobals],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Cores take a seeded PRNG." },
        { object: "Date", property: "now", message: "Cores take `now` as an argument." },
        { object: "globalThis", message: "Cores use no global state." },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression",
          message: "Cores import statically, so the lint sees what they load.",
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "node:crypto",
              importNames: [
                "randomBytes",
                "randomUUID",
                "randomInt",
                "randomFill",
                "randomFillSync",
                "getRandomValues",
                "webcrypto",
                "default",
              ],
              message: "Cores take a seeded PRNG.",
            },
          ],
          patterns: [{ group: impureModules, message: "Cores do no IO: adapters do, and pass results in." }],
        },
      ],
    },
  },
);
