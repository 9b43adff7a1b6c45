/**
 * Running the command-line tools from tests: `hacrm` in this process (its
 * exit status, standard output and error), and Debian's crm_verify on a
 * document (its exit status, or the signal that ended it: it aborts on some
 * CIBs).
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { runHacrm } from "../packages/shell/src/main.js";

export interface HacrmRun {
  code: number;
  out: string;
  err: string;
}

/** `hacrm ARGS` in this process; `env` is all it sees (no inherited variables). */
export async function hacrmIn(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string } = {},
): Promise<HacrmRun> {
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? "");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await runHacrm(args, {
    stdin,
    stdout,
    stderr,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  });
  return { code, out, err };
}

/** `crm_verify -x FILE`: 0 when it accepts the file, its exit status otherwise, or the signal that ended it. */
export function crmVerify(file: string): Promise<number | string> {
  return new Promise((resolve) =>
    execFile("crm_verify", ["-x", file], { timeout: 30_000 }, (e) =>
      resolve(e ? (typeof e.code === "number" ? e.code : (e.signal ?? -1)) : 0),
    ),
  );
}

/** Write `text` to DIR/NAME.xml and run crm_verify on it. */
export function crmVerifyText(dir: string, name: string, text: string): Promise<number | string> {
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, text);
  return crmVerify(file);
}
