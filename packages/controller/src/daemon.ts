/**
 * hacrmd's main thread: read the config and key, pick this node's nodelist
 * entry, start the membership worker, run the controller core (DC election,
 * join, CIB replication; cib-host.ts) and serve the local socket (one JSON
 * request line in, one JSON reply line out).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import {
  HacrmError,
  parseClusterConfig,
  parseConfTree,
  type ClusterConfig,
  type Logger,
} from "@hacrm/common";
import { executorSettingsFromConf, type ExecutorSettings } from "@hacrm/lrm";
import { createLogger } from "@hacrm/common/logger";
import { startMembershipWorker, type MembershipHandle, keyBytesMin } from "@hacrm/membership";
import type { HacrmdOptions } from "./hacrmd.js";
import {
  defaultSocketLimits,
  groupId,
  makePrivateDir,
  serveLocalSocket,
  socketError,
  type Request,
  type SocketAccess,
} from "./local-socket.js";
import { installSignalHandlers } from "./signals.js";
import { CibHost, checkWrite } from "./cib-host.js";
import { ExecutorHost, isExecuteMessage } from "./executor-host.js";
import { clusterStatus } from "./cluster-status.js";

/** The socket's limits, with room for a whole CIB in one `cib-write` request. */
const socketLimits = { ...defaultSocketLimits, requestBytesMax: 16 * 1024 * 1024 };

export const defaultKeyFile = "/etc/hacrm/authkey";

/** Read a file hacrmd needs, with an error that names it instead of a stack trace. */
function readNamedFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "EISDIR" ? "is a directory" : err.code === "ENOENT" ? "does not exist" : err.message;
    throw new HacrmError({
      code: "CONFIG_UNREADABLE",
      where: path,
      message: `cannot read the ${what}: ${why}`,
    });
  }
}

export function loadConfig(path: string, log: Logger): ClusterConfig {
  const cfg = parseClusterConfig(readNamedFile(path, "cluster config"), path);
  for (const w of cfg.warnings) log.warn({ event: "config_warning", where: w.where, message: w.message });
  return cfg;
}

/**
 * The config's `executor { }` section (agent paths, limits), read and checked
 * at start so a bad value stops hacrmd before it joins the cluster rather than
 * when the first resource runs.
 */
export function loadExecutorSettings(path: string): ExecutorSettings {
  return executorSettingsFromConf(parseConfTree(readFileSync(path, "utf8"), path), path);
}

/** --node NAME, else the nodelist entry one of whose addresses is on this host. */
export function pickNode(cfg: ClusterConfig, name: string | undefined): string {
  if (name !== undefined) {
    if (!cfg.nodes.some((n) => n.name === name)) {
      throw new HacrmError({
        code: "NODE_UNKNOWN",
        where: cfg.source,
        message: `node ${name} is not in the nodelist`,
        hint: `one of: ${cfg.nodes.map((n) => n.name).join(", ")}`,
      });
    }
    return name;
  }
  const local = new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
  const mine = cfg.nodes.filter((n) => n.addrs.some((a) => local.has(a)));
  if (mine.length !== 1) {
    throw new HacrmError({
      code: "NODE_AMBIGUOUS",
      where: cfg.source,
      message:
        mine.length === 0
          ? "no nodelist address is on this host"
          : `several nodelist entries are local (${mine.map((n) => n.name).join(", ")})`,
      hint: "pass --node NAME",
    });
  }
  return (mine[0] as ClusterConfig["nodes"][number]).name;
}

export function readKey(cfg: ClusterConfig): Uint8Array {
  const file = cfg.keyFile ?? defaultKeyFile;
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (err) {
    throw new HacrmError({
      code: "KEY_MISSING",
      where: file,
      message: `cannot read the cluster key: ${(err as Error).message}`,
      hint: `create it with 'hacrm keygen --file ${file}' and copy it to every node`,
    });
  }
  if (key.length < keyBytesMin) {
    throw new HacrmError({
      code: "KEY_SHORT",
      where: file,
      message: `cluster key has ${key.length} bytes, at least ${keyBytesMin} needed`,
      hint: "make a new one with 'hacrm keygen'",
    });
  }
  return key;
}

/** Like Corosync: a key that others can read is used, with a warning. */
export function keyFileWarning(file: string): string | undefined {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `cluster key ${file} has mode ${mode.toString(8).padStart(4, "0")}: others can read it and forge cluster traffic; chmod 0400 ${file}`;
}

/** The cluster group from --group, or root-only access when it does not exist. */
function socketAccess(group: string, log: Logger): SocketAccess {
  const gid = groupId(group);
  if (gid === undefined) {
    log.warn({
      event: "group_missing",
      group,
      message: `group ${group} does not exist: the socket and state directory are for root only`,
      hint: `create it (groupadd ${group}) to let its members use hacrm`,
    });
  }
  return { gid };
}

