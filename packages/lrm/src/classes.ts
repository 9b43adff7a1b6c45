import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { HacrmError } from "@hacrm/common";
import { agentClassInfo, agentClassList } from "@hacrm/cib";
import type { AgentClassName, AgentSpec } from "./agent-spec.js";
import type { AgentPaths } from "./paths.js";
import { mapLsbExit } from "./codes.js";

/** One operation as the executor runs it. */
export interface OperationRequest {
  /** Resource id; for clone instances `id:N`. Becomes OCF_RESOURCE_INSTANCE. */
  readonly resource: string;
  /** `ocf:provider:type`, `lsb:name`, `stonith:agent`. */
  readonly agent: string;
  readonly action: string;
  /** 0 for one-shot operations; >0 for a recurring monitor. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Instance attributes: OCF_RESKEY_<name>. */
  readonly params: Readonly<Record<string, string>>;
  /** Meta attributes and operation properties: OCF_RESKEY_CRM_meta_<name>. */
  readonly meta?: Readonly<Record<string, string>>;
  /** OCF_CHECK_LEVEL for monitors (the operation's depth). */
  readonly checkLevel?: number;
  /** Expected rc of a recurring monitor (8 for the promoted role's monitor). */
  readonly expectedRc?: number;
  /** Opaque to the executor, copied into every result (the controller's transition key). */
  readonly transitionKey?: string;
}

