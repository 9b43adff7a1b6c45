/** In-process scheduler conformance: run the policy engine on corpus cases and compare canonically. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseXml } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";
import { toJsonContract } from "../packages/shell/src/commands/simulate.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const corpusDir = path.resolve(repoRoot, "../shared/conformance/scheduler");

interface Canon {
  actions: string[];
  placement: string[];
}

type CanonLib = {
  canonicalFromProject: (o: unknown) => Canon;
  compareCanonical: (e: Canon, a: Canon) => { pass: boolean; actionsOk?: boolean; placementOk?: boolean };
  multisetMinus: (a: string[], b: string[]) => string[];
};

export async function loadCanon(): Promise<CanonLib> {
  return (await import(path.join(corpusDir, "lib/canonical.mjs"))) as CanonLib;
}

export interface CaseResult {
  name: string;
  tier: number;
  pass: boolean;
  error?: string;
  missing: string[];
  extra: string[];
}

export function casesOfTier(tiers: number[]): { name: string; tier: number }[] {
  const index = JSON.parse(fs.readFileSync(path.join(corpusDir, "index.json"), "utf8")) as {
    cases: { name: string; tier: number }[];
  };
  return index.cases.filter((c) => tiers.includes(c.tier));
}

/**
 * The corpus's expectations hold at any date after it was built (its README)
 * for cases without an execution-date: date rules and failure-timeout are
 * evaluated at a fixed recent time (2026-01-01), as `hacrm simulate` would now.
 */
export const CORPUS_NOW = 1_767_225_600;

export async function runCase(lib: CanonLib, name: string, tier: number): Promise<CaseResult> {
  const xml = fs.readFileSync(path.join(corpusDir, "cases", `${name}.xml`), "utf8");
  const expected = JSON.parse(
    fs.readFileSync(path.join(corpusDir, "cases", `${name}.expected.json`), "utf8"),
  ) as Canon;
  try {
    const res = schedule(parseXml(xml, name), CORPUS_NOW);
    const actual = lib.canonicalFromProject(toJsonContract(res));
    const missing = [
      ...lib.multisetMinus(expected.actions, actual.actions),
      ...lib.multisetMinus(expected.placement, actual.placement).map((s) => `@${s}`),
    ];
    const extra = [
      ...lib.multisetMinus(actual.actions, expected.actions),
      ...lib.multisetMinus(actual.placement, expected.placement).map((s) => `@${s}`),
    ];
    return { name, tier, pass: missing.length === 0 && extra.length === 0, missing, extra };
  } catch (err) {
    return { name, tier, pass: false, error: (err as Error).message, missing: [], extra: [] };
  }
}
