import { existsSync } from "node:fs";
import { HACRMD_USAGE, parseHacrmdArgs } from "./hacrmd.js";

function main(argv: string[]): number {
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
  if (!existsSync(parsed.config)) {
    process.stderr.write(
      `hacrmd: config file ${parsed.config} not found (write one in corosync.conf syntax, or pass --config FILE)\n`,
    );
    return 1;
  }
  process.stderr.write("hacrmd: cluster membership is not built yet\n");
  return 1;
}

process.exitCode = main(process.argv.slice(2));
