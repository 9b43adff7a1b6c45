import {
  implicitParameter,
  listAgents,
  loadAgentMetadata,
  parseAgentSpec,
  resolveAgentPaths,
} from "@hacrm/lrm";

/** What the shell needs to know about installed resource agents. */
export interface AgentCatalog {
  /** `IPaddr2` -> `ocf:heartbeat:IPaddr2` (ocf:heartbeat first), undefined when not installed. */
  resolveType(type: string): string | undefined;
  /** Parameter names from the agent's meta-data; undefined when it cannot be read (not installed). */
  parameters(agent: string): Promise<ReadonlySet<string> | undefined>;
  /** May this parameter be given although the meta-data does not declare it? */
  implicit(agent: string, name: string): boolean;
  /** Installed agents as CLASS[:PROVIDER]:TYPE (for completion). */
  list(): string[];
}

/** Agents found on this machine through @hacrm/lrm's search path; meta-data cached per catalog. */
export function createAgentCatalog(opts: { env: NodeJS.ProcessEnv }): AgentCatalog {
  const paths = resolveAgentPaths({ env: opts.env });
  const cache = new Map<string, Promise<ReadonlySet<string> | undefined>>();
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
    parameters(agent) {
      let p = cache.get(agent);
      if (!p) {
        p = loadAgentMetadata(agent, { paths, timeoutMs: 10_000 }).then(
          (md) => new Set(md.parameters.map((q) => q.name)),
          () => undefined,
        );
        cache.set(agent, p);
      }
      return p;
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
  implicit: () => false,
  list: () => [],
};
