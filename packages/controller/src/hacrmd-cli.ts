// First: take SIGUSR1 away from Node's inspector before anything else runs.
import { debuggerRequested } from "./no-debugger.js";
import { existsSync } from "node:fs";
import { isHacrmError } from "@hacrm/common";
import { runDaemon } from "./daemon.js";
import { HACRMD_USAGE, parseHacrmdArgs } from "./hacrmd.js";

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseHacrmdArgs(argv);
  } catch (err) {
    process.stderr.write(`hacrmd: ${(err as Error).message}\nRun 'hacrmd --help' for usage.\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(`${HACRMD_USAGE}\n`);
    return 0;
  }
  if (parsed === "version") {
    process.stdout.write("hacrmd 0.1.0\n");
    return 0;
  }
  if (debuggerRequested !== null) {
    process.stderr.write(
      `hacrmd: refusing to run with a debugger: ${debuggerRequested}. hacrmd runs as root and a debugger lets any local user run code in it; unset NODE_OPTIONS and drop --inspect flags\n`,
    );
    return 1;
  }
  if (!existsSync(parsed.config)) {
    process.stderr.write(
      `hacrmd: config file ${parsed.config} not found (write one in corosync.conf syntax, or pass --config FILE)\n`,
    );
    return 1;
  }
  try {
    await runDaemon(parsed);
    return -1;
  } catch (err) {
    if (isHacrmError(err)) process.stderr.write(`hacrmd: ${err.code}: ${err.toLine()}\n`);
    else process.stderr.write(`hacrmd: ${(err as Error).message}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
});
