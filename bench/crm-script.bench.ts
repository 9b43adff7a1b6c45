// A long `hacrm configure` script (issue 14 item 12: 20k lines took 308 s,
// growing quadratically), next to Debian's crmsh on the same scripts in the
// same run: seconds per script for each, and hacrm / crmsh. crmsh runs up to
// CRM_BENCH_CRMSH_LINES lines (default 2000; it is the slow one), hacrm up to
// 20,000. Both start from the crmsh corpus' empty CIB with CIB_file.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crmScript } from "../test/crm-script-gen.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const corpus = join(repo, "../shared/conformance/crmsh");
const crmshMax = Number(process.env["CRM_BENCH_CRMSH_LINES"] ?? 2000);
const sizes = [500, 1000, 2000, 5000, 10_000, 20_000];
const dir = mkdtempSync(join(tmpdir(), "hacrm-crm-bench-"));

function run(shell: "hacrm" | "crmsh", lines: number): { s: number; primitives: number } {
  const cib = join(dir, `${shell}-${lines}.xml`);
  const script = join(dir, `script-${lines}.crm`);
  copyFileSync(join(corpus, "empty-cib.xml"), cib);
  writeFileSync(script, crmScript(lines));
  const cmd = shell === "hacrm" ? [join(repo, "bin/hacrm"), "configure"] : ["crm", "configure"];
  const env = { ...process.env, CIB_file: cib, CRM_CONFIG_FILE: join(corpus, "crmsh.conf") };
  const t0 = performance.now();
  const r = spawnSync(cmd[0] as string, cmd.slice(1), {
    input: readFileSync(script),
    env,
    stdio: ["pipe", "ignore", "pipe"],
  });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`${shell} on ${lines} lines exited ${r.status}: ${String(r.stderr).slice(-400)}`);
  return { s, primitives: (readFileSync(cib, "utf8").match(/<primitive /g) ?? []).length };
}

console.log("| lines | primitives | hacrm s | crmsh s | hacrm / crmsh | hacrm s per 1k lines |");
console.log("|---|---|---|---|---|---|");
for (const n of sizes) {
  const h = run("hacrm", n);
  const c = n <= crmshMax ? run("crmsh", n) : undefined;
  if (c && c.primitives !== h.primitives)
    throw new Error(`crmsh made ${c.primitives} primitives, hacrm ${h.primitives}`);
  console.log(
    `| ${n} | ${h.primitives} | ${h.s.toFixed(2)} | ${c ? c.s.toFixed(2) : "-"} | ${c ? (h.s / c.s).toFixed(2) : "-"} | ${((h.s / n) * 1000).toFixed(2)} |`,
  );
}
rmSync(dir, { recursive: true, force: true });
