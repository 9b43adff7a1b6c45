import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// No import cycles inside packages/*/src (issue 9): a cycle means two modules
// cannot be understood, tested or loaded one without the other. Strongly
// connected components (Tarjan) over the relative imports that exist at run
// time (`import type` is erased, so it is left out); cross-package cycles are
// already impossible (tsc project references).
const root = fileURLToPath(new URL("..", import.meta.url));

/** Cycles known today, each a sorted member list; the list may only shrink. */
const knownCycles: string[][] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

/** Relative imports of `file` that load a module at run time. */
export function runtimeImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(importPattern)) {
    const spec = m[4] ?? m[5];
    if (spec === undefined || m[2] !== undefined) continue;
    const names = m[3] ?? "";
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    const allTypes =
      braces !== null &&
      braces[1]!.split(",").filter((s) => s.trim() !== "").length > 0 &&
      braces[1]!
        .split(",")
        .filter((s) => s.trim() !== "")
        .every((s) => /^\s*type\s/.test(s));
    if (allTypes) continue;
    out.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
  }
  return out;
}

/** Tarjan's strongly connected components with more than one member (or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const pkg of readdirSync(join(root, "packages"))) {
    const src = join(root, "packages", pkg, "src");
    try {
      statSync(src);
    } catch {
      continue;
    }
    for (const file of sourceFiles(src)) {
      graph.set(
        relative(root, file),
        runtimeImports(file, readFileSync(file, "utf8")).map((f) => relative(root, f)),
      );
    }
  }
  return graph;
}

describe("import cycles", () => {
  it("finds a cycle when there is one (the checker itself)", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(cycles(g)).toEqual([["a", "b", "c"]]);
    expect(
      runtimeImports(
        "/x/a.ts",
        `import type { T } from "./t.js";\nimport { type U } from "./u.js";\nimport { v } from "./v.js";`,
      ),
    ).toEqual(["/x/v.ts"]);
  });

  it("has none in packages/*/src beyond the known list, and every listed one still exists", () => {
    const found = cycles(importGraph()).map((c) => c.join(" -> "));
    const known = knownCycles.map((c) => [...c].sort().join(" -> "));
    expect(
      found.filter((c) => !known.includes(c)),
      "new import cycles",
    ).toEqual([]);
    expect(
      known.filter((c) => !found.includes(c)),
      "fixed: remove from knownCycles",
    ).toEqual([]);
  });
});
