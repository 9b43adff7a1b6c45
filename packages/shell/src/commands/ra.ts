import { parseArgs } from "node:util";
import { hostname } from "node:os";
import { durationMs } from "@hacrm/cib";
import { HacrmError, createSystemTimerHost, isHacrmError, systemClock } from "@hacrm/common";
import { createSilentLogger } from "@hacrm/common/logger";
import {
  Executor,
  createProcessRunner,
  defaultTimeoutMs,
  endGroups,
  listAgents,
  loadAgentMetadata,
  locateAgent,
  ocfCodeName,
  resolveAgentPaths,
  type AgentMetadata,
  type OpResult,
} from "@hacrm/lrm";
import { ExitStatus, writeLine, type Command, type CommandIo } from "../command.js";
import { resolveBareType } from "../crm/session/installed-agents.js";

const usage = `Usage: hacrm ra classes
       hacrm ra list [CLASS[:PROVIDER] | CLASS [PROVIDER]]
       hacrm ra providers TYPE
       hacrm ra info|meta AGENT
       hacrm ra exec AGENT ACTION [--timeout DURATION] [--interval DURATION]
                     [--resource ID] [--meta NAME=VALUE]... [--show-env] [NAME=VALUE ...]

Resource agents: list the installed ones, show one's parameters and actions,
or run one action by hand with the environment the executor gives it in the
cluster (OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_*, OCF_RESKEY_CRM_meta_*,
HA_RSCTMP, HACRM_ATTRIBUTE_TOOL, ...). Parameters are checked against the
agent's meta-data first.

AGENT is ocf:PROVIDER:TYPE, lsb:NAME or stonith:AGENT, or a bare TYPE
(IPaddr2), looked up as crmsh does: ocf:heartbeat first, then
ocf:pacemaker, other ocf providers, lsb, stonith. Agents are looked for
in HACRM_OCF_PATH (colon-separated resource.d folders), the project's agents/,
then /usr/lib/ocf/resource.d (LSB: agents/lsb, /etc/init.d; fence agents:
agents/stonith, /usr/sbin).

exec options:
  --timeout DURATION   end the action after this long (default: the agent's
                       meta-data, else 20s); e.g. 500ms, 20s, 2min
  --interval DURATION  OCF_RESKEY_CRM_meta_interval (monitor depth/recurrence hint)
  --resource ID        OCF_RESOURCE_INSTANCE (default: the agent's type)
  --meta NAME=VALUE    a meta attribute (OCF_RESKEY_CRM_meta_NAME)
  --check-level N      OCF_CHECK_LEVEL
  --state-dir DIR      HA_RSCTMP is DIR/rsctmp, attributes DIR/attributes
                       (default HACRM_STATE_DIR, else /var/lib/hacrm)
  --show-env           print the agent's environment on stderr first

exec exit status: the agent's exit code (OCF: 0 ok, 1 error, 2 invalid argument,
3 unimplemented, 4 no permission, 5 not installed, 6 not configured, 7 not
running, 8 promoted, 9 failed promoted); 5 when the agent does not exist, 4
when it cannot be executed, 6 when parameters are refused, 124 on timeout,
128+N when hacrm itself is ended by signal N (SIGINT, SIGTERM, SIGHUP: the
agent's process group is ended first).`;

export const command: Command = {
  name: "ra",
  summary: "list, describe and run resource agents",
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, io);
    if (sub === "classes") return classes(io);
    if (sub === "providers") return providers(rest, io);
    if (sub === "info" || sub === "meta") return info(rest, io);
    if (sub === "exec") return exec(rest, io);
    writeLine(
      io.stderr,
      `hacrm ra: expected classes, list, providers, info or exec${sub ? `, not '${sub}'` : ""}`,
    );
    return ExitStatus.usage;
  },
};

function list(args: string[], io: CommandIo): number {
  if (args.length > 2) {
    writeLine(io.stderr, "hacrm ra list: CLASS[:PROVIDER] or CLASS [PROVIDER]");
    return ExitStatus.usage;
  }
  const paths = resolveAgentPaths({ env: io.env });
  for (const name of listAgents(args.join(":"), paths)) writeLine(io.stdout, name);
  return ExitStatus.ok;
}

/** Agent classes, with the providers of ocf (as `crm ra classes` prints them). */
function classes(io: CommandIo): number {
  const paths = resolveAgentPaths({ env: io.env });
  const all = listAgents("", paths);
  const cls = [...new Set(all.map((a) => a.split(":")[0] ?? ""))].sort();
  for (const c of cls) {
    if (c !== "ocf") writeLine(io.stdout, c);
    else {
      const provs = [
        ...new Set(all.filter((a) => a.startsWith("ocf:")).map((a) => a.split(":")[1] ?? "")),
      ].sort();
      writeLine(io.stdout, `ocf / ${provs.join(" ")}`);
    }
  }
  return ExitStatus.ok;
}

