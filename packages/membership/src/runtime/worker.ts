/**
 * The membership worker thread: owns the UDP sockets (one per link), the
 * MembershipNode and its one timer, so a busy main thread can never delay a
 * heartbeat. Talks to the main thread by messages: events out (view, quorum,
 * deliveries), status requests in.
 */
import { createSocket, type Socket } from "node:dgram";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { ClusterConfig, Logger } from "@hacrm/common";
import { createLogger } from "@hacrm/common/logger";
import { MembershipNode, type NodeOutput } from "../node.js";
import type { MembershipEvent, Persisted } from "../core/types.js";
import type { DropReason } from "../wire/codec.js";
import { stateFileProblem } from "../wire/sanity.js";

export interface WorkerInit {
  config: ClusterConfig;
  nodeName: string;
  stateDir: string;
  key: Uint8Array;
  pretty: boolean;
  logLevel: string | undefined;
}

export type WorkerRequest =
  | { type: "status"; id: number }
  | { type: "send"; to: number[]; body: Uint8Array }
  | { type: "log-level"; level: string }
  | { type: "stop" };
export type WorkerReply =
  | { type: "ready"; incarnation: number }
  | { type: "status"; id: number; status: MembershipStatus }
  | { type: "event"; event: MembershipEvent; wallMs: number };

export interface LinkStatus {
  link: number;
  addr: string;
  up: boolean;
  lastHeardAgoMs: number | null;
}
export interface PeerStatus {
  name: string;
  nodeid: number;
  member: boolean;
  heard: boolean;
  incarnation: number;
  lastHeardAgoMs: number | null;
  links: LinkStatus[];
}
export interface MembershipStatus {
  node: string;
  nodeid: number;
  cluster: string;
  incarnation: number;
  tokenMs: number;
  consensusMs: number;
  view: { id: string; members: string[]; memberIds: number[]; installedAtWallMs: number } | null;
  quorum: {
    quorate: boolean;
    votes: number;
    expected: number;
    quorum: number;
    flags: string[];
    waitForAllPending: boolean;
    provider: string;
  };
  votes: Record<string, number>;
  peers: PeerStatus[];
  /** Whether the state file is up to date; false while the disk refuses writes (full, read-only). */
  persistence: { ok: boolean; file: string; error?: string };
  datagrams: {
    received: number;
    sent: number;
    dropped: Partial<Record<DropReason | "link_duplicate", number>>;
  };
}

/** Summaries of dropped datagrams are logged at most this often. */
const dropLogIntervalMs = 10_000;
const monoNow = () => performance.now();

interface StateFile extends Partial<Persisted> {
  incarnation?: number;
}

/** Receive buffer asked for each link's socket, in bytes. */
const recvBufferBytes = 4 * 1024 * 1024;
/** How often a write that failed (disk full) is retried. */
const persistRetryMs = 1000;

/**
 * A missing file is a first start. A file that cannot be read, is not JSON,
 * or holds values past their bounds is refused with its name: the node does
 * not start (it would otherwise adopt, and spread, an absurd ring seq).
 */
function loadState(file: string, log: Logger): StateFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    return refuseState(file, (e as Error).message, log);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return refuseState(file, `not JSON (${(e as Error).message})`, log);
  }
  const problem = stateFileProblem(v);
  return problem ? refuseState(file, problem, log) : (v as StateFile);
}

function refuseState(file: string, problem: string, log: Logger): never {
  const hint = "check the file; if it is damaged, move it away (the node then starts as new)";
  log.fatal({ event: "state_file_rejected", file, problem, hint });
  throw new Error(`membership state file ${file} rejected: ${problem} (${hint})`);
}

