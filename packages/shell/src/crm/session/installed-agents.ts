import {
  implicitParameter,
  listAgents,
  loadAgentMetadata,
  parseAgentSpec,
  resolveAgentPaths,
  type AgentMetadata,
} from "@hacrm/lrm";
import type { AgentCatalog } from "../lang/agent-catalog.js";

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
      const all = list();
      const rank = (a: string): number =>
        a.startsWith("ocf:heartbeat:")
          ? 0
          : a.startsWith("ocf:pacemaker:")
            ? 1
            : a.startsWith("ocf:")
              ? 2
              : a.startsWith("lsb:")
                ? 3
                : 4;
      return all.filter((a) => a.split(":").pop() === type).sort((a, b) => rank(a) - rank(b))[0];
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
