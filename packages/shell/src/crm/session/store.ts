import { randomBytes } from "node:crypto";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HacrmError } from "@hacrm/common";
import { parseXml, serializeXml, type XmlElement } from "@hacrm/cib";

/** Where the shell reads and writes the CIB: a file now (CIB_file), the cluster later. */
export interface CibStore {
  /** For the prompt: `live`, or the CIB file's name. */
  readonly label: string;
  read(): Promise<XmlElement>;
  /** Replace the whole CIB, all or nothing. */
  write(cib: XmlElement): Promise<void>;
}

/** Offline mode: `CIB_file=PATH`. Writes go to a temporary file renamed over PATH. */
export function fileCibStore(path: string): CibStore {
  return {
    label: basename(path),
    async read() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (err) {
        throw new HacrmError(
          {
            code: "CIB_READ",
            where: path,
            message: `cannot read the CIB: ${(err as Error).message}`,
            hint: "CIB_file must name an existing CIB XML file",
          },
          { cause: err },
        );
      }
      const cib = parseXml(text, path);
      if (cib.name !== "cib")
        throw new HacrmError({
          code: "CIB_READ",
          where: path,
          message: `root element is <${cib.name}>, not <cib>`,
        });
      return cib;
    },
    async write(cib) {
      const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
      try {
        const mode = await stat(path).then(
          (st) => st.mode & 0o7777,
          () => 0o600,
        );
        await writeFile(tmp, serializeXml(cib), { flag: "wx", mode });
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw new HacrmError(
          { code: "CIB_WRITE", where: path, message: `cannot write the CIB: ${(err as Error).message}` },
          { cause: err },
        );
      }
    },
  };
}

/** Live mode until the controller's client exists: every access explains what to do. */
export const noClusterStore: CibStore = {
  label: "live",
  read() {
    return Promise.reject(
      new HacrmError({
        code: "NO_CLUSTER",
        message: "no running cluster to talk to",
        hint: "set CIB_file=PATH to work on a CIB file (offline mode)",
      }),
    );
  },
  write() {
    return this.read().then(() => undefined);
  },
};

export function storeFromEnv(env: NodeJS.ProcessEnv): CibStore {
  const file = env["CIB_file"];
  return file ? fileCibStore(file) : noClusterStore;
}
