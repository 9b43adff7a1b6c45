import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { isHacrmError } from "@hacrm/common";
import { ExitStatus, unreadableCodes, writeLine, type CommandIo } from "./command.js";
import { editDistance } from "./crm/lang/suggest.js";
import type { Level } from "./crm/session/session.js";
import { commandLoaders } from "./registry.js";

const VERSION = "0.1.0";
/** `hacrm LEVEL` alone on a terminal opens the interactive shell at that level. */
const INTERACTIVE_LEVELS = new Set(["configure", "resource", "node", "ra", "cib"]);

/** Entry of the `hacrm` command; returns the exit status. */
export async function runHacrm(argv: string[], baseIo: CommandIo): Promise<number> {
  // Global options, before the command (as crm's): -F/--force, -f FILE.
  let force = false;
  let scriptFile: string | undefined;
  let k = 0;
  for (; k < argv.length; k++) {
    const a = argv[k];
    if (a === "-F" || a === "--force") force = true;
    else if (a === "-f" || a === "--file") {
      scriptFile = argv[++k];
      if (scriptFile === undefined) {
        writeLine(baseIo.stderr, "hacrm: -f needs a FILE (a script of shell commands; - for standard input)");
        return ExitStatus.usage;
      }
    } else break;
  }
  const socket = takeSocket(argv.slice(k));
  if ("error" in socket) {
    writeLine(baseIo.stderr, `hacrm: ${socket.error}`);
    return ExitStatus.usage;
  }
  const env = socket.path === undefined ? baseIo.env : { ...baseIo.env, HACRM_SOCKET: socket.path };
  const io: CommandIo = { ...baseIo, env, force, commands: commandLoaders };
  const [name, ...rest] = socket.rest;
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  if (scriptFile !== undefined || (name === undefined && !tty)) {
    // `hacrm -f FILE` or `hacrm < FILE`: the commands as typed at the prompt (crm -f).
    return runScriptFile(
      io,
      scriptFile,
      [name, ...rest].filter((x): x is string => x !== undefined),
    );
  }
  if (tty && (name === undefined || (INTERACTIVE_LEVELS.has(name) && rest.length === 0))) {
    const { runInteractive } = await import("./crm/session/repl.js");
    return runInteractive(io, (name ?? "top") as Level, commandLoaders);
  }
  if (name === undefined || name === "--help" || name === "-h") {
    await printHelp(io);
    return name === undefined ? ExitStatus.usage : ExitStatus.ok;
  }
  if (name === "--version" || name === "-V") {
    writeLine(io.stdout, `hacrm ${VERSION}`);
    return ExitStatus.ok;
  }
  if (name === "help" || (name === "status" && io.env["CIB_file"]) || name === "cd") {
    // Shell commands at the top level: `hacrm help primitive`; `hacrm status` of a CIB file
    // (without CIB_file, the status command asks the running cluster).
    return runScriptText(io, [name, ...rest].join(" "), "<command line>");
  }
  const load = commandLoaders[name];
  if (!load) {
    writeLine(io.stderr, `hacrm: unknown command '${name}'${suggest(name)}`);
    writeLine(io.stderr, "Run 'hacrm --help' for the list of commands.");
    return ExitStatus.usage;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    writeLine(io.stdout, command.usage);
    return ExitStatus.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportError(name, err, io);
  }
}

/**
 * `--socket PATH` (or `--socket=PATH`) anywhere before a `--`: hacrmd's socket
 * for every command (HACRM_SOCKET), so crm-language commands, which take
 * free words, accept it too.
 */
function takeSocket(args: string[]): { path: string | undefined; rest: string[] } | { error: string } {
  let path: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (a === "--socket") {
      path = args[++i];
      if (path === undefined || path === "") return { error: "--socket needs a PATH (hacrmd's socket)" };
    } else if (a.startsWith("--socket=")) {
      path = a.slice("--socket=".length);
      if (path === "") return { error: "--socket needs a PATH (hacrmd's socket)" };
    } else rest.push(a);
  }
  return { path, rest };
}

async function runScriptFile(io: CommandIo, file: string | undefined, extra: string[]): Promise<number> {
  if (extra.length > 0) {
    writeLine(io.stderr, `hacrm: a script and a command at once: '${extra.join(" ")}'`);
    return ExitStatus.usage;
  }
  const { readAll } = await import("./crm/session/script.js");
  let text: string;
  try {
    text =
      file === undefined || file === "-"
        ? await readAll(io.stdin)
        : await readAll(createReadStream(resolve(io.cwd, file)), file);
  } catch (err) {
    if (isHacrmError(err)) return reportError("", err, io);
    writeLine(io.stderr, `hacrm: cannot read ${file ?? "<stdin>"}: ${(err as Error).message}`);
    return ExitStatus.usage;
  }
  return runScriptText(io, text, file === undefined || file === "-" ? "<stdin>" : file);
}

async function runScriptText(io: CommandIo, text: string, source: string): Promise<number> {
  const { runBatch } = await import("./crm/session/script.js");
  try {
    await runBatch(io, "top", text, source, false);
    return ExitStatus.ok;
  } catch (err) {
    return reportError("", err, io);
  }
}

function reportError(name: string, err: unknown, io: CommandIo): number {
  if (isHacrmError(err)) {
    writeLine(io.stderr, `hacrm${name ? ` ${name}` : ""}: ${err.toLine()}`);
    return unreadableCodes.has(err.code) ? ExitStatus.unreadable : ExitStatus.invalid;
  }
  if (err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS_")) {
    writeLine(io.stderr, `hacrm ${name}: ${err.message}`);
    return ExitStatus.usage;
  }
  throw err;
}

async function printHelp(io: CommandIo): Promise<void> {
  const lines = ["Usage: hacrm COMMAND [ARGS...]", "", "Commands:"];
  for (const [name, load] of Object.entries(commandLoaders).sort()) {
    const command = await load();
    lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  }
  lines.push(
    `  ${"status".padEnd(12)} cluster status: nodes, and where each resource runs`,
    `  ${"help".padEnd(12)} help on the shell's levels and commands ('hacrm help primitive')`,
    "",
    "Global options: -f FILE (run a script of shell commands; also 'hacrm < FILE'),",
    "-F/--force (answer yes, accept agents that are not installed, commit over a changed CIB),",
    "--socket PATH (hacrmd's socket; default $HACRM_SOCKET or /run/hacrm/hacrmd.sock).",
    "Without CIB_file the commands work on the running cluster, through the local hacrmd.",
    "Run 'hacrm COMMAND --help' for a command's options.",
  );
  writeLine(io.stdout, lines.join("\n"));
}

function suggest(name: string): string {
  const close = Object.keys(commandLoaders).find((c) => editDistance(c, name) <= 2);
  return close ? ` (did you mean '${close}'?)` : "";
}