/** The ocf providers that have an agent of this type. */
function providers(args: string[], io: CommandIo): number {
  if (args.length !== 1) {
    writeLine(io.stderr, "hacrm ra providers: give one agent TYPE, e.g. IPaddr2");
    return ExitStatus.usage;
  }
  const paths = resolveAgentPaths({ env: io.env });
  const provs = listAgents("ocf", paths)
    .map((a) => a.split(":"))
    .filter((p) => p[2] === args[0])
    .map((p) => p[1] ?? "");
  writeLine(io.stdout, [...new Set(provs)].sort().join(" "));
  return ExitStatus.ok;
}

/** A bare TYPE to CLASS:PROVIDER:TYPE as crmsh looks it up (ocf:heartbeat first); names with a class stay. */
export function resolveAgentName(name: string, env: NodeJS.ProcessEnv): string {
  if (name.includes(":")) return name;
  const found = resolveBareType(listAgents("", resolveAgentPaths({ env })), name);
  if (!found)
    throw new HacrmError({
      code: "AGENT_NOT_FOUND",
      where: name,
      message: `no resource agent '${name}' is installed`,
      hint: "see 'hacrm ra list', or give CLASS:PROVIDER:TYPE",
    });
  return found;
}

async function info(args: string[], io: CommandIo): Promise<number> {
  if (args.length !== 1) {
    writeLine(io.stderr, "hacrm ra info: give one AGENT, e.g. ocf:heartbeat:Dummy");
    return ExitStatus.usage;
  }
  const agent = resolveAgentName(args[0] as string, io.env);
  const paths = resolveAgentPaths({ env: io.env });
  const md = await loadAgentMetadata(agent, { paths });
  writeLine(io.stdout, describe(agent, locateAgent(agent, paths).file, md));
  return ExitStatus.ok;
}

/** A readable page about an agent: what it is, its parameters, its actions. */
export function describe(agent: string, file: string, md: AgentMetadata): string {
  const lines = [`${agent} - ${md.shortdesc.trim()}`, `  (${file})`, ""];
  if (md.longdesc.trim())
    lines.push(
      ...md.longdesc
        .trim()
        .split("\n")
        .map((l) => l.trim()),
      "",
    );
  lines.push(`Parameters (* required, + unique):`);
  if (md.parameters.length === 0) lines.push("  none");
  for (const p of md.parameters) {
    const mark = `${p.required ? "*" : " "}${p.unique ? "+" : " "}`;
    const def = p.default !== undefined && p.default !== "" ? ` [${p.default}]` : "";
    lines.push(`  ${mark}${p.name} (${p.type})${def}${p.deprecated ? " (deprecated)" : ""}`);
    if (p.shortdesc) lines.push(`       ${p.shortdesc}`);
  }
  lines.push("", "Operations' defaults:");
  for (const a of md.actions) {
    const parts = [a.timeoutMs !== undefined ? `timeout=${a.timeoutMs / 1000}s` : ""];
    if (a.intervalMs) parts.push(`interval=${a.intervalMs / 1000}s`);
    if (a.depth) parts.push(`depth=${a.depth}`);
    if (a.role) parts.push(`role=${a.role}`);
    lines.push(`  ${a.name.padEnd(14)} ${parts.filter(Boolean).join(" ")}`);
  }
  return lines.join("\n");
}

