import { agentClassInfo, type AgentClassName } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";

export type { AgentClassName };

/** A parsed agent name: `ocf:heartbeat:Dummy`, `lsb:ssh`, `stonith:fence_hacrm`. */
export interface AgentSpec {
  readonly cls: AgentClassName;
  /** OCF only: the provider folder under resource.d. */
  readonly provider?: string;
  readonly type: string;
}

const nameRe = /^[A-Za-z0-9_.@+-]+$/;

/** Parse `class:provider:type` or `class:type`; anything else is an AGENT_NAME error. */
export function parseAgentSpec(text: string): AgentSpec {
  const parts = text.split(":");
  const bad = (why: string): HacrmError =>
    new HacrmError({
      code: "AGENT_NAME",
      where: text,
      message: `not a valid agent name: ${why}`,
      hint: "write ocf:PROVIDER:TYPE, lsb:NAME, stonith:AGENT or systemd:UNIT",
    });
  const info = agentClassInfo(parts[0] ?? "");
  if (info === undefined) throw bad(`unknown class '${parts[0] ?? ""}'`);
  const cls = info.name;
  if (info.hasProvider) {
    if (parts.length !== 3) throw bad("an OCF agent needs a provider and a type");
    const [, provider, type] = parts as [string, string, string];
    if (!nameRe.test(provider) || !nameRe.test(type)) throw bad("bad characters in provider or type");
    return { cls, provider, type };
  }
  if (parts.length !== 2) throw bad(`a ${cls} agent is ${cls}:NAME`);
  const type = parts[1] as string;
  if (!nameRe.test(type)) throw bad("bad characters in the name");
  return { cls, type };
}

export function formatAgentSpec(spec: AgentSpec): string {
  return spec.cls === "ocf" ? `ocf:${spec.provider ?? ""}:${spec.type}` : `${spec.cls}:${spec.type}`;
}
