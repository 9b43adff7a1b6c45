import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { chown, open, readFile, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HacrmError } from "@hacrm/common";
import { rebaseChanges } from "./core/patch.js";
import { documentDigest } from "./core/version.js";
import {
  defaultSchemaChecker,
  validateCib,
  validateCibText,
  type TextValidation,
  type ValidateOptions,
} from "./validate.js";
import { commitCib, type CommitOptions, type CommitOutcome } from "./write.js";
import { defaultParseLimits, parseXml, serializeXml, type ParseLimits, type XmlElement } from "./xml.js";

// CIB files: reading, validating, and the file end of the one write path
// (`commitCib` decides what to write; this module writes it durably, one
// writer at a time).

/**
 * Read and validate a CIB file. A missing or unreadable file is a HacrmError
 * (CIB_FILE); a file over the size limit is reported as a TOO_LARGE problem
 * without being read.
 */
export function validateCibFile(
  path: string,
  opts: ValidateOptions & { limits?: ParseLimits } = {},
): TextValidation {
  const charsMax = opts.limits?.textCharsMax ?? defaultParseLimits.textCharsMax;
  // A file's characters never outnumber its bytes: this refuses nothing the
  // parser would accept for ASCII documents, and reads nothing too big.
  const text = readTextBounded(path, charsMax, "CIB_FILE");
  if (text === null) {
    const what = `file is over the limit of ${charsMax} characters`;
    return {
      problems: [
        { code: "TOO_LARGE", element: "document", where: path, what, why: "refused after that many bytes" },
      ],
    };
  }
  return validateCibText(text, path, opts);
}

/**
 * A file's text, read until `bytesMax` bytes at most (never trusting its
 * size: /dev/zero and /proc files say 0), or null when it is longer. A file
 * that cannot be read (missing, a directory, no permission) is a HacrmError
 * with `code`, which the shell reports as "could not read" (exit 66).
 */
export function readTextBounded(path: string, bytesMax: number, code: string): string | null {
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, bytesMax + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > bytesMax) return null;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === "EISDIR"
        ? "it is a directory"
        : e.code === "ENOENT"
          ? "it does not exist"
          : e.code === "EACCES"
            ? "permission denied"
            : e.message;
    throw new HacrmError(
      {
        code,
        where: path,
        message: `cannot read the CIB file: ${why}`,
        hint: "CIB_file must name a readable CIB XML file",
      },
      { cause: err },
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Read and parse a CIB file; a missing, unreadable or non-CIB file is a CIB_READ error. */
export async function readCibFile(path: string): Promise<XmlElement> {
  const text = readTextBounded(path, defaultParseLimits.textCharsMax, "CIB_READ");
  if (text === null) {
    throw new HacrmError({
      code: "CIB_TOO_LARGE",
      where: path,
      message: `the CIB is over the limit of ${defaultParseLimits.textCharsMax} characters`,
    });
  }
  const cib = parseXml(text, path);
  if (cib.name !== "cib") {
    throw new HacrmError({
      code: "CIB_READ",
      where: path,
      message: `root element is <${cib.name}>, not <cib>`,
    });
  }
  return cib;
}

/**
 * Replace `path` with `text`, all or nothing, surviving a crash at any point:
 * an exclusive temporary file with an unpredictable name in the same
 * directory, written and fsynced, given the old file's owner and mode, renamed
 * over the file, then the directory fsynced. A symlink is written through to
 * its target (the link stays a link).
 */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${randomBytes(8).toString("hex")}.tmp`);
  try {
    const old = await stat(target).catch(() => undefined);
    const fh = await open(tmp, "wx", old ? old.mode & 0o7777 : 0o600);
    try {
      await fh.writeFile(text);
      if (old) {
        await fh.chmod(old.mode & 0o7777);
        if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) {
          await chown(tmp, old.uid, old.gid);
        }
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new HacrmError(
      { code: "CIB_WRITE", where: path, message: `cannot write the CIB: ${(err as Error).message}` },
      { cause: err },
    );
  }
}

/** How long a writer waits for another writer of the same file before giving up. */
const lockWaitMsMax = 120_000;

/**
 * Run `fn` holding the write lock of the CIB file `path` (a lock file next
 * to its target, created exclusively, holding the owner's pid; a lock whose
 * owner is gone is taken over).
 */
export async function withCibFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const target = await realpath(path).catch(() => path);
  const lock = join(dirname(target), `.${basename(target)}.lock`);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lock, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new HacrmError(
          { code: "CIB_LOCK", where: lock, message: `cannot lock the CIB: ${(err as Error).message}` },
          { cause: err },
        );
      }
      if (await ownerGone(lock)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > lockWaitMsMax) {
        throw new HacrmError({
          code: "CIB_LOCKED",
          where: path,
          message: `another writer has held the CIB for over ${lockWaitMsMax / 1000}s`,
          hint: `if no hacrm command is running, remove ${lock}`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(100, 2 + attempt * 2) * (0.5 + Math.random())));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

async function ownerGone(lock: string): Promise<boolean> {
  const pid = Number(await readFile(lock, "utf8").catch(() => ""));
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    // Being written right now, or left empty by a crash: judge by its age.
    const st = await stat(lock).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs > 5_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface CommitFileOptions extends Partial<CommitOptions> {
  /**
   * The document the proposal was made from. When the file no longer holds
   * it (another writer came first), the proposal's changes are replayed on
   * what the file holds now, or refused as a CIB_CONFLICT.
   */
  base?: XmlElement;
}

/**
 * The one way to write a CIB file: under the file's lock, read what it holds,
 * rebase the proposal on it if someone else wrote since `base`, validate and
 * version it with `commitCib` (validation defaults to `validateCib`, exactly
 * what `hacrm verify` checks), and write it durably. Nothing is written when
 * anything is wrong or nothing changed.
 */
export async function commitCibFile(
  path: string,
  proposed: XmlElement,
  opts: CommitFileOptions = {},
): Promise<CommitOutcome> {
  // Compile the schema before taking the lock: other writers wait for the
  // lock, not for this process's ajv.
  const validate =
    opts.validate ?? ((cib: XmlElement) => validateCib(cib, { schema: defaultSchemaChecker() }));
  if (opts.validate === undefined) defaultSchemaChecker();
  return withCibFileLock(path, async () => {
    const current = await readCibFile(path);
    const base = opts.base;
    const rebased =
      base === undefined || documentDigest(base) === documentDigest(current)
        ? proposed
        : rebaseChanges(base, proposed, current);
    const outcome = commitCib(current, rebased, {
      validate,
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.stamp ? { stamp: opts.stamp } : {}),
    });
    if (outcome.ok && outcome.kind !== "none") await writeFileDurably(path, `${serializeXml(outcome.cib)}\n`);
    return outcome;
  });
}
