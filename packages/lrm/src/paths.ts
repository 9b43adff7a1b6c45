import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

/** Where agents are looked for, in order. */
export interface AgentPaths {
  /** `resource.d` folders, searched in order (each holds PROVIDER/TYPE). */
  readonly ocfDirs: readonly string[];
  /** Folders of LSB init scripts. */
  readonly lsbDirs: readonly string[];
  /** Folders of fence agents (`fence_*` executables). */
  readonly stonithDirs: readonly string[];
  /** OCF_ROOT given to agents (the root of the system's OCF shell library). */
  readonly ocfRoot: string;
}

/** The project's `agents/` folder (same depth from src/ and dist/). */
export function projectAgentsDir(): string {
  return resolve(fileURLToPath(new URL("../../../agents", import.meta.url)));
}

export interface AgentPathsOptions {
  /** Environment: HACRM_OCF_PATH (colon-separated resource.d folders searched first). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra resource.d folders from the config file, searched after HACRM_OCF_PATH. */
  readonly configOcfDirs?: readonly string[];
  readonly agentsDir?: string;
  readonly systemOcfRoot?: string;
}

function splitPath(v: string | undefined): string[] {
  return (v ?? "").split(":").filter((p) => p !== "");
}

/** Search path: HACRM_OCF_PATH, config file, the project's agents/, then the system's. */
export function resolveAgentPaths(opts: AgentPathsOptions = {}): AgentPaths {
  const env = opts.env ?? {};
  const agents = opts.agentsDir ?? projectAgentsDir();
  const ocfRoot = opts.systemOcfRoot ?? env["OCF_ROOT"] ?? "/usr/lib/ocf";
  return {
    ocfDirs: [
      ...splitPath(env["HACRM_OCF_PATH"]),
      ...(opts.configOcfDirs ?? []),
      `${agents}/ocf/resource.d`,
      `${ocfRoot}/resource.d`,
    ],
    lsbDirs: [...splitPath(env["HACRM_LSB_PATH"]), `${agents}/lsb`, "/etc/init.d"],
    stonithDirs: [...splitPath(env["HACRM_STONITH_PATH"]), `${agents}/stonith`, "/usr/sbin"],
    ocfRoot,
  };
}
