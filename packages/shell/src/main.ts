import { isHacrmError } from "@hacrm/common";
import { ExitStatus, writeLine, type CommandIo } from "./command.js";
import { editDistance } from "./crm/lang/suggest.js";
import type { Level } from "./crm/session/session.js";
import { commandLoaders } from "./registry.js";

const VERSION = "0.1.0";
/** `hacrm LEVEL` alone on a terminal opens the interactive shell at that level. */
const INTERACTIVE_LEVELS = new Set(["configure", "resource", "node"]);

/** Entry of the `hacrm` command; returns the exit status. */
export async function runHacrm(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  if (tty && (name === undefined || (INTERACTIVE_LEVELS.has(name) && rest.length === 0))) {
    const { runInteractive } = await import("./crm/session/repl.js");
    return runInteractive(io, (name ?? "top") as Level, commandLoaders);
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    await printHelp(io);
    return name === undefined ? ExitStatus.usage : ExitStatus.ok;
  }
  if (name === "--version" || name === "-V") {
    writeLine(io.stdout, `hacrm ${VERSION}`);
    return ExitStatus.ok;
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

function reportError(name: string, err: unknown, io: CommandIo): number {
  if (isHacrmError(err)) {
    writeLine(io.stderr, `hacrm ${name}: ${err.toLine()}`);
    return ExitStatus.invalid;
  }
  if (err instanceof Error && "code" in err && err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
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
  lines.push("", "Run 'hacrm COMMAND --help' for a command's options.");
  writeLine(io.stdout, lines.join("\n"));
}

function suggest(name: string): string {
  const close = Object.keys(commandLoaders).find((c) => editDistance(c, name) <= 2);
  return close ? ` (did you mean '${close}'?)` : "";
}
