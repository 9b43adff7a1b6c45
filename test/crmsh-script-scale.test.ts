import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Session as Inspector } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hacrmIn } from "./hacrm-cli-lib.js";
import { crmScript } from "./crm-script-gen.js";

// Issue 14 item 12: a crm script's cost grows linearly with its length (a
// 20k-line script took 308 s: every command copied the whole CIB and walked
// it for ids). Counted, not timed: V8's precise block coverage gives how many
// times each function and block of hacrm's packages ran, a deterministic
// count of the work done. Quadrupling the script must about quadruple it
// (quadratic work would multiply it by 9 or more here). Times against
// crmsh are in bench/crm-script.bench.ts.
const dir = mkdtempSync(join(tmpdir(), "hacrm-scale-"));
const emptyCib = `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0">
<configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/><constraints/></configuration><status/></cib>
`;

const inspector = new Inspector();

async function counted(n: number): Promise<{ work: number; resources: number }> {
  const file = join(dir, `cib-${n}.xml`);
  writeFileSync(file, emptyCib);
  await inspector.post("Profiler.takePreciseCoverage"); // counts start from here
  const { code, err } = await hacrmIn(["configure"], {
    stdin: crmScript(n),
    env: { PATH: process.env["PATH"] ?? "", OCF_ROOT: "/usr/lib/ocf", CIB_file: file },
    cwd: dir,
  });
  const { result } = await inspector.post("Profiler.takePreciseCoverage");
  expect(code, err).toBe(0);
  let work = 0;
  for (const s of result)
    if (s.url.includes("/packages/")) for (const f of s.functions) for (const r of f.ranges) work += r.count;
  const resources = (readFileSync(file, "utf8").match(/<primitive /g) ?? []).length;
  return { work, resources };
}

describe("a crm script's cost grows linearly with its length", () => {
  beforeAll(async () => {
    inspector.connect();
    await inspector.post("Profiler.enable");
    // Before hacrm's code runs: counting from its first call, none optimized away.
    await inspector.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
    await counted(200); // warm: the schema compiled, agents' meta-data cached
  }, 60_000);
  afterAll(async () => {
    await inspector.post("Profiler.stopPreciseCoverage");
    inspector.disconnect();
  });

  it("4 times the lines, about 4 times the work", async () => {
    const small = await counted(600);
    const large = await counted(2400);
    expect(large.resources / small.resources).toBeCloseTo(4, 1);
    const ratio = large.work / small.work;
    console.log(
      `crm script: ${small.work} blocks run for 600 lines, ${large.work} for 2400: x${ratio.toFixed(2)}`,
    );
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(5);
  }, 120_000);
});

describe("a script too large to be one is refused with one line, before it costs memory", () => {
  async function configure(text: string) {
    const file = join(dir, "bounded.xml");
    writeFileSync(file, emptyCib);
    const { code, err } = await hacrmIn(["configure"], {
      stdin: text,
      env: { PATH: process.env["PATH"] ?? "", OCF_ROOT: "/usr/lib/ocf", CIB_file: file },
      cwd: dir,
    });
    return { code, err, unchanged: readFileSync(file, "utf8") === emptyCib };
  }

  it("a 300 MB value (was: out of heap after minutes) and a 65 MB script", async () => {
    const line = await configure(`primitive x ocf:heartbeat:Dummy params state=${"a".repeat(3_000_000)}\n`);
    expect(line).toEqual({
      code: 1,
      err: "hacrm configure: <stdin>:1:1: command longer than 1000000 characters (split it, or load large values from a file)\n",
      unchanged: true,
    });
    const huge = await configure(`primitive x ocf:heartbeat:Dummy params state=${"a".repeat(300_000_000)}\n`);
    expect(huge).toEqual({
      code: 1,
      err: "hacrm configure: <stdin>: a script over 67108864 bytes (split it into several scripts)\n",
      unchanged: true,
    });
  }, 60_000);
});
