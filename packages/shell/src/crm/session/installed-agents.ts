import {
  implicitParameter,
  listAgents,
  loadAgentMetadata,
  parseAgentSpec,
  resolveAgentPaths,
  type AgentMetadata,
} from "@hacrm/lrm";
import type { AgentCatalog } from "../lang/agent-catalog.js";

/** crmsh's order for a bare agent TYPE: ocf:heartbeat, ocf:pacemaker, other ocf providers, lsb, the rest. */
function agentRank(a: string): number {
  if (a.startsWith("ocf:heartbeat:")) return 0;
  if (a.startsWith("ocf:pacemaker:")) return 1;
  if (a.startsWith("ocf:")) return 2;
  return a.startsWith("lsb:") ? 3 : 4;
}

/** The installed agent a bare TYPE names, as crmsh looks it up (ocf:heartbeat first), or undefined. */
export function resolveBareType(installed: readonly string[], type: string): string | undefined {
  return installed.filter((a) => a.split(":").pop() === type).sort((a, b) => agentRank(a) - agentRank(b))[0];
}

/** Agents found on this machine through @hacrm/lrm's search path; meta-data cached per catalog. */
export function createAgentCatalog(opts: { env: NodeJS.ProcessEnv }): AgentCatalog {
  const paths = resolveAgentPaths({ env: opts.env });
  const cache = new Map<string, Promise<AgentMetadata | undefined>>();
  const metadata = (agent: string): Promise<AgentMetadata | undefined> => {
    let p = cache.get(agent);
    if (!p) {
      p = loadAgentMetadata(agent, { paths, timeoutMs: 10_000 }).catch(() => undefined);
      cache.set(agent, p);
    }
    return p;
  };
  let listed: string[] | undefined;
  const list = (): string[] => {
    if (!listed) {
      try {
        listed = listAgents("", paths);
      } catch {
        listed = [];
      }
    }
    return listed;
  };
  const listedClasses = new Set(["ocf", "lsb", "stonith"]);
  return {
    list,
    installed(agent) {
      const cls = agent.split(":")[0] ?? "";
      if (!listedClasses.has(cls)) return undefined;
      return list().includes(agent);
    },
    resolveType(type) {
      return resolveBareType(list(), type);
    },
    async parameters(agent) {
      const md = await metadata(agent);
      return md ? new Set(md.parameters.map((q) => q.name)) : undefined;
    },
    async requiredParameters(agent) {
      const md = await metadata(agent);
      return md?.parameters.filter((q) => q.required).map((q) => q.name);
    },
    async advisedTimeoutMs(agent, action) {
      const md = await metadata(agent);
      return md?.actions.find((a) => a.name === action)?.timeoutMs;
    },
    implicit(agent, name) {
      try {
        return implicitParameter(parseAgentSpec(agent).cls, name);
      } catch {
        return false;
      }
    },
  };
}
