import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { CommandIo } from "../../command.js";
import { createAgentCatalog } from "./installed-agents.js";
import { Session, type Level, type SessionDeps } from "./session.js";
import { storeFromEnv } from "./store.js";

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
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
    readText: (path) => (path === "-" ? readAll(io.stdin) : readFile(resolve(io.cwd, path), "utf8")),
    json,
  };
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
