/**
 * Helpers for the hacrmd end-to-end tests: write a config, start and kill
 * real hacrmd processes (optionally inside network namespaces the test
 * creates), ask them for status over their local sockets.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MembershipStatus } from "@hacrm/membership";

export const repoRoot = resolve(new URL(".", import.meta.url).pathname, "..");
export const hacrmdCli = join(repoRoot, "packages/controller/dist/hacrmd-cli.js");
export const hacrmCli = join(repoRoot, "packages/shell/dist/cli.js");

export function buildOnce(): void {
  execFileSync("npx", ["tsc", "-b", "packages/controller", "packages/shell"], {
    cwd: repoRoot,
    stdio: "pipe",
  });
}

export interface NodeDef {
  name: string;
  nodeid: number;
  addrs: string[];
}

export function writeConfig(
  file: string,
  o: { nodes: NodeDef[]; port: number; tokenMs: number; keyFile: string; cipher?: string; quorum?: string },
): void {
  const nodes = o.nodes
    .map(
      (n) =>
        `  node {\n${n.addrs.map((a, i) => `    ring${i}_addr: ${a}\n`).join("")}    name: ${n.name}\n    nodeid: ${n.nodeid}\n  }`,
    )
    .join("\n");
  const links = (o.nodes[0]?.addrs ?? [])
    .map((_, i) => `  interface {\n    linknumber: ${i}\n    mcastport: ${o.port + i}\n  }`)
    .join("\n");
  writeFileSync(
    file,
    `totem {\n  version: 2\n  cluster_name: e2e\n  transport: knet\n  token: ${o.tokenMs}\n  keyfile: ${o.keyFile}\n  crypto_cipher: ${o.cipher ?? "aes256"}\n  crypto_hash: sha256\n${links}\n}\nnodelist {\n${nodes}\n}\nquorum {\n  provider: corosync_votequorum\n${o.quorum ?? ""}}\nlogging {\n  to_stderr: yes\n}\n`,
  );
}

export interface Daemon {
  name: string;
  socket: string;
  log: string;
  proc: ChildProcess | null;
}

export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), "hacrm-e2e-"));
  readonly daemons = new Map<string, Daemon>();
  readonly netns: string[] = [];
  readonly config = join(this.dir, "hacrm.conf");
  readonly keyFile = join(this.dir, "authkey");

  makeKey(): void {
    execFileSync(process.execPath, [hacrmCli, "keygen", "--file", this.keyFile], { stdio: "pipe" });
  }

  /** Start node `name`; with autoNode, hacrmd must find its entry from the local addresses. */
  start(
    name: string,
    opts: { netns?: string; env?: Record<string, string>; autoNode?: boolean; stateDir?: string } = {},
  ): Daemon {
    const socket = join(this.dir, `${name}.sock`);
    const log = join(this.dir, `${name}.log`);
    const nodeArg = opts.autoNode ? [] : ["--node", name];
    const args = [
      hacrmdCli,
      "--config",
      this.config,
      ...nodeArg,
      "--state-dir",
      opts.stateDir ?? join(this.dir, `state-${name}`),
      "--socket",
      socket,
    ];
    const out = openSync(log, "a");
    const [cmd, argv] = opts.netns
      ? ["ip", ["netns", "exec", opts.netns, process.execPath, ...args]]
      : [process.execPath, args];
    const proc = spawn(cmd as string, argv as string[], {
      stdio: ["ignore", out, out],
      env: { ...process.env, ...opts.env },
    });
    const d = { name, socket, log, proc };
    this.daemons.set(name, d);
    return d;
  }

  kill9(name: string): number {
    const d = this.daemons.get(name);
    const t = Date.now();
    d?.proc?.kill("SIGKILL");
    if (d) d.proc = null;
    return t;
  }

  async stopAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const d of this.daemons.values()) {
      const p = d.proc;
      // A daemon killed by a signal has a null exitCode and its signalCode set: it is gone too
      // (waiting for its exit again would wait forever).
      if (!p || p.exitCode !== null || p.signalCode !== null) continue;
      waits.push(new Promise((res) => p.once("exit", () => res())));
      p.kill("SIGTERM");
      setTimeout(() => p.kill("SIGKILL"), 3000).unref();
    }
    await Promise.all(waits);
  }

  addNetns(name: string): void {
    execFileSync("ip", ["netns", "add", name]);
    this.netns.push(name);
  }

  async cleanup(keepDir = false): Promise<void> {
    await this.stopAll();
    for (const ns of this.netns.reverse()) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "pipe" });
      } catch {
        // already gone
      }
    }
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  logText(name: string): string {
    return readFileSync(this.daemons.get(name)?.log ?? "", "utf8");
  }
}

