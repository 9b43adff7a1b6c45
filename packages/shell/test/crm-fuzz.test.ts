import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isHacrmError } from "@hacrm/common";
import { parseXml, serializeXml } from "@hacrm/cib";
import { checkConfiguration } from "../src/crm/lang/check.js";
import { showObjects } from "../src/crm/lang/printer.js";
import { fileCibStore } from "../src/crm/session/store.js";
import { casesDir, corpusDir, loadCases, memoryStore, newSession } from "./crm-helpers.js";
import { Prng } from "@hacrm/sim";

/** Seeded with the simulator's PRNG: a failing seed replays exactly. */
function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

const VOCAB = [
  "primitive",
  "group",
  "clone",
  "ms",
  "master",
  "bundle",
  "rsc_template",
  "location",
  "colocation",
  "order",
  "rsc_ticket",
  "property",
  "rsc_defaults",
  "op_defaults",
  "node",
  "tag",
  "fencing_topology",
  "alert",
  "role",
  "acl_target",
  "monitor",
  "delete",
  "rename",
  "modgroup",
  "set",
  "show",
  "verify",
  "d1",
  "d2",
  "d3",
  "d4",
  "g1",
  "cl-d5",
  "x",
  "1abc",
  "ocf:heartbeat:Dummy",
  "ocf:pacemaker:Stateful",
  "Dummy",
  "lsb:cron",
  "stonith:fence_x",
  "@t",
  "params",
  "meta",
  "utilization",
  "op",
  "operations",
  "monitor",
  "start",
  "interval=10s",
  "timeout=20s",
  "role=Master",
  "fake=1",
  "state=/x",
  "target-role=Stopped",
  "$id=s1",
  "$id-ref=d1",
  "inf:",
  "-inf:",
  "+inf:",
  "100:",
  "0:",
  "Mandatory:",
  "advisory:",
  "node1",
  "d1:Master",
  "d2:start",
  "d1:begin",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "rule",
  "#uname",
  "eq",
  "lt",
  "and",
  "or",
  "defined",
  "date",
  "spec",
  "in",
  "hours=9-17",
  "start=2024-01-01",
  "months=2",
  "sequential=false",
  "require-all=false",
  "symmetrical=false",
  "node-attribute=rack",
  "loss-policy=stop",
  "attributes",
  "to",
  "select",
  "nodes",
  "read",
  "xpath:/x",
  "ref:d1",
  "add",
  "remove",
  "after",
  "d1.fake",
  '"quoted value"',
  "'single'",
  'a="b c"',
  "\\",
  "#",
  "=",
  ":",
  "::",
  "",
  "é",
  "description=x",
];
const FORBIDDEN_HEADS = new Set([
  "commit",
  "up",
  "end",
  "back",
  "cd",
  "quit",
  "exit",
  "bye",
  "edit",
  "resource",
  "configure",
]);

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function randomScript(rnd: () => number): string {
  const lines: string[] = [];
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => pick(rnd, VOCAB));
    lines.push(words.join(" "));
  }
  return lines.join("\n");
}

function mutate(rnd: () => number, script: string): string {
  let s = script;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const lines = s.split("\n");
    const k = Math.floor(rnd() * lines.length);
    const at = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 6)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 8));
        break;
      case 1:
        s =
          s.slice(0, at) +
          pick(rnd, ['"', "'", "\\", "(", ")", ":", "=", " ", "\n", "#", "{", "-", "\t"]) +
          s.slice(at);
        break;
      case 2:
        lines.splice(k, 0, lines[k] ?? "");
        s = lines.join("\n");
        break;
      case 3: {
        const j = Math.floor(rnd() * lines.length);
        [lines[k], lines[j]] = [lines[j] ?? "", lines[k] ?? ""];
        s = lines.join("\n");
        break;
      }
      case 4: {
        const words = (lines[k] ?? "").split(" ");
        words[Math.floor(rnd() * words.length)] = pick(rnd, VOCAB);
        lines[k] = words.join(" ");
        s = lines.join("\n");
        break;
      }
      default:
        lines.splice(k, 1);
        s = lines.join("\n");
    }
  }
  // Scripts here must be one atomic unit: no explicit commit or level change.
  return s
    .split("\n")
    .filter((l) => !FORBIDDEN_HEADS.has(l.trim().split(/\s+/)[0] ?? ""))
    .join("\n");
}

