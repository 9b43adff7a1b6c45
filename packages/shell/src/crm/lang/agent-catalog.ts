/**
 * What the language needs to know about resource agents. The session passes the
 * installed ones (`session/installed-agents.ts`); later, the cluster's.
 */
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
  /**
   * Is CLASS[:PROVIDER]:TYPE installed? Undefined when this catalog cannot tell
   * (a class it does not list, such as systemd).
   */
  installed(agent: string): boolean | undefined;
  /** Installed agents as CLASS[:PROVIDER]:TYPE (for completion). */
  list(): string[];
}
