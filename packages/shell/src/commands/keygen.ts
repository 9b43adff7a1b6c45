import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { HacrmError } from "@hacrm/common";
import { ExitStatus, writeLine, type Command } from "../command.js";

export const defaultKeyFile = "/etc/hacrm/authkey";
/** Key length written, in bytes (corosync-keygen's default is 256 bytes too). */
const keyBytes = 256;

export const command: Command = {
  name: "keygen",
  summary: "write a new random cluster key (like corosync-keygen)",
  usage: `Usage: hacrm keygen [--file PATH] [--force]

Write ${keyBytes} random bytes to PATH (default ${defaultKeyFile}) with mode 0400.
Copy the same file to every node; point totem { keyfile: PATH } at it.

Options:
  --file PATH   where to write the key
  --force       replace an existing key file`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { file: { type: "string" }, force: { type: "boolean", default: false } },
      strict: true,
    });
    const file = values.file ?? defaultKeyFile;
    mkdirSync(dirname(file), { recursive: true });
    try {
      if (values.force) chmodSync(file, 0o600);
    } catch {
      // no file to replace
    }
    try {
      writeFileSync(file, randomBytes(keyBytes), { mode: 0o400, flag: values.force ? "w" : "wx" });
      chmodSync(file, 0o400);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HacrmError({
        code: "KEY_WRITE",
        where: file,
        message:
          code === "EEXIST" ? "a key file already exists" : `cannot write the key: ${(err as Error).message}`,
        ...(code === "EEXIST"
          ? { hint: "pass --force to replace it (every node then needs the new key)" }
          : {}),
      });
    }
    writeLine(io.stdout, `hacrm keygen: wrote ${keyBytes}-byte cluster key to ${file} (mode 0400)`);
    return ExitStatus.ok;
  },
};
