import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { HacrmError, isHacrmError } from "@hacrm/common";
import type { Command, CommandIo } from "../../command.js";
import { createAgentCatalog } from "./installed-agents.js";
import { Session, type Level, type SessionDeps } from "./session.js";
import { storeFromEnv } from "./store.js";

/** Largest script read from standard input or a file (a 20,000-line script is about 2 MB). */
export const scriptBytesMax = 64 * 1024 * 1024;

export async function readAll(stream: Readable, source = "<stdin>"): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const c of stream) {
    const b = typeof c === "string" ? Buffer.from(c) : (c as Buffer);
    bytes += b.length;
    if (bytes > scriptBytesMax) {
      stream.destroy();
      throw new HacrmError({
        code: "SCRIPT_TOO_LARGE",
        where: source,
        message: `a script over ${scriptBytesMax} bytes`,
        hint: "split it into several scripts",
      });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Words typed on the command line, back into one crm line (quoting what needs it). */
export function joinArgs(args: string[]): string {
  return args
    .map((x) => (x === "" || /[\s"'\\]/.test(x) ? `"${x.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : x))
    .join(" ");
}

export function isTty(io: CommandIo): boolean {
  return (io.stdin as { isTTY?: boolean }).isTTY === true;
}

export function sessionDeps(io: CommandIo, json: boolean): SessionDeps {
  return {
    store: storeFromEnv(io.env),
    agents: createAgentCatalog({ env: io.env }),
    out: (t) => io.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
    info: (t) => io.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
    now: () => new Date(),
    readText: (path) =>
      path === "-" ? readAll(io.stdin) : readAll(createReadStream(resolve(io.cwd, path)), path),
    json,
    force: io.force ?? false,
    ...(io.commands ? { others: io.commands } : {}),
    runOther: (command, args, cibFile) => runOther(io, command, args, cibFile),
    env: io.env,
    cwd: io.cwd,
  };
}

/** Another hacrm command from inside the shell, on the CIB file in use (a shadow's, when one is). */
async function runOther(
  io: CommandIo,
  command: Command,
  args: string[],
  cibFile: string | undefined,
): Promise<number> {
  const env = cibFile ? { ...io.env, CIB_file: cibFile } : io.env;
  try {
    return await command.run(args, { ...io, env });
  } catch (err) {
    if (isHacrmError(err)) {
      io.stderr.write(`ERROR: ${command.name}: ${err.toLine()}\n`);
      return 1;
    }
    throw err;
  }
}

/** Run `text` as a crm script starting at `level` (batch mode). */
export async function runBatch(
  io: CommandIo,
  level: Level,
  text: string,
  source: string,
  json: boolean,
): Promise<void> {
  const session = new Session(sessionDeps(io, json));
  session.level = level;
  await session.runScript(text, source);
}

/** Split `--json` off crm words (which parseArgs would choke on: `$id=...`, `-inf:`). */
export function takeJson(args: string[]): { json: boolean; rest: string[] } {
  return { json: args.includes("--json"), rest: args.filter((a) => a !== "--json") };
}
