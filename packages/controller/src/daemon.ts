/**
 * hacrmd's main thread: read the config and key, pick this node's nodelist
 * entry, start the membership worker, and serve state on the local socket
 * (one JSON request line in, one JSON reply line out).
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
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

export const defaultKeyFile = "/etc/hacrm/authkey";
/** Largest request line accepted on the local socket, in bytes. */
const requestBytesMax = 64 * 1024;

export function loadConfig(path: string, log: Logger): ClusterConfig {
  const cfg = parseClusterConfig(readFileSync(path, "utf8"), path);
  for (const w of cfg.warnings) log.warn({ event: "config_warning", where: w.where, message: w.message });
  return cfg;
}

/** --node NAME, else the nodelist entry one of whose addresses is on this host. */
/**
 * The config's `executor { }` section (agent paths, limits), read and checked
 * at start so a bad value stops hacrmd before it joins the cluster rather than
 * when the first resource runs.
 */
export function loadExecutorSettings(path: string): ExecutorSettings {
  return executorSettingsFromConf(parseConfTree(readFileSync(path, "utf8"), path), path);
}

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

export async function runDaemon(opts: HacrmdOptions): Promise<{ stop: () => Promise<void> }> {
  const log = createLogger({ component: "hacrmd", pretty: opts.pretty });
  const cfg = loadConfig(opts.config, log);
  const executor = loadExecutorSettings(opts.config);
  log.info({ event: "executor_settings", ...executor });
  const nodeName = pickNode(cfg, opts.node);
  const key = readKey(cfg);
  mkdirSync(opts.stateDir, { recursive: true });
  let stopping = false;
  const membership = await startMembershipWorker(
    {
      config: cfg,
      nodeName,
      stateDir: opts.stateDir,
      key,
      pretty: opts.pretty,
      logLevel: cfg.logging.debug ? "debug" : undefined,
    },
    {
      onEvent: () => undefined,
      onExit: (err) => {
        if (stopping) return;
        log.fatal({ event: "membership_worker_died", err: err?.message });
        process.exit(1);
      },
    },
  );
  const server = await serveSocket(opts.socket, membership, log);
  log.info({ event: "hacrmd_started", node: nodeName, socket: opts.socket, config: opts.config });
  return {
    stop: async () => {
      stopping = true;
      server.close();
      await membership.stop();
      try {
        unlinkSync(opts.socket);
      } catch {
        // already gone
      }
      log.info({ event: "hacrmd_stopped", node: nodeName });
    },
  };
}

async function serveSocket(path: string, membership: MembershipHandle, log: Logger): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((conn) => handleConn(conn, membership, log));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  return server;
}

function handleConn(conn: Socket, membership: MembershipHandle, log: Logger): void {
  let buf = "";
  conn.setEncoding("utf8");
  conn.on("error", () => conn.destroy());
  conn.on("data", (chunk: string) => {
    buf += chunk;
    if (buf.length > requestBytesMax) return conn.destroy();
    const nl = buf.indexOf("\n");
    if (nl < 0) return;
    const line = buf.slice(0, nl);
    buf = "";
    void answer(line, membership, log).then((reply) => conn.end(`${JSON.stringify(reply)}\n`));
  });
}

async function answer(line: string, membership: MembershipHandle, log: Logger): Promise<unknown> {
  let req: { cmd?: unknown; ms?: unknown };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    return { ok: false, error: "request is not JSON" };
  }
  if (req.cmd === "status") return { ok: true, status: await membership.status() };
  if (req.cmd === "debug-block" && process.env["HACRM_TEST_HOOKS"] === "1") {
    // Test hook: keep the main thread busy to show heartbeats do not depend on it.
    const ms = Math.min(60_000, Number(req.ms) || 0);
    log.warn({ event: "main_thread_blocked", ms });
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy
    }
    return { ok: true, blockedMs: ms };
  }
  return { ok: false, error: `unknown command ${String(req.cmd)}` };
}
