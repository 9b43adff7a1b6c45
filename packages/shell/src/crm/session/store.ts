import { basename } from "node:path";
import { HacrmError } from "@hacrm/common";
import type { ChangeKind, CommitOutcome, XmlElement } from "@hacrm/cib";
import { commitCibFile, readCibFile } from "@hacrm/cib/file";

/** Where the shell reads and writes the CIB: a file now (CIB_file), the cluster later. */
export interface CibStore {
  /** For the prompt: `live`, or the CIB file's name. */
  readonly label: string;
  /** The file, in offline mode (for the other hacrm commands and shadow CIBs). */
  readonly path?: string;
  read(): Promise<XmlElement>;
  /**
   * Commit `proposed`, made from `base` (what `read` returned), through the
   * CIB's one write path: rebased if someone else wrote since, validated
   * with exactly `hacrm verify`'s checks, versioned, written all or nothing.
   */
  commit(base: XmlElement, proposed: XmlElement, opts: CommitRequest): Promise<CommitOutcome>;
}

export interface CommitRequest {
  kind: ChangeKind;
  /** Root attributes to stamp when something changed (cib-last-written, update-client). */
  stamp?: Record<string, string>;
}

/** Offline mode: `CIB_file=PATH`, written under its lock by `commitCibFile`. */
export function fileCibStore(path: string): CibStore {
  return {
    label: basename(path),
    path,
    read: () => readCibFile(path),
    commit: (base, proposed, opts) => commitCibFile(path, proposed, { base, ...opts }),
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
  commit() {
    return this.read().then(() => ({ ok: false, problems: [] }));
  },
};

export function storeFromEnv(env: NodeJS.ProcessEnv): CibStore {
  const file = env["CIB_file"];
  return file ? fileCibStore(file) : noClusterStore;
}
