import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import workspace packages by name; resolve them to their TypeScript
// sources so `vitest` never needs a prior build. Each entry of a package's
// `exports` (".", "./store", ...) maps `dist/X.js` to `src/X.ts`.
const packagesDir = fileURLToPath(new URL("./packages", import.meta.url));
const alias = readdirSync(packagesDir)
  .filter((name) => existsSync(`${packagesDir}/${name}/package.json`))
  .flatMap((name) => {
    const pkg = JSON.parse(readFileSync(`${packagesDir}/${name}/package.json`, "utf8")) as {
      exports?: Record<string, { default: string }>;
    };
    return Object.entries(pkg.exports ?? {}).map(([subpath, target]) => ({
      find: new RegExp(`^@hacrm/${name}${subpath === "." ? "" : subpath.slice(1)}$`),
      replacement: `${packagesDir}/${name}/${target.default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")}`,
    }));
  });

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default", fileURLToPath(new URL("./test/summary-reporter.ts", import.meta.url))],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/**/*.e2e.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
        // End-to-end tests start real processes, sockets and network
        // namespaces; they run one file at a time so they do not compete for
        // the two cores and make timing assertions flaky.
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.e2e.test.ts"],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
