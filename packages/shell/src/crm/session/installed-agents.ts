import {
  implicitParameter,
  listAgents,
  loadAgentMetadata,
  parseAgentSpec,
  resolveAgentPaths,
  type AgentMetadata,
} from "@hacrm/lrm";

/** What the shell needs to know about installed resource agents. */
export interface AgentCatalog {
  /** `IPaddr2` -> `ocf:heartbeat:IPaddr2` (ocf:heartbeat first), undefined when not installed. */
  resolveType(type: string): string | undefined;
  /** Parameter names from the agent's meta-data; undefined when it cannot be read (not installed). */
  parameters(agent: string): Promise<ReadonlySet<string> | undefined>;
  /** Parameters the meta-data marks required; undefined when unknown. */
  requiredParameters(agent: string): Promise<string[] | undefined>;
  /** Advised timeout (ms) of an action from the meta-data, when known. */
  advisedTimeoutMs(agent: string, action: string): Promise<number | undefined>;
  /** May this parameter be given although the meta-data does not declare it? */
  implicit(agent: string, name: string): boolean;
  /** Installed agents as CLASS[:PROVIDER]:TYPE (for completion). */
  list(): string[];
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
  return {
    list,
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

/** No agents at all: nothing resolves, nothing is checked (tests, fuzzing). */
export const noAgents: AgentCatalog = {
  resolveType: () => undefined,
  parameters: () => Promise.resolve(undefined),
  advisedTimeoutMs: () => Promise.resolve(undefined),
  requiredParameters: () => Promise.resolve(undefined),
  implicit: () => false,
  list: () => [],
};