/** Deeper local runs: HACRM_FUZZ_RUNS=20000 HACRM_FUZZ_SEED=n npx vitest run crm-fuzz */
const runs = Number(process.env["HACRM_FUZZ_RUNS"] ?? 2000);
const seed = Number(process.env["HACRM_FUZZ_SEED"] ?? 0);
const cases = loadCases().filter((c) => !c.name.startsWith("session-"));
const busy = readFileSync(`${casesDir}cmd-delete.initial.xml`, "utf8");
const emptyCib = readFileSync(`${corpusDir}empty-cib.xml`, "utf8");
const { normalize } = (await import(`${corpusDir}normalize.mjs`)) as { normalize: (xml: string) => string };

/** One run: only HacrmErrors, no write on failure, at most one valid write on success. */
async function runOnce(script: string, initial: string): Promise<"ok" | "refused"> {
  const store = memoryStore(initial);
  try {
    await newSession(store).runScript(script, "fuzz");
  } catch (err) {
    if (!isHacrmError(err)) throw new Error(`crash on script:\n${script}\n${String((err as Error).stack)}`);
    expect(store.writes).toHaveLength(0);
    return "refused";
  }
  expect(store.writes.length).toBeLessThanOrEqual(1);
  for (const w of store.writes) {
    expect(checkConfiguration(w)).toEqual([]);
    expect(parseXml(serializeXml(w), "written")).toEqual(w);
    // round trip: what show prints reads back to the same configuration
    const text = showObjects(w);
    const again = memoryStore(emptyCib);
    await newSession(again)
      .runScript(text, "show")
      .catch((err: unknown) => {
        throw new Error(`show output refused: ${String(err)}\n--- script\n${script}\n--- show\n${text}`);
      });
    expect(normalize(serializeXml(again.cib)), `script:\n${script}\nshow:\n${text}`).toBe(
      normalize(serializeXml(w)),
    );
  }
  return "ok";
}

describe("crm configure under fuzzed input", () => {
  it(`random token scripts: ${runs} runs never crash and never write on error`, async () => {
    const rnd = prng(20261121 + seed);
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < runs; i++) seen[await runOnce(randomScript(rnd), busy)]++;
    expect(seen.refused).toBeGreaterThan(1000);
    expect(seen.ok).toBeGreaterThan(0);
  });

  it(`random edits of the corpus scripts: ${runs} runs never crash and never write a partial CIB`, async () => {
    const rnd = prng(4242 + seed);
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < runs; i++) {
      const c = pick(rnd, cases);
      seen[await runOnce(mutate(rnd, c.script), c.initial)]++;
    }
    expect(seen.refused).toBeGreaterThan(200);
    expect(seen.ok).toBeGreaterThan(200);
  });

  it("a refused script leaves the CIB file byte for byte as it was (200 runs on a real file)", async () => {
    const rnd = prng(7);
    const dir = mkdtempSync(join(tmpdir(), "hacrm-fuzz-"));
    const file = join(dir, "cib.xml");
    let refused = 0;
    try {
      for (let i = 0; i < 200; i++) {
        const c = pick(rnd, cases);
        writeFileSync(file, c.initial);
        try {
          await newSession(fileCibStore(file)).runScript(mutate(rnd, c.script), "fuzz");
        } catch (err) {
          if (!isHacrmError(err)) throw err;
          refused++;
          expect(readFileSync(file, "utf8")).toBe(c.initial);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(refused).toBeGreaterThan(20);
  });
});
