import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseXml, serializeXml, problemLine } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";

/**
 * The whole scheduler corpus: every case loads; hacrm's re-serialized XML is
 * still accepted by crm_verify whenever the original is, and crm_simulate
 * gives the same canonical summary on it as the stored expectation. Pacemaker
 * tools run two at a time (the machine has two cores).
 */
const scheduler = fileURLToPath(new URL("../../shared/conformance/scheduler/", import.meta.url));
const casesDir = join(scheduler, "cases");
const toolJobsMax = 2;
const toolTimeoutMs = 60_000;

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function tool(cmd: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: toolTimeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function pool<T>(items: T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

describe("scheduler corpus round trip", () => {
  it("loads every case, re-serializes losslessly, and Pacemaker agrees on the result", async () => {
    const lib = (await import(join(scheduler, "lib/pcmk-output.mjs"))) as {
      parseXmlResult(xml: string): { actions: string[]; placement: string[] };
    };
    const names = readdirSync(casesDir)
      .filter((f) => f.endsWith(".xml"))
      .map((f) => f.slice(0, -4))
      .sort();
    expect(names.length).toBeGreaterThanOrEqual(799);
    const scratch = mkdtempSync(join(tmpdir(), "hacrm-roundtrip-"));
    const failures: string[] = [];
    const tally = { loaded: 0, accepted: 0, rejectedByBoth: 0, simulated: 0 };
    try {
      await pool(names, toolJobsMax, async (name) => {
        const original = join(casesDir, `${name}.xml`);
        const tree = parseXml(readFileSync(original, "utf8"), original);
        const text = serializeXml(tree);
        if (JSON.stringify(parseXml(text)) !== JSON.stringify(tree))
          failures.push(`${name}: tree changed on re-parse`);
        tally.loaded++;
        const ours = join(scratch, `${name}.xml`);
        writeFileSync(ours, text);
        const verified = await tool("crm_verify", ["-x", ours]);
        if (verified.code !== 0) {
          // Only acceptable when Pacemaker rejects the original as well.
          const before = await tool("crm_verify", ["-x", original]);
          if (before.code === 0)
            failures.push(`${name}: crm_verify accepts the original but not ours: ${verified.stderr}`);
          else tally.rejectedByBoth++;
          return;
        }
        tally.accepted++;
        const problems = validateCib(tree);
        if (problems.length > 0)
          failures.push(`${name}: crm_verify accepts it, hacrm reports ${problemLine(problems[0]!)}`);
        const sim = await tool("crm_simulate", ["-S", "-x", ours, "--output-as=xml"]);
        const expected = JSON.parse(readFileSync(join(casesDir, `${name}.expected.json`), "utf8")) as unknown;
        try {
          const got = lib.parseXmlResult(sim.stdout);
          tally.simulated++;
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            failures.push(
              `${name}: crm_simulate summary differs: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`,
            );
          }
        } catch (err) {
          failures.push(
            `${name}: crm_simulate output unusable (exit ${sim.code}): ${(err as Error).message}`,
          );
        }
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    console.log(`cib round trip: ${JSON.stringify(tally)}, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(tally.loaded).toBe(names.length);
    expect(tally.simulated).toBe(tally.accepted);
    expect(tally.accepted).toBeGreaterThan(600);
  }, 480_000);
});
