import { execFile, execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";

// Issue 14 item 2: writers of one CIB file serialize (the file's lock) and
// build on what the file holds when they write (re-read and rebase), so 50
// `hacrm configure` processes started at once keep all 50 resources, and the
// epoch moved once per commit.
const repo = fileURLToPath(new URL("..", import.meta.url));
const writersCount = 50;

beforeAll(() => {
  execSync("npx tsc -b packages/shell", { cwd: repo, stdio: "ignore" });
}, 300_000);

function configure(file: string, id: string): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repo, "bin/hacrm"),
      ["configure", "primitive", id, "ocf:hacrm:Dummy"],
      { env: { ...process.env, CIB_file: file }, timeout: 240_000 },
      (e, _out, err) => resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, err }),
    );
  });
}

describe("one CIB file, many writers", () => {
  it(`keeps all ${writersCount} resources of ${writersCount} parallel hacrm configure runs, one epoch each`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "hacrm-parallel-"));
    const file = join(dir, "c.xml");
    writeFileSync(
      file,
      `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>\n`,
    );
    const ids = Array.from({ length: writersCount }, (_, i) => `r${i + 1}`);
    const results = await Promise.all(ids.map((id) => configure(file, id)));
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    const cib = parseXml(readFileSync(file, "utf8"));
    const resources = cib.children
      .find((c) => c.name === "configuration")
      ?.children.find((c) => c.name === "resources")
      ?.children.map((c) => c.attrs["id"]);
    expect([...(resources ?? [])].sort()).toEqual([...ids].sort());
    expect(cib.attrs["epoch"]).toBe(String(1 + writersCount));
    expect(readdirSync(dir)).toEqual(["c.xml"]);
  }, 300_000);
});