/** Durable replace: write a temp file, fsync it, rename it over, fsync the directory. Throws on any failure. */
function saveState(dir: string, st: StateFile): void {
  const tmp = join(dir, `membership.json.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(st));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, "membership.json"));
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

class MembershipWorker {
  private readonly log: Logger;
  private readonly node: MembershipNode;
  private readonly sockets: Socket[] = [];
  private readonly selfId: number;
  private readonly byId = new Map<number, ClusterConfig["nodes"][number]>();
  private readonly linkHeard = new Map<string, number>();
  private readonly recentAccepted = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private wakeAtMs = Infinity;
  private state: StateFile;
  private dropsSinceLog = new Map<string, number>();
  private lastDropLogMs = -Infinity;
  private readonly linkDuplicates = { count: 0 };
  private installedAtWallMs = 0;
  private readonly stateFile: string;
  /** The lms configuration last written durably (a change to it must not go unwritten). */
  private savedLms: string | undefined;
  private persistError: string | undefined;
  private persistRetry: NodeJS.Timeout | null = null;

  constructor(private readonly init: WorkerInit) {
    const cfg = init.config;
    this.log = createLogger({
      component: "membership",
      pretty: init.pretty,
      ...(init.logLevel ? { level: init.logLevel } : {}),
    });
    for (const n of cfg.nodes) this.byId.set(n.nodeid, n);
    const self = cfg.nodes.find((n) => n.name === init.nodeName);
    if (!self) throw new Error(`node ${init.nodeName} is not in the nodelist`);
    this.selfId = self.nodeid;
    mkdirSync(init.stateDir, { recursive: true, mode: 0o750 });
    this.stateFile = join(init.stateDir, "membership.json");
    this.state = loadState(this.stateFile, this.log);
    const incarnation = Math.min(
      0xffffffff,
      Math.max((this.state.incarnation ?? 0) + 1, Math.floor(Date.now() / 1000)),
    );
    this.state.incarnation = incarnation;
    this.persist(null);
    const persisted =
      this.state.ringSeq !== undefined && this.state.lms
        ? { ringSeq: this.state.ringSeq, lms: this.state.lms }
        : null;
    this.node = new MembershipNode(
      {
        core: {
          selfId: this.selfId,
          nodes: cfg.nodes.map((n) => ({ id: n.nodeid, votes: n.votes })),
          tokenMs: cfg.tokenMs,
          consensusMs: cfg.consensusMs,
          quorum: cfg.quorum,
        },
        codec: {
          clusterName: cfg.clusterName,
          key: init.key,
          cipher: cfg.cryptoCipher,
          hash: cfg.cryptoHash,
        },
        incarnation,
        persisted,
      },
      monoNow(),
    );
  }

  async start(): Promise<void> {
    const self = this.byId.get(this.selfId);
    const addrs = self?.addrs ?? [];
    for (let link = 0; link < addrs.length; link++) {
      const addr = addrs[link] as string;
      // A deep receive queue (the kernel caps it at net.core.rmem_max) lets
      // members' heartbeats survive a burst of junk while this thread is busy.
      const sock = createSocket({
        type: addr.includes(":") ? "udp6" : "udp4",
        recvBufferSize: recvBufferBytes,
      });
      sock.on("message", (msg, rinfo) => this.onDatagram(msg, link, rinfo.address));
      sock.on("error", (err) => this.log.error({ event: "link_error", link, addr, err: err.message }));
      await new Promise<void>((resolve, reject) => {
        sock.once("error", reject);
        sock.bind(this.init.config.linkPorts[link] ?? 5405, addr, () => resolve());
      });
      this.sockets.push(sock);
      this.log.info({ event: "link_bound", link, addr, port: this.init.config.linkPorts[link] });
    }
    this.apply(this.node.tick(monoNow()));
    this.log.info({
      event: "membership_started",
      node: this.init.nodeName,
      nodeid: this.selfId,
      incarnation: this.node.state.inc,
      tokenMs: this.init.config.tokenMs,
    });
  }

  setLogLevel(level: string): void {
    this.log.level = level;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.persistRetry) clearTimeout(this.persistRetry);
    for (const s of this.sockets) s.close();
  }

  private onDatagram(bytes: Buffer, link: number, fromAddr: string): void {
    if (this.wrongSource(bytes, link, fromAddr)) {
      this.node.drops.set("wrong_source", (this.node.drops.get("wrong_source") ?? 0) + 1);
      this.noteDrop("wrong_source", fromAddr, link, bytes);
      return;
    }
    const before = this.node.received;
    const out = this.node.receive(bytes, monoNow());
    if (out.dropped) {
      this.noteDrop(out.dropped, fromAddr, link, bytes);
      return;
    }
    if (this.node.received > before) {
      const from = bytes.readUInt32BE(4);
      this.linkHeard.set(`${from}:${link}`, monoNow());
      this.rememberAccepted(bytes, link);
    }
    this.apply(out);
  }

  /**
   * The cheapest check, before any parsing or cryptography: a datagram that
   * names a nodelist node as sender must come from that node's address on
   * this link. A flood from elsewhere costs a lookup per datagram, and the
   * members' heartbeats keep their place in the socket's queue.
   */
  private wrongSource(bytes: Buffer, link: number, fromAddr: string): boolean {
    if (bytes.length < 8) return false;
    const addr = this.byId.get(bytes.readUInt32BE(4))?.addrs[link];
    return addr !== undefined && isIP(addr) !== 0 && addr !== fromAddr;
  }

  /** The same datagram arriving on a second link is a duplicate, not an attack. */
  private rememberAccepted(bytes: Buffer, link: number): void {
    if (this.recentAccepted.size > 8192) this.recentAccepted.clear();
    this.recentAccepted.set(bytes.subarray(4, 16).toString("hex"), link);
  }

  private noteDrop(reason: DropReason, fromAddr: string, link: number, bytes: Buffer): void {
    let key: string = reason;
    if (reason === "replayed" && bytes.length >= 16) {
      const prevLink = this.recentAccepted.get(bytes.subarray(4, 16).toString("hex"));
      if (prevLink !== undefined && prevLink !== link) {
        key = "link_duplicate";
        this.linkDuplicates.count++;
        this.node.drops.set("replayed", (this.node.drops.get("replayed") ?? 1) - 1);
        const from = bytes.readUInt32BE(4);
        this.linkHeard.set(`${from}:${link}`, monoNow());
        return;
      }
    }
    const first = !this.dropsSinceLog.has(key) && this.lastDropLogMs === -Infinity;
    this.dropsSinceLog.set(key, (this.dropsSinceLog.get(key) ?? 0) + 1);
    const now = monoNow();
    if (first || now - this.lastDropLogMs >= dropLogIntervalMs) {
      this.log.warn({
        event: "datagrams_dropped",
        counts: Object.fromEntries(this.dropsSinceLog),
        lastReason: reason,
        lastFrom: fromAddr,
        link,
        windowMs: dropLogIntervalMs,
      });
      this.dropsSinceLog.clear();
      this.lastDropLogMs = now;
    }
  }

  send(to: number[], body: Uint8Array): void {
    const out = this.node.send(to, body, monoNow());
    if (out.refused) this.log.warn({ event: "send_refused", reason: out.refused });
    this.apply(out);
  }

  /**
   * Persist before sending: a heartbeat may tell peers that this node holds a
   * quorum configuration, and they may commit it on that word; the
   * configuration must survive a crash right after (the simulator crashes
   * nodes between these effects).
   */
  private apply(out: NodeOutput): void {
    if (out.persist) this.persist(out.persist);
    for (const d of out.datagrams) this.transmit(d.to, d.bytes);
    for (const e of out.events) this.onEvent(e);
    this.schedule(out.wakeAtMs);
  }

  /**
   * Write the state file. When the disk refuses (full, read-only) the node
   * keeps its membership in memory, logs the file and the error loudly,
   * retries every persistRetryMs and says so when it succeeds again. Only a
   * last_man_standing configuration change cannot wait: peers may rely on
   * this node holding it, so failing to write it ends the worker.
   */
  private persist(p: Persisted | null): void {
    if (p) this.state = { ...this.state, ringSeq: p.ringSeq, lms: p.lms };
    const lms = JSON.stringify(this.state.lms);
    try {
      saveState(this.init.stateDir, this.state);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const error = `${err.code ?? "error"}: ${err.message}`;
      const lmsUnsaved = this.state.lms !== undefined && lms !== this.savedLms;
      if (lmsUnsaved && this.savedLms !== undefined) {
        this.log.fatal({
          event: "state_persist_failed",
          file: this.stateFile,
          error,
          fatal: "quorum configuration",
        });
        throw new Error(`cannot write the quorum configuration to ${this.stateFile}: ${error}`, { cause: e });
      }
      if (this.persistError === undefined) {
        this.log.error({
          event: "state_persist_failed",
          file: this.stateFile,
          error,
          hint: "membership continues in memory; free space there, it is written again by itself",
        });
      }
      this.persistError = error;
      this.persistRetry ??= setTimeout(() => {
        this.persistRetry = null;
        this.persist(null);
      }, persistRetryMs);
      return;
    }
    this.savedLms = lms;
    if (this.persistError !== undefined) {
      this.log.warn({ event: "state_persist_recovered", file: this.stateFile, after: this.persistError });
      this.persistError = undefined;
    }
  }

  private transmit(to: number, bytes: Uint8Array): void {
    const peer = this.byId.get(to);
    if (!peer) return;
    for (let link = 0; link < this.sockets.length; link++) {
      const addr = peer.addrs[link];
      if (addr === undefined) continue;
      (this.sockets[link] as Socket).send(bytes, this.init.config.linkPorts[link] ?? 5405, addr);
    }
  }

  private onEvent(e: MembershipEvent): void {
    const wallMs = Date.now();
    const names = (ids: number[]) => ids.map((id) => this.byId.get(id)?.name ?? String(id));
    if (e.type === "view") {
      this.installedAtWallMs = wallMs;
      this.log.info({
        event: "view_changed",
        viewId: e.view.id,
        members: names(e.view.members),
        joined: names(e.joined),
        left: names(e.left),
      });
    } else if (e.type === "quorum") {
      this.log.info({
        event: "quorum_changed",
        viewId: e.viewId,
        quorate: e.status.quorate,
        votes: e.status.votes,
        expected: e.status.expected,
        quorum: e.status.quorum,
      });
    }
    parentPort?.postMessage({ type: "event", event: e, wallMs } satisfies WorkerReply);
  }

  private schedule(atMs: number): void {
    if (atMs === Infinity || (this.timer && atMs >= this.wakeAtMs)) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAtMs = atMs;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.wakeAtMs = Infinity;
        this.apply(this.node.tick(monoNow()));
      },
      Math.max(0, atMs - monoNow()),
    );
  }

  status(): MembershipStatus {
    const now = monoNow();
    const snap = this.node.snapshot(now);
    const cfg = this.init.config;
    const name = (id: number) => this.byId.get(id)?.name ?? String(id);
    const members = new Set(snap.view?.members ?? []);
    const q = snap.quorum;
    return {
      node: this.init.nodeName,
      nodeid: this.selfId,
      cluster: cfg.clusterName,
      incarnation: snap.incarnation,
      tokenMs: cfg.tokenMs,
      consensusMs: cfg.consensusMs,
      view: snap.view
        ? {
            id: snap.view.id,
            members: snap.view.members.map(name),
            memberIds: snap.view.members,
            installedAtWallMs: this.installedAtWallMs,
          }
        : null,
      quorum: {
        quorate: q?.quorate ?? false,
        votes: q?.votes ?? 0,
        expected: q?.expected ?? 0,
        quorum: q?.quorum ?? 0,
        flags: q?.flags ?? [],
        waitForAllPending: q?.waitForAllPending ?? false,
        provider: cfg.quorum.provider,
      },
      votes: Object.fromEntries(cfg.nodes.map((n) => [n.name, n.votes])),
      peers: snap.peers.map((p) => ({
        name: name(p.id),
        nodeid: p.id,
        member: members.has(p.id),
        heard: p.heard,
        incarnation: p.incarnation,
        lastHeardAgoMs: p.lastHeardAgoMs === null ? null : Math.round(p.lastHeardAgoMs),
        links: (this.byId.get(p.id)?.addrs ?? []).map((addr, link) => {
          const t = this.linkHeard.get(`${p.id}:${link}`);
          const ago = t === undefined ? null : Math.round(now - t);
          return { link, addr, up: ago !== null && ago < cfg.tokenMs, lastHeardAgoMs: ago };
        }),
      })),
      persistence: {
        ok: this.persistError === undefined,
        file: this.stateFile,
        ...(this.persistError !== undefined ? { error: this.persistError } : {}),
      },
      datagrams: {
        received: snap.received,
        sent: snap.sent,
        dropped: {
          ...snap.dropped,
          ...(this.linkDuplicates.count ? { link_duplicate: this.linkDuplicates.count } : {}),
        },
      },
    };
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const w = new MembershipWorker(workerData as WorkerInit);
  port.on("message", (req: WorkerRequest) => {
    if (req.type === "status")
      port.postMessage({ type: "status", id: req.id, status: w.status() } satisfies WorkerReply);
    else if (req.type === "send") w.send(req.to, req.body);
    else if (req.type === "log-level") w.setLogLevel(req.level);
    else {
      w.stop();
      port.close();
    }
  });
  await w.start();
  port.postMessage({ type: "ready", incarnation: 0 } satisfies WorkerReply);
}

void main();
