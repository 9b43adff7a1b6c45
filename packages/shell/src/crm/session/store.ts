import { basename } from "node:path";
import type { ChangeKind, CommitOutcome, XmlElement } from "@hacrm/cib";
import { commitCibFile, readCibFile } from "@hacrm/cib/file";
import { socketPath } from "../../daemon-client.js";
import { liveCibStore } from "./live-store.js";

/** Where the shell reads and writes the CIB: a file (CIB_file) or the running cluster (hacrmd's socket). */
export interface CibStore {
  /** For the prompt: `live`, or the CIB file's name. */
  readonly label: string;
  /** The file, in offline mode (for the other hacrm commands and shadow CIBs). */
  readonly path?: string;
  /** Live mode: hacrmd's socket. */
  readonly socket?: string;
  read(): Promise<XmlElement>;
  /**
   * Commit `proposed`, made from `base` (what `read` returned), through the
   * CIB's one write path: validated with exactly `hacrm verify`'s checks,
   * versioned, written all or nothing. When someone else wrote since `base`,
   * a file store replays the changes on what the file holds now; the live
   * store refuses a configuration edit (CONFIG_CHANGED, saying what changed)
   * unless `force`.
   */
  commit(base: XmlElement, proposed: XmlElement, opts: CommitRequest): Promise<CommitOutcome>;
  /** The node this shell runs on, when the store knows (live mode): `node standby` without a name. */
  localNode?(): Promise<string | undefined>;
}

export interface CommitRequest {
  kind: ChangeKind;
  /** Root attributes to stamp when something changed (cib-last-written, update-client). */
  stamp?: Record<string, string>;
  /** Write even over a configuration changed since `base` (`commit force`, `hacrm -F`). */
  force?: boolean;
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

/** `CIB_file=PATH`: that file (offline); else the running cluster through hacrmd's socket (HACRM_SOCKET). */
export function storeFromEnv(env: NodeJS.ProcessEnv): CibStore {
  const file = env["CIB_file"];
  return file ? fileCibStore(file) : liveCibStore(socketPath(undefined, env));
}
