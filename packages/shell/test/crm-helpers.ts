import { readFileSync, readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cloneElement, commitCib, parseXml, type CommitOutcome, type XmlElement } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import type { AgentCatalog } from "../src/crm/lang/agent-catalog.js";
import { createAgentCatalog } from "../src/crm/session/installed-agents.js";
import { Session } from "../src/crm/session/session.js";
import type { CibStore, CommitRequest } from "../src/crm/session/store.js";

export const corpusDir = fileURLToPath(new URL("../../../../shared/conformance/crmsh/", import.meta.url));
export const casesDir = `${corpusDir}cases/`;

export interface Case {
  name: string;
  script: string;
  initial: string;
  expected?: string;
}

export function loadCases(): Case[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith(".crm") && !f.endsWith(".initial.crm"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const initialFile = existsSync(`${casesDir}${name}.initial.xml`)
        ? `${casesDir}${name}.initial.xml`
        : `${corpusDir}empty-cib.xml`;
      const expectedFile = `${casesDir}${name}.expected.xml`;
      return {
        name,
        script: readFileSync(`${casesDir}${f}`, "utf8"),
        initial: readFileSync(initialFile, "utf8"),
        ...(existsSync(expectedFile) ? { expected: readFileSync(expectedFile, "utf8") } : {}),
      };
    });
}

/** A CIB held in memory; `writes` counts commits. */
export class MemoryStore implements CibStore {
  readonly label = "memory";
  writes: XmlElement[] = [];
  constructor(public cib: XmlElement) {}
  read(): Promise<XmlElement> {
    return Promise.resolve(cloneElement(this.cib));
  }
  commit(_base: XmlElement, proposed: XmlElement, opts: CommitRequest): Promise<CommitOutcome> {
    const outcome = commitCib(this.cib, proposed, { validate: (c) => validateCib(c), ...opts });
    if (outcome.ok && outcome.kind !== "none") {
      this.cib = cloneElement(outcome.cib);
      this.writes.push(this.cib);
    }
    return Promise.resolve(outcome);
  }
}

let sharedAgents: AgentCatalog | undefined;
export function agents(): AgentCatalog {
  sharedAgents ??= createAgentCatalog({ env: { OCF_ROOT: "/usr/lib/ocf", PATH: process.env["PATH"] ?? "" } });
  return sharedAgents;
}

/** `force`: accept agents that are not installed (the corpus was made with crmsh's ignore_missing_metadata). */
export function newSession(
  store: CibStore,
  out: string[] = [],
  catalog: AgentCatalog = agents(),
  force = false,
): Session {
  const s = new Session({
    store,
    agents: catalog,
    out: (t) => out.push(t),
    info: (t) => out.push(t),
    now: () => new Date(0),
    force,
  });
  s.level = "configure";
  return s;
}

export function memoryStore(xml: string): MemoryStore {
  return new MemoryStore(parseXml(xml, "test"));
}
