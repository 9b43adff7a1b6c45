/**
 * Known failures by name: a checked-in list (one case name per line, sorted)
 * of the cases that fail today. A test using it fails when a case that is not
 * listed fails (a regression) and when a listed case passes (the list must
 * shrink, so every swap of one failure for another is seen).
 *
 * `UPDATE_KNOWN_FAILURES=1 npx vitest run test/...` rewrites the lists from
 * the current results instead, for a reviewer to read in the diff.
 */
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./policy-conformance-lib.js";

export const knownFailuresDir = path.join(repoRoot, "test/known-failures");

export function updatingKnownFailures(): boolean {
  return process.env.UPDATE_KNOWN_FAILURES === "1";
}

export function readKnownFailures(list: string): string[] {
  const file = path.join(knownFailuresDir, `${list}.txt`);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

export interface KnownFailureDiff {
  /** Failing now, not listed: regressions. */
  newFailures: string[];
  /** Listed, passing now: take them off the list. */
  nowPassing: string[];
}

/**
 * Compare today's failing names with the list `list` (or rewrite the list
 * when UPDATE_KNOWN_FAILURES=1). `all` is every case that ran, so a listed
 * case that no longer exists is reported too.
 */
export function checkKnownFailures(list: string, failing: string[], all: string[]): KnownFailureDiff {
  const sorted = [...new Set(failing)].sort();
  if (updatingKnownFailures()) {
    fs.mkdirSync(knownFailuresDir, { recursive: true });
    fs.writeFileSync(path.join(knownFailuresDir, `${list}.txt`), sorted.map((n) => `${n}\n`).join(""));
    return { newFailures: [], nowPassing: [] };
  }
  const known = new Set(readKnownFailures(list));
  const failingSet = new Set(sorted);
  const ran = new Set(all);
  return {
    newFailures: sorted.filter((n) => !known.has(n)),
    nowPassing: [...known].filter((n) => !failingSet.has(n) || !ran.has(n)).sort(),
  };
}

/** A message for expect(): what changed, and how to accept an improvement. */
export function describeDiff(list: string, d: KnownFailureDiff, detail: (name: string) => string): string {
  const lines: string[] = [];
  if (d.newFailures.length > 0) {
    lines.push(`${d.newFailures.length} case(s) fail that are not in test/known-failures/${list}.txt:`);
    for (const n of d.newFailures) lines.push(`  ${n}: ${detail(n)}`);
  }
  if (d.nowPassing.length > 0) {
    lines.push(
      `${d.nowPassing.length} case(s) listed in test/known-failures/${list}.txt pass now (or no longer exist); ` +
        `remove them (UPDATE_KNOWN_FAILURES=1 rewrites the list):`,
    );
    for (const n of d.nowPassing) lines.push(`  ${n}`);
  }
  return lines.join("\n");
}
