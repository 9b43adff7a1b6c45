import { readFileSync } from "node:fs";
import { HacrmError, createSystemTimerHost, systemClock } from "@hacrm/common";
import { formatAgentSpec, parseAgentSpec, type AgentClassName, type AgentSpec } from "./agent-spec.js";
import { agentClass, agentClasses, type AgentClass, type BaseEnvironment } from "./classes.js";
import { parseAgentMetadata, type AgentMetadata, type CheckParametersOptions } from "./metadata.js";
import { resolveAgentPaths, type AgentPaths } from "./paths.js";
import { createProcessRunner, type ProcessRunner } from "./runner.js";

export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A located agent: its name, class and executable. */
export interface LocatedAgent {
  readonly spec: AgentSpec;
  readonly name: string;
  readonly cls: AgentClass;
  readonly file: string;
}

/** Find `agent` on the search path; AGENT_NOT_FOUND if it is not there. */
export function locateAgent(
  agent: string,
  paths: AgentPaths = resolveAgentPaths({ env: process.env }),
): LocatedAgent {
  const spec = parseAgentSpec(agent);
  const cls = agentClass(spec.cls);
  const file = cls.locate(spec, paths);
  if (!file) {
    const searched =
      spec.cls === "ocf" ? paths.ocfDirs : spec.cls === "lsb" ? paths.lsbDirs : paths.stonithDirs;
    throw new HacrmError({
      code: "AGENT_NOT_FOUND",
      where: agent,
      message: `no such agent (searched ${searched.join(", ")})`,
      hint: "see 'hacrm ra list' for the installed agents",
    });
  }
  return { spec, name: formatAgentSpec(spec), cls, file };
}

/**
 * Installed agents, optionally filtered by `class` or `class:provider`
 * ("ocf", "ocf:hacrm", "lsb", "stonith"), as `class:provider:type` names.
 */
export function listAgents(
  filter = "",
  paths: AgentPaths = resolveAgentPaths({ env: process.env }),
): string[] {
  const [clsName, provider] = filter === "" ? [undefined, undefined] : filter.split(":");
  if (clsName !== undefined && !(clsName in agentClasses)) {
    if (clsName === "systemd") return [];
    throw new HacrmError({
      code: "AGENT_CLASS",
      where: filter,
      message: `unknown agent class '${clsName}'`,
      hint: "classes: ocf, lsb, stonith",
    });
  }
  const out: string[] = [];
  for (const [name, cls] of Object.entries(agentClasses)) {
    if (clsName !== undefined && name !== clsName) continue;
    out.push(...(cls?.list(paths, provider) ?? []).map(formatAgentSpec));
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** LSB scripts have no meta-data action: build it from the LSB header, as Pacemaker does. */
export function lsbMetadataXml(name: string, script: string): string {
  const header = /### BEGIN INIT INFO([\s\S]*?)### END INIT INFO/.exec(script)?.[1] ?? "";
  const field = (f: string): string =>
    new RegExp(`^#\\s*${f}:\\s*(.*)$`, "m").exec(header)?.[1]?.trim() ?? "";
  const shortdesc = field("Short-Description") || name;
  const longdesc = field("Description") || shortdesc;
  const actions = [
    "start",
    "stop",
    "status",
    "restart",
    "force-reload",
    "monitor",
    "meta-data",
    "validate-all",
  ];
  return [
    `<?xml version="1.0"?>`,
    `<resource-agent name="${xmlEscape(name)}" version="1.0">`,
    `  <version>1.1</version>`,
    `  <longdesc lang="en">${xmlEscape(longdesc)}</longdesc>`,
    `  <shortdesc lang="en">${xmlEscape(shortdesc)}</shortdesc>`,
    `  <parameters/>`,
    `  <actions>`,
    ...actions.map(
      (a) =>
        `    <action name="${a}" timeout="${a === "monitor" ? "15s" : "100s"}"${a === "monitor" ? ' interval="15s"' : ""}/>`,
    ),
    `  </actions>`,
    `</resource-agent>`,
    "",
  ].join("\n");
}

export interface MetadataOptions {
  readonly paths?: AgentPaths;
  /** Environment of the lookup (HACRM_OCF_PATH etc.) when `paths` is not given. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly runner?: ProcessRunner;
  readonly baseEnv?: BaseEnvironment;
}

/** The raw meta-data XML of `agent` (runs its meta-data action; LSB: built from the header). */
export async function readAgentMetadataXml(agent: string, opts: MetadataOptions = {}): Promise<string> {
  const paths = opts.paths ?? resolveAgentPaths({ env: opts.env ?? process.env });
  const located = locateAgent(agent, paths);
  if (located.spec.cls === "lsb")
    return lsbMetadataXml(located.spec.type, readFileSync(located.file, "utf8"));
  const runner = opts.runner ?? createProcessRunner({ clock: systemClock, timers: createSystemTimerHost() });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const op = {
    resource: located.spec.type,
    agent: located.name,
    action: located.cls.metadataAction,
    intervalMs: 0,
    timeoutMs,
    params: {},
  };
  const inv = located.cls.invocation(
    located.file,
    located.spec,
    op,
    opts.baseEnv ?? { PATH: defaultPath },
    paths,
  );
  const out = await runner(inv, { timeoutMs, killGraceMs: 1000, outputBytesMax: 4 * 1024 * 1024 });
  if (out.status !== "done" || out.exitCode !== 0) {
    throw new HacrmError({
      code: "METADATA_FAILED",
      where: agent,
      message: `meta-data action failed (${out.status}, exit ${out.exitCode ?? out.signal ?? "none"})${out.stderr ? `: ${out.stderr.trim().slice(0, 200)}` : ""}`,
      hint: `run '${located.file} ${located.cls.metadataAction}' to see why`,
    });
  }
  return out.stdout;
}

/**
 * Load and parse an agent's meta-data: parameters {name, required, unique,
 * type, default, shortdesc}, actions with default timeouts. The shell calls
 * this to refuse unknown agent parameters.
 */
export async function loadAgentMetadata(agent: string, opts: MetadataOptions = {}): Promise<AgentMetadata> {
  return parseAgentMetadata(await readAgentMetadataXml(agent, opts), agent);
}

/** Parameters accepted beyond the meta-data: Pacemaker's fencing options for stonith agents. */
export function implicitParameter(cls: AgentClassName, name: string): boolean {
  return cls === "stonith" && name.startsWith("pcmk_");
}

/** Parameters the fencer gives a fence agent at fencing time (so not required in the configuration). */
export function suppliedParameter(cls: AgentClassName, name: string): boolean {
  return cls === "stonith" && ["action", "plug", "port", "nodename"].includes(name);
}

/** checkParameters options for an agent of class `cls`. */
export function classCheckOptions(cls: AgentClassName): CheckParametersOptions {
  return { allowUnknown: (n) => implicitParameter(cls, n), supplied: (n) => suppliedParameter(cls, n) };
}

