/** Differential testing: hacrm's policy engine vs crm_simulate on generated CIBs. */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseXml } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";
import { toJsonContract } from "../packages/shell/src/commands/simulate.js";
import { corpusDir, loadCanon, repoRoot } from "./policy-conformance-lib.js";

export const genCib = path.resolve(repoRoot, "../shared/tools/gen-cib.mjs");

/** Generator shapes that use tier-1/tier-2 features only. */
export const SHAPES: Record<string, string[]> = Object.fromEntries(
  Object.entries({
    small:
      "--nodes 3 --resources 6 --groups 1 --clones 1 --location 3 --colocation 2 --order 2 --no-quorum-policy ignore",
    smallRunning:
      "--nodes 3 --resources 6 --groups 1 --clones 1 --promotable 1 --location 3 --colocation 2 --order 2 --stickiness 100 --running --no-quorum-policy ignore",
    mid: "--nodes 5 --resources 20 --groups 2 --clones 1 --promotable 1 --location 5 --colocation 4 --order 4 --stickiness 50 --running --standby 1 --offline 1 --no-quorum-policy ignore",
    midDisabled:
      "--nodes 4 --resources 12 --groups 2 --location 4 --colocation 3 --order 3 --running --disabled 2 --probes --no-quorum-policy ignore",
  }).map(([name, line]) => [name, line.split(" ")]),
);

export function generate(shape: string, seed: number): string {
  const args = SHAPES[shape];
  if (!args) throw new Error(`unknown shape ${shape}`);
  return execFileSync("node", [genCib, "--seed", String(seed), ...args], { encoding: "utf8" });
}

interface Canon {
  actions: string[];
  placement: string[];
}

export interface DiffResult {
  agree: boolean;
  ours?: Canon;
  theirs?: Canon;
  error?: string;
}

/** Run both engines on one CIB file and compare canonical summaries. */
export async function compare(file: string, xml: string): Promise<DiffResult> {
  const canon = await loadCanon();
  const pcmk = (await import(path.join(corpusDir, "lib/pcmk-output.mjs"))) as {
    parseXmlResult: (x: string) => Canon;
  };
  const out = execFileSync("crm_simulate", ["-S", "-x", file, "--output-as=xml"], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const theirs = pcmk.parseXmlResult(out);
  try {
    const ours = canon.canonicalFromProject(toJsonContract(schedule(parseXml(xml, file), 0)));
    const agree = JSON.stringify(ours) === JSON.stringify(theirs);
    return { agree, ours, theirs };
  } catch (err) {
    return { agree: false, theirs, error: (err as Error).message };
  }
}