/** How to start one agent process. */
export interface AgentInvocation {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

/** Environment every agent gets from the executor, besides its class's variables. */
export interface BaseEnvironment {
  readonly PATH: string;
  readonly [name: string]: string;
}

/**
 * One agent class (ocf, lsb, stonith; systemd later). Locating and listing
 * touch the file system; building the invocation and mapping exit codes are
 * pure.
 */
export interface AgentClass {
  readonly name: AgentClassName;
  locate(spec: AgentSpec, paths: AgentPaths): string | undefined;
  list(paths: AgentPaths, provider?: string): AgentSpec[];
  invocation(
    file: string,
    spec: AgentSpec,
    op: OperationRequest,
    base: BaseEnvironment,
    paths: AgentPaths,
  ): AgentInvocation;
  /** The OCF code an exit status means for `action`. */
  mapExit(action: string, exitCode: number): number;
  /** The action name this class's agents use to print meta-data. */
  readonly metadataAction: string;
}

const envNameRe = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkEnvName(kind: string, name: string, agent: string): void {
  if (!envNameRe.test(name)) {
    throw new HacrmError({
      code: "PARAM_NAME",
      where: agent,
      message: `${kind} name '${name}' cannot be passed to an agent`,
      hint: "use letters, digits and underscores",
    });
  }
}

function checkValue(name: string, value: string, agent: string): void {
  if (value.includes("\0")) {
    throw new HacrmError({
      code: "PARAM_VALUE",
      where: agent,
      message: `value of '${name}' contains a NUL byte`,
    });
  }
}

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether `path` exists and may be executed by us. */
export function canExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function firstExisting(dirs: readonly string[], rel: string): string | undefined {
  for (const d of dirs) {
    const p = `${d}/${rel}`;
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/** OCF_RESKEY_* and OCF_RESKEY_CRM_meta_* for one operation. */
export function ocfOperationEnv(op: OperationRequest): Record<string, string> {
  const env: Record<string, string> = {
    OCF_RESKEY_CRM_meta_interval: String(op.intervalMs),
    OCF_RESKEY_CRM_meta_timeout: String(op.timeoutMs),
  };
  for (const [k, v] of Object.entries(op.params)) {
    checkEnvName("parameter", k, op.agent);
    checkValue(k, v, op.agent);
    env[`OCF_RESKEY_${k}`] = v;
  }
  for (const [k, v] of Object.entries(op.meta ?? {})) {
    const name = k.replace(/-/g, "_");
    checkEnvName("meta attribute", name, op.agent);
    checkValue(k, v, op.agent);
    env[`OCF_RESKEY_CRM_meta_${name}`] = v;
  }
  if (op.checkLevel !== undefined) env["OCF_CHECK_LEVEL"] = String(op.checkLevel);
  return env;
}

export const ocfClass: AgentClass = {
  name: "ocf",
  metadataAction: "meta-data",
  locate: (spec, paths) => firstExisting(paths.ocfDirs, `${spec.provider ?? ""}/${spec.type}`),
  list(paths, provider) {
    const seen = new Set<string>();
    const out: AgentSpec[] = [];
    for (const dir of paths.ocfDirs) {
      for (const prov of listDir(dir)) {
        if (provider !== undefined && prov !== provider) continue;
        for (const type of listDir(`${dir}/${prov}`)) {
          const key = `${prov}:${type}`;
          if (seen.has(key) || type.startsWith(".") || !isExecutableFile(`${dir}/${prov}/${type}`)) continue;
          if (!canExecute(`${dir}/${prov}/${type}`)) continue;
          seen.add(key);
          out.push({ cls: "ocf", provider: prov, type });
        }
      }
    }
    return out;
  },
  invocation(file, spec, op, base, paths) {
    const env: Record<string, string> = {
      ...base,
      OCF_ROOT: paths.ocfRoot,
      OCF_FUNCTIONS_DIR: `${paths.ocfRoot}/lib/heartbeat`,
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "1",
      OCF_RESOURCE_INSTANCE: op.resource,
      OCF_RESOURCE_TYPE: spec.type,
      OCF_RESOURCE_PROVIDER: spec.provider ?? "",
      ...ocfOperationEnv(op),
    };
    return { file, argv: [op.action], env, stdin: "" };
  },
  mapExit: (_action, exitCode) => (exitCode >= 0 && exitCode <= 9 ? exitCode : 1),
};

export const lsbClass: AgentClass = {
  name: "lsb",
  metadataAction: "meta-data",
  locate: (spec, paths) => firstExisting(paths.lsbDirs, spec.type),
  list(paths) {
    const seen = new Set<string>();
    const out: AgentSpec[] = [];
    for (const dir of paths.lsbDirs) {
      for (const name of listDir(dir)) {
        if (seen.has(name) || name.startsWith(".") || name === "README" || !canExecute(`${dir}/${name}`))
          continue;
        if (!isExecutableFile(`${dir}/${name}`)) continue;
        seen.add(name);
        out.push({ cls: "lsb", type: name });
      }
    }
    return out;
  },
  invocation(file, _spec, op, base) {
    // LSB scripts take no parameters; "monitor" is their "status".
    const action = op.action === "monitor" ? "status" : op.action;
    return { file, argv: [action], env: { ...base }, stdin: "" };
  },
  mapExit: mapLsbExit,
};

/** Fence agents read `key=value` lines on standard input; `action` names what to do. */
export function stonithStdin(op: OperationRequest): string {
  const action = op.action === "meta-data" ? "metadata" : op.action === "start" ? "monitor" : op.action;
  const lines = [`action=${action}`];
  for (const [k, v] of Object.entries(op.params)) {
    if (k.startsWith("pcmk_") || k === "action") continue;
    if (/[\n\r]/.test(v)) {
      throw new HacrmError({
        code: "PARAM_VALUE",
        where: op.agent,
        message: `value of '${k}' has a line break, which a fence agent's standard input cannot carry`,
      });
    }
    lines.push(`${k}=${v}`);
  }
  return `${lines.join("\n")}\n`;
}

export const stonithClass: AgentClass = {
  name: "stonith",
  metadataAction: "meta-data",
  locate: (spec, paths) =>
    spec.type.startsWith("fence_") ? firstExisting(paths.stonithDirs, spec.type) : undefined,
  list(paths) {
    const seen = new Set<string>();
    const out: AgentSpec[] = [];
    for (const dir of paths.stonithDirs) {
      for (const name of listDir(dir)) {
        if (!name.startsWith("fence_") || seen.has(name) || !canExecute(`${dir}/${name}`)) continue;
        seen.add(name);
        out.push({ cls: "stonith", type: name });
      }
    }
    return out;
  },
  invocation(file, _spec, op, base) {
    return { file, argv: [], env: { ...base }, stdin: stonithStdin(op) };
  },
  mapExit(action, exitCode) {
    // A device's monitor/status: 0 reachable; anything else an error.
    if (exitCode === 0) return 0;
    if (action === "status" && exitCode === 2) return 7;
    return exitCode >= 1 && exitCode <= 9 ? exitCode : 1;
  },
};

/** The classes the executor runs: those the CIB vocabulary marks `runs`. */
export const agentClasses: Readonly<Partial<Record<AgentClassName, AgentClass>>> = {
  ocf: ocfClass,
  lsb: lsbClass,
  stonith: stonithClass,
};

export function agentClass(name: AgentClassName): AgentClass {
  const c = agentClasses[name];
  if (!c) {
    throw new HacrmError({
      code: "AGENT_CLASS",
      where: `${name}:`,
      message: `hacrm does not run ${name} agents (${agentClassInfo(name)?.note ?? "unknown class"})`,
      hint: `use ${agentClassList
        .filter((k) => k.runs)
        .map((k) => k.name)
        .join(", ")} agents`,
    });
  }
  return c;
}
