import { isHacrmError } from "@hacrm/common";
import { ExitStatus, writeLine, type CommandIo } from "./command.js";
import { commandLoaders } from "./registry.js";

const VERSION = "0.1.0";

/** Entry of the `hacrm` command; returns the exit status. */
export async function runHacrm(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined && (io.stdin as { isTTY?: boolean }).isTTY === true) {
    const { runInteractive } = await import("./crm/session/repl.js");
    return runInteractive(io, "top");
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

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
