import type { Readable, Writable } from "node:stream";

/** What a command may touch: passed in so tests can run commands in-process. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Global -F: answer yes to questions, accept agents that are not installed. */
  force?: boolean;
  /** The other hacrm commands, for the shell (`ra`, `verify`, ... at its prompt). */
  commands?: CommandTable;
}

/** One `hacrm` subcommand. `run` returns the process exit status. */
export interface Command {
  name: string;
  /** One line for `hacrm --help`. */
  summary: string;
  /** Full usage text for `hacrm NAME --help`. */
  usage: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

/** Commands by name, loaded lazily (the registry; passed to the shell, which does not import it). */
export type CommandTable = Readonly<Record<string, () => Promise<Command>>>;

/** Exit statuses shared by all commands. */
export const ExitStatus = {
  ok: 0,
  /** The input was read and found wrong (invalid CIB, rejected script). */
  invalid: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** The input could not be read (missing, a directory, no permission); sysexits' EX_NOINPUT, as Pacemaker's tools. */
  unreadable: 66,
} as const;

/** Error codes that mean "could not read the input" rather than "read it and found it wrong". */
export const unreadableCodes: ReadonlySet<string> = new Set(["CIB_FILE", "CIB_READ"]);

export function writeLine(stream: Writable, line: string): void {
  stream.write(line.endsWith("\n") ? line : `${line}\n`);
}
