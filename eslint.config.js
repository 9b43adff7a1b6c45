import tseslint from "typescript-eslint";

// Cores are pure: no wall clock, timers, randomness or IO inside them (style.md
// habit 1). Each package lists its core folders here as it gains one.
const coreFiles = [
  "packages/policy/src/**/*.ts",
  "packages/membership/src/core/**/*.ts",
  "packages/cib/src/core/**/*.ts",
  "packages/lrm/src/core/**/*.ts",
];
const impure = [
  { name: "Date", message: "Cores take `now` as an argument." },
  { name: "setTimeout", message: "Cores return timer effects." },
  { name: "setInterval", message: "Cores return timer effects." },
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
      "no-restricted-globals": ["error", ...impure],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Cores take a seeded PRNG." },
        { object: "Date", property: "now", message: "Cores take `now` as an argument." },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            "node:fs",
            "fs",
            "node:net",
            "net",
            "node:dgram",
            "dgram",
            "node:child_process",
            "child_process",
          ],
        },
      ],
    },
  },
);