function keyValues(items: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw new HacrmError({
        code: "USAGE",
        where: item,
        message: `expected ${what} as NAME=VALUE`,
        hint: "see 'hacrm ra --help'",
      });
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

async function exec(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      timeout: { type: "string" },
      interval: { type: "string" },
      resource: { type: "string" },
      meta: { type: "string", multiple: true },
      "check-level": { type: "string" },
      "state-dir": { type: "string" },
      "show-env": { type: "boolean" },
    },
    strict: true,
  });
  const [given, action, ...pairs] = positionals;
  if (!given || !action) {
    writeLine(io.stderr, "hacrm ra exec: give AGENT and ACTION, e.g. hacrm ra exec ocf:hacrm:Dummy monitor");
    return ExitStatus.usage;
  }
  const agent = resolveAgentName(given, io.env);
  const paths = resolveAgentPaths({ env: io.env });
  let located: ReturnType<typeof locateAgent>;
  try {
    located = locateAgent(agent, paths);
  } catch (e) {
    if (!isHacrmError(e) || e.code !== "AGENT_NOT_FOUND") throw e;
    writeLine(io.stderr, `hacrm ra exec: ${safeText(e.toLine())}`);
    return 5; // OCF "not installed", as the usage says
  }
  const params = keyValues(pairs, "a parameter");
  const intervalMs = values.interval ? durationMs(values.interval, "--interval") : 0;
  const timeoutMs =
    values.timeout !== undefined
      ? operationTimeoutMs(values.timeout)
      : await metadataTimeout(agent, action, intervalMs, paths);
  const stateDir = values["state-dir"] ?? io.env["HACRM_STATE_DIR"] ?? "/var/lib/hacrm";
  const timers = createSystemTimerHost();
  const groups = new Set<number>();
  const executor = new Executor(
    {
      nodeName: io.env["HACRM_NODE"] ?? hostname(),
      stateDir,
      paths,
      journalPath: ":memory:",
      attributeDir: io.env["HACRM_ATTR_DIR"],
      extraEnv: io.env["CIB_file"] ? { CIB_file: io.env["CIB_file"] } : {},
    },
    {
      clock: systemClock,
      timers,
      logger: createSilentLogger(),
      runner: createProcessRunner({ clock: systemClock, timers, groups }),
    },
  );
  const op = {
    resource: values.resource ?? located.spec.type,
    agent,
    action,
    intervalMs,
    timeoutMs,
    params,
    meta: keyValues(values.meta ?? [], "a meta attribute"),
    ...(values["check-level"] !== undefined ? { checkLevel: Number(values["check-level"]) } : {}),
  };
  if (values["show-env"]) {
    const inv = located.cls.invocation(
      located.file,
      located.spec,
      { ...op, meta: { on_node: io.env["HACRM_NODE"] ?? hostname(), ...op.meta } },
      executor.baseEnvironment(),
      paths,
    );
    for (const [k, v] of Object.entries(inv.env).sort()) writeLine(io.stderr, `${k}=${shellQuote(v)}`);
  }
  let result: OpResult;
  const uninstall = endAgentsOnSignal(groups, io);
  try {
    // An intervalled exec runs once: recurring schedules belong to the daemon.
    result = await executor.execute({
      ...op,
      intervalMs: 0,
      meta: { ...op.meta, interval: String(intervalMs) },
    });
  } finally {
    uninstall();
    await executor.close();
  }
  return report(result, io);
}

async function metadataTimeout(
  agent: string,
  action: string,
  intervalMs: number,
  paths: ReturnType<typeof resolveAgentPaths>,
): Promise<number> {
  if (action === "meta-data") return 20_000;
  try {
    return defaultTimeoutMs(await loadAgentMetadata(agent, { paths }), action, intervalMs) ?? 20_000;
  } catch {
    return 20_000;
  }
}

function report(r: OpResult, io: CommandIo): number {
  io.stdout.write(safeText(r.stdout));
  io.stderr.write(safeText(r.stderr));
  if (r.outputTruncated) writeLine(io.stderr, "hacrm ra exec: (output truncated)");
  switch (r.status) {
    case "done": {
      const code = r.exitCode ?? r.rc;
      if (r.signal) writeLine(io.stderr, `hacrm ra exec: ${r.agent} ${r.action}: killed by ${r.signal}`);
      else if (code !== 0)
        writeLine(io.stderr, `hacrm ra exec: ${r.agent} ${r.action}: exit ${code} (${ocfCodeName(r.rc)})`);
      return r.signal ? 1 : code;
    }
    case "timeout":
      writeLine(io.stderr, `hacrm ra exec: ${r.agent} ${r.action}: timed out (${safeText(r.reason ?? "")})`);
      return 124;
    default:
      writeLine(io.stderr, `hacrm ra exec: ${r.agent} ${r.action}: ${r.status}: ${safeText(r.reason ?? "")}`);
      return r.rc;
  }
}

/** --timeout: a duration (the one parser, durationMs) above 0. */
export function operationTimeoutMs(text: string): number {
  const ms = durationMs(text, "--timeout");
  if (ms <= 0) {
    throw new HacrmError({
      code: "DURATION",
      where: "--timeout",
      message: `'${safeText(text)}' is not above 0`,
      hint: "give how long the action may run, e.g. 20s or 2min",
    });
  }
  return ms;
}

/** A value for `sh`: single-quoted, so sourcing --show-env's output runs nothing. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/** Agents' output and reasons as shown on a terminal: control bytes (escape sequences) made visible. */
export function safeText(t: string): string {
  return t.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * While an agent runs, Ctrl-C, SIGTERM and SIGHUP end its process group
 * (SIGTERM, SIGKILL after 1 s) before hacrm exits with 128+N. Returns the
 * function that removes the handlers.
 */
function endAgentsOnSignal(groups: Set<number>, io: CommandIo): () => void {
  const handlers = Object.entries(signalNumbers).map(([name, n]) => {
    const signal = name as NodeJS.Signals;
    const h = (): void => {
      writeLine(io.stderr, `hacrm ra exec: ${signal}: ending the agent's process group`);
      void endGroups(groups, 1000).then(() => process.exit(128 + (n as number)));
    };
    process.once(signal, h);
    return [signal, h] as const;
  });
  return () => {
    for (const [signal, h] of handlers) process.off(signal, h);
  };
}