export async function runDaemon(opts: HacrmdOptions): Promise<{ stop: () => Promise<void> }> {
  // Files and the socket get their modes from here and from explicit chmods,
  // never from the umask of whoever started hacrmd.
  process.umask(0o027);
  const log = createLogger({ component: "hacrmd", pretty: opts.pretty });
  const cfg = loadConfig(opts.config, log);
  const executor = loadExecutorSettings(opts.config);
  log.info({ event: "executor_settings", ...executor });
  const nodeName = pickNode(cfg, opts.node);
  const key = readKey(cfg);
  const keyWarning = keyFileWarning(cfg.keyFile ?? defaultKeyFile);
  if (keyWarning) log.warn({ event: "key_readable_by_others", message: keyWarning });
  const access = socketAccess(opts.group, log);
  makePrivateDir(opts.stateDir, access, true);
  let stopping = false;
  // The socket first: a path that is taken stops hacrmd before it joins the cluster.
  const ready: { membership?: MembershipHandle } = {};
  const self = cfg.nodes.find((n) => n.name === nodeName) as ClusterConfig["nodes"][number];
  const hooks: { afterStep?: () => void } = {};
  const cib = new CibHost(
    {
      stateDir: opts.stateDir,
      selfId: self.nodeid,
      nodes: cfg.nodes.map((n) => ({ id: n.nodeid, name: n.name })),
    },
    {
      send: (to, body) => ready.membership?.send([to], body),
      logger: log,
      afterStep: () => hooks.afterStep?.(),
    },
  );
  // Every daemon runs an executor; the DC also runs the transition engine (executor-host.ts).
  const execHost = new ExecutorHost(
    {
      selfId: self.nodeid,
      nodeName,
      nodes: cfg.nodes.map((n) => ({ id: n.nodeid, name: n.name })),
      stateDir: join(opts.stateDir, "executor"),
      settings: executor,
    },
    { cib, send: (to, body) => ready.membership?.send([to], body), logger: log },
  );
  // Test hook: a cluster that keeps and replicates the CIB but never runs what it
  // configures (the crmsh corpus on a live cluster names agents that would act on the host).
  if (process.env["HACRM_TEST_NO_RESOURCES"] !== "1") hooks.afterStep = () => execHost.afterControllerStep();
  else log.warn({ event: "resources_not_run", reason: "HACRM_TEST_NO_RESOURCES=1" });
  const socket = await serveLocalSocket(
    opts.socket,
    access,
    socketLimits,
    (req) =>
      ready.membership
        ? answer(req, { membership: ready.membership, cib, cfg, log })
        : Promise.resolve(socketError("STARTING", "hacrmd is starting; try again")),
    log,
  );
  process.once("exit", () => socket.close());
  let started: MembershipHandle;
  try {
    started = await startMembershipWorker(
      {
        config: cfg,
        nodeName,
        stateDir: opts.stateDir,
        key,
        pretty: opts.pretty,
        logLevel: cfg.logging.debug ? "debug" : undefined,
      },
      {
        onEvent: (e) =>
          e.type === "deliver" && isExecuteMessage(e.body)
            ? execHost.onMessage(e.from, e.body)
            : cib.onMembership(e),
        onExit: (err) => {
          // Before it is ready, a failure rejects startMembershipWorker (reported below).
          if (stopping || ready.membership === undefined) return;
          log.fatal({ event: "membership_worker_died", err: err?.message });
          process.exit(1);
        },
      },
    );
  } catch (e) {
    socket.close();
    throw e;
  }
  ready.membership = started;
  const stop = async (): Promise<void> => {
    stopping = true;
    socket.close();
    cib.close();
    await execHost.close();
    await started.stop();
    log.info({ event: "hacrmd_stopped", node: nodeName });
  };
  installSignalHandlers({
    log,
    setLogLevel: (level) => {
      log.level = level;
      started.setLogLevel(level);
    },
    // SIGTERM/SIGINT: the cluster moves or stops what runs here first (executor-host.ts), then hacrmd leaves.
    stop: () =>
      void execHost
        .leave()
        .then((how) => log.info({ event: "left_cluster", how }))
        .then(() => stop())
        .then(() => process.exit(0)),
  });
  log.info({ event: "hacrmd_started", node: nodeName, socket: opts.socket, config: opts.config });
  return { stop };
}

interface Ctx {
  membership: MembershipHandle;
  cib: CibHost;
  cfg: ClusterConfig;
  log: Logger;
}

async function answer(req: Request, ctx: Ctx): Promise<unknown> {
  const { membership, log } = ctx;
  if (req.cmd === "status") return { ok: true, status: await membership.status() };
  if (req.cmd === "cib-query") return { ok: true, ...ctx.cib.query() };
  if (req.cmd === "cluster-status")
    return { ok: true, status: clusterStatus(ctx.cfg, ctx.cib, await membership.status()) };
  if (req.cmd === "cib-write") {
    const w = checkWrite(req["write"]);
    if (typeof w === "string") return socketError("REQUEST_INVALID", `cib-write: ${w}`);
    return { ok: true, result: await ctx.cib.submit(w) };
  }
  if (req.cmd === "debug-block" && process.env["HACRM_TEST_HOOKS"] === "1") {
    // Test hook: keep the main thread busy to show heartbeats do not depend on it.
    const ms = Math.min(60_000, Number(req["ms"]) || 0);
    log.warn({ event: "main_thread_blocked", ms });
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy
    }
    return { ok: true, blockedMs: ms };
  }
  return socketError("UNKNOWN_COMMAND", `unknown command ${JSON.stringify(req.cmd).slice(0, 80)}`);
}