export function request(
  socket: string,
  req: object,
  timeoutMs = 5000,
): Promise<{ ok: boolean; status?: MembershipStatus; error?: string }> {
  return new Promise((resolvePromise, reject) => {
    const conn = connect(socket);
    let buf = "";
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from ${socket}`));
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(`${JSON.stringify(req)}\n`));
    conn.on("data", (d: string) => (buf += d));
    conn.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    conn.on("end", () => {
      clearTimeout(timer);
      try {
        resolvePromise(JSON.parse(buf));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export async function status(socket: string): Promise<MembershipStatus> {
  const r = await request(socket, { cmd: "status" });
  if (!r.ok || !r.status) throw new Error(r.error ?? "no status");
  return r.status;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` returns a value (not undefined) or time runs out. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/**
 * Key and config of the loopback clusters that hostile tests attack: the
 * named nodes on 127.0.0.1, .2, ... and one more node, configured and never
 * started, at the next address (datagrams claiming to be it come from
 * elsewhere; tests bind its address to send from it).
 */
export function writeLoopbackConfig(h: Harness, names: string[], port: number): string {
  const spare = `h${names.length + 1}`;
  h.makeKey();
  writeConfig(h.config, {
    nodes: [...names, spare].map((n, i) => ({ name: n, nodeid: i + 1, addrs: [`127.0.0.${i + 1}`] })),
    port,
    tokenMs: 1000,
    keyFile: h.keyFile,
    cipher: "none",
  });
  return spare;
}

/** All named daemons report one view with exactly `members`. */
export async function agreedView(
  h: Harness,
  names: string[],
  members: string[],
): Promise<MembershipStatus[] | undefined> {
  const all = await Promise.all(names.map((n) => status(h.daemons.get(n)?.socket ?? "")));
  const ids = new Set(all.map((s) => s.view?.id));
  const ok = ids.size === 1 && all.every((s) => s.view?.members.join() === members.join());
  return ok ? all : undefined;
}

/**
 * `count` network namespaces on one bridge (veth pairs into a hub namespace
 * the test creates; traffic never leaves them), node i at `addr(i)`, and
 * iptables cuts between groups of nodes inside their own namespaces.
 */
export class NetnsBridge {
  readonly hub: string;
  constructor(
    private readonly h: Harness,
    readonly tag: string,
    readonly count: number,
    readonly addr: (i: number) => string,
  ) {
    this.hub = `${tag}-hub`;
  }

  ns(i: number): string {
    return `${this.tag}-${i}`;
  }

  build(): void {
    const sh = (args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: "pipe" });
    this.h.addNetns(this.hub);
    sh(["ip", "-n", this.hub, "link", "add", "br0", "type", "bridge"]);
    sh(["ip", "-n", this.hub, "link", "set", "br0", "up"]);
    for (let i = 1; i <= this.count; i++) {
      const ns = this.ns(i);
      this.h.addNetns(ns);
      sh(["ip", "-n", this.hub, "link", "add", `v${i}`, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      sh(["ip", "-n", this.hub, "link", "set", `v${i}`, "master", "br0", "up"]);
      sh(["ip", "-n", ns, "addr", "add", `${this.addr(i)}/24`, "dev", "eth0"]);
      sh(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
  }

  /** Drop everything between the two groups (node numbers), inside each node's namespace. */
  cut(a: number[], b: number[]): void {
    for (const [mine, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const i of mine)
        for (const j of other) {
          const ipt = ["ip", "netns", "exec", this.ns(i), "iptables"];
          execFileSync("ip", [...ipt.slice(1), "-A", "INPUT", "-s", this.addr(j), "-j", "DROP"]);
          execFileSync("ip", [...ipt.slice(1), "-A", "OUTPUT", "-d", this.addr(j), "-j", "DROP"]);
        }
    }
  }

  heal(): void {
    for (let i = 1; i <= this.count; i++) execFileSync("ip", ["netns", "exec", this.ns(i), "iptables", "-F"]);
  }

  /** Add (-A) or remove (-D) a random drop of `rate` of each node's inbound UDP (`iptables -m statistic`). */
  inboundLoss(op: "-A" | "-D", rate: number): void {
    for (let i = 1; i <= this.count; i++) {
      const rule = ["INPUT", "-i", "eth0", "-p", "udp", "-m", "statistic", "--mode", "random"];
      execFileSync("ip", [
        "netns",
        "exec",
        this.ns(i),
        "iptables",
        op,
        ...rule,
        "--probability",
        String(rate),
        "-j",
        "DROP",
      ]);
    }
  }
}

/** Like agreedView, and every one of them also reports the quorum state `quorate` (it follows the view by a heartbeat exchange). */
export async function agreedViewWithQuorum(
  h: Harness,
  names: string[],
  members: string[],
  quorate: boolean,
): Promise<MembershipStatus[] | undefined> {
  const all = await agreedView(h, names, members);
  return all?.every((s) => s.quorum.quorate === quorate) ? all : undefined;
}

/** Run `hacrm ARGS` in this process against the hacrmd at `socket` (no CIB_file: live mode). */
export async function hacrmLive(
  socket: string,
  args: string[],
  stdin = "",
  env: Record<string, string> = {},
): Promise<{ status: number; out: string; err: string }> {
  const { hacrmIn } = await import("./hacrm-cli-lib.js");
  const base: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "", OCF_ROOT: "/usr/lib/ocf" };
  const r = await hacrmIn(args, { stdin, env: { ...base, HACRM_SOCKET: socket, ...env }, cwd: repoRoot });
  return { status: r.code, out: r.out, err: r.err };
}
