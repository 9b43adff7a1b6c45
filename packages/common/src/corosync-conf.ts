/**
 * Parser for the corosync.conf syntax hacrm uses for its cluster config
 * (`totem {}`, `nodelist { node {} }`, `quorum {}`, `logging {}`). An existing
 * corosync.conf for a udpu or knet cluster is accepted as it is; a Corosync
 * 1.x/2.x multicast one (no nodelist) needs a nodelist, and the error says so: keys hacrm
 * does not use are kept and warned about with file:line; a value hacrm cannot
 * accept is a `HacrmError` (code CONFIG_INVALID) naming file, line and the
 * allowed values. Pure: the caller reads the file.
 */
import { HacrmError } from "./errors.js";

/** One `key: value` line or `name { ... }` section, with its line number. */
export interface ConfEntry {
  key: string;
  value: string;
  line: number;
}
export interface ConfSection {
  name: string;
  line: number;
  entries: ConfEntry[];
  sections: ConfSection[];
}

export interface ConfWarning {
  where: string;
  message: string;
}

export interface ClusterNode {
  name: string;
  nodeid: number;
  /** ring0_addr, ring1_addr, ... in link order (index = link number). */
  addrs: string[];
  votes: number;
}

export type CryptoCipher = "none" | "aes256";
export type CryptoHash = "sha256" | "sha384" | "sha512";

export interface ClusterConfig {
  source: string;
  clusterName: string;
  tokenMs: number;
  consensusMs: number;
  joinMs: number;
  cryptoCipher: CryptoCipher;
  cryptoHash: CryptoHash;
  transport: "udpu" | "knet" | "udp";
  keyFile: string | undefined;
  /** UDP port per link number; link 0 is ring0_addr. */
  linkPorts: number[];
  nodes: ClusterNode[];
  quorum: QuorumConfig;
  logging: { debug: boolean };
  warnings: ConfWarning[];
}

export interface QuorumConfig {
  provider: "corosync_votequorum" | "none";
  /** expected_votes; undefined = sum of the nodelist's votes. */
  expectedVotes: number | undefined;
  twoNode: boolean;
  waitForAll: boolean;
  lastManStanding: boolean;
  lastManStandingWindowMs: number;
  autoTieBreaker: boolean;
  /** auto_tie_breaker_node: whose side wins an exact half; a list is tried in order. Default lowest. */
  autoTieBreakerNode?: "lowest" | "highest" | number[];
}

/** Largest config file accepted, in bytes. */
export const configBytesMax = 1024 * 1024;
/** hacrm's default token timeout (Corosync's is 3000 ms). */
export const defaultTokenMs = 1000;
const defaultPort = 5405;

/** A value from the file as shown in an error: quoted, control bytes escaped, at most 80 characters. */
export function shownValue(v: string): string {
  const cut = v.length > 80 ? `${v.slice(0, 80)}...` : v;
  return `'${cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\']/g, (c) => (c === "'" ? "\\'" : c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`))}'`;
}

function confError(where: string, message: string, hint?: string): HacrmError {
  return new HacrmError({ code: "CONFIG_INVALID", where, message, ...(hint ? { hint } : {}) });
}

/** Tokenize and build the section tree. Syntax errors throw CONFIG_INVALID. */
export function parseConfTree(text: string, source: string): ConfSection {
  if (text.length > configBytesMax) {
    throw confError(source, `config is larger than ${configBytesMax} bytes`);
  }
  const root: ConfSection = { name: "", line: 0, entries: [], sections: [] };
  const stack: ConfSection[] = [root];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? "").replace(/^\s+|\s+$/g, "");
    if (raw === "" || raw.startsWith("#")) continue;
    const top = stack[stack.length - 1] as ConfSection;
    const open = /^([A-Za-z0-9_.-]+)\s*\{\s*(#.*)?$/.exec(raw);
    if (open) {
      const sec: ConfSection = { name: open[1] as string, line: lineNo, entries: [], sections: [] };
      top.sections.push(sec);
      stack.push(sec);
      continue;
    }
    if (/^\}\s*(#.*)?$/.test(raw)) {
      if (stack.length === 1) throw confError(`${source}:${lineNo}`, "'}' without an open section");
      stack.pop();
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(raw);
    if (!kv) {
      throw confError(
        `${source}:${lineNo}`,
        `cannot parse ${shownValue(raw)}`,
        "expected 'key: value', 'name {' or '}'",
      );
    }
    let value = (kv[2] as string).trim();
    if (/^".*"$/.test(value)) value = value.slice(1, -1);
    top.entries.push({ key: kv[1] as string, value, line: lineNo });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1] as ConfSection;
    throw confError(`${source}:${open.line}`, `section '${open.name}' is not closed`, "add the missing '}'");
  }
  return root;
}

type KeySpec =
  { kind: "int"; min: number; max: number } | { kind: "enum"; values: string[] } | { kind: "string" };
const int = (min: number, max: number): KeySpec => ({ kind: "int", min, max });
const oneOf = (...values: string[]): KeySpec => ({ kind: "enum", values });
const str: KeySpec = { kind: "string" };
const bool01 = oneOf("0", "1");

/** Keys hacrm reads; other corosync keys are accepted with a warning. */
const totemKeys: Record<string, KeySpec> = {
  version: oneOf("2"),
  cluster_name: str,
  token: int(10, 600_000),
  consensus: int(10, 1_200_000),
  join: int(1, 600_000),
  crypto_cipher: oneOf("none", "aes256", "aes192", "aes128"),
  crypto_hash: oneOf("none", "md5", "sha1", "sha256", "sha384", "sha512"),
  crypto_model: oneOf("nss", "openssl"),
  secauth: oneOf("on", "off"),
  transport: oneOf("udpu", "knet", "udp"),
  keyfile: str,
  ip_version: oneOf("ipv4", "ipv6", "ipv4-6", "ipv6-4"),
  link_mode: oneOf("passive", "active", "rr"),
};
/** Corosync keys hacrm accepts silently but does not use. */
const totemIgnored = new Set([
  "token_coefficient",
  "token_retransmits_before_loss_const",
  "send_join",
  "merge",
  "fail_recv_const",
  "seqno_unchanged_const",
  "heartbeat_failures_allowed",
  "max_network_delay",
  "window_size",
  "max_messages",
  "miss_count_const",
  "netmtu",
  "clear_node_high_bit",
  "knet_pmtud_interval",
  "knet_compression_model",
  "knet_compression_threshold",
  "knet_compression_level",
  "token_retransmit",
  "hold",
  "threads",
  "block_unlisted_ips",
  "cancel_token_hold_on_retransmit",
  "downcheck",
  "rrp_mode",
  "config_version",
]);
const interfaceKeys: Record<string, KeySpec> = {
  linknumber: int(0, 7),
  ringnumber: int(0, 7),
  mcastport: int(1, 65535),
};
const interfaceIgnored = new Set([
  "bindnetaddr",
  "mcastaddr",
  "ttl",
  "knet_link_priority",
  "knet_ping_interval",
  "knet_ping_timeout",
  "knet_ping_precision",
  "knet_pong_count",
  "knet_transport",
  "broadcast",
]);
const nodeKeys: Record<string, KeySpec> = {
  nodeid: int(1, 0x7fffffff),
  name: str,
  quorum_votes: int(0, 255),
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`ring${i}_addr`, str])),
};
const quorumKeys: Record<string, KeySpec> = {
  provider: oneOf("corosync_votequorum"),
  expected_votes: int(1, 65535),
  two_node: bool01,
  wait_for_all: bool01,
  last_man_standing: bool01,
  last_man_standing_window: int(1, 3_600_000),
  auto_tie_breaker: bool01,
  auto_tie_breaker_node: str,
};
const quorumIgnored = new Set(["allow_downscale", "expected_votes_tracking"]);
const loggingKeys: Record<string, KeySpec> = { debug: oneOf("on", "off", "trace") };
const loggingIgnored = new Set([
  "to_logfile",
  "to_syslog",
  "to_stderr",
  "logfile",
  "timestamp",
  "fileline",
  "function_name",
  "syslog_facility",
  "syslog_priority",
  "logfile_priority",
]);

function checkValue(spec: KeySpec, e: ConfEntry, source: string, section: string): void {
  const where = `${source}:${e.line}`;
  if (spec.kind === "int") {
    const n = Number(e.value);
    if (!/^-?\d+$/.test(e.value) || n < spec.min || n > spec.max) {
      throw confError(
        where,
        `${section}.${e.key} is ${shownValue(e.value)}`,
        `allowed: an integer from ${spec.min} to ${spec.max}`,
      );
    }
  } else if (spec.kind === "enum" && !spec.values.includes(e.value)) {
    throw confError(
      where,
      `${section}.${e.key} is ${shownValue(e.value)}`,
      `allowed values: ${spec.values.join(", ")}`,
    );
  }
}

/** Validate a section's entries; returns key -> entry. Unknown keys warn. */
function readSection(
  sec: ConfSection,
  path: string,
  known: Record<string, KeySpec>,
  ignored: Set<string>,
  source: string,
  warnings: ConfWarning[],
): Map<string, ConfEntry> {
  const out = new Map<string, ConfEntry>();
  for (const e of sec.entries) {
    const spec = known[e.key];
    if (spec) {
      checkValue(spec, e, source, path);
      out.set(e.key, e);
    } else if (!ignored.has(e.key)) {
      warnings.push({ where: `${source}:${e.line}`, message: `unknown key ${path}.${e.key} ignored` });
    }
  }
  return out;
}

const num = (m: Map<string, ConfEntry>, k: string): number | undefined => {
  const e = m.get(k);
  return e === undefined ? undefined : Number(e.value);
};
const flag = (m: Map<string, ConfEntry>, k: string): boolean | undefined => {
  const e = m.get(k);
  return e === undefined ? undefined : e.value === "1";
};

interface TotemResult {
  map: Map<string, ConfEntry>;
  linkPorts: number[];
}

function readTotem(sec: ConfSection | undefined, source: string, warnings: ConfWarning[]): TotemResult {
  if (!sec) return { map: new Map(), linkPorts: [defaultPort] };
  const map = readSection(sec, "totem", totemKeys, totemIgnored, source, warnings);
  const linkPorts: number[] = [];
  for (const sub of sec.sections) {
    if (sub.name !== "interface") {
      warnings.push({ where: `${source}:${sub.line}`, message: `unknown section totem.${sub.name} ignored` });
      continue;
    }
    const im = readSection(sub, "totem.interface", interfaceKeys, interfaceIgnored, source, warnings);
    const link = num(im, "linknumber") ?? num(im, "ringnumber") ?? 0;
    linkPorts[link] = num(im, "mcastport") ?? defaultPort;
  }
  for (let i = 0; i < linkPorts.length; i++) linkPorts[i] ??= defaultPort;
  if (linkPorts.length === 0) linkPorts.push(defaultPort);
  return { map, linkPorts };
}

/** The multicast setup of a Corosync 1.x/2.x totem.interface, when there is one (for the error). */
function multicastOf(
  totem: ConfSection | undefined,
): { bindnetaddr?: string; mcastaddr?: string } | undefined {
  for (const sub of totem?.sections ?? []) {
    if (sub.name !== "interface") continue;
    const get = (k: string): string | undefined => sub.entries.find((e) => e.key === k)?.value;
    const bindnetaddr = get("bindnetaddr");
    const mcastaddr = get("mcastaddr");
    if (bindnetaddr !== undefined || mcastaddr !== undefined)
      return { ...(bindnetaddr ? { bindnetaddr } : {}), ...(mcastaddr ? { mcastaddr } : {}) };
  }
  return undefined;
}

function readNodes(
  sec: ConfSection | undefined,
  source: string,
  warnings: ConfWarning[],
  totem?: ConfSection,
): ClusterNode[] {
  if (!sec) {
    const mc = multicastOf(totem);
    if (mc)
      // Corosync 1.x/2.x found its peers by multicast; hacrm sends to each node's address.
      throw confError(
        source,
        `no nodelist section: this is a multicast configuration (${[
          mc.bindnetaddr ? `bindnetaddr ${mc.bindnetaddr}` : "",
          mc.mcastaddr ? `mcastaddr ${mc.mcastaddr}` : "",
        ]
          .filter(Boolean)
          .join(", ")}), and hacrm does not discover nodes by multicast`,
        `add every node's address${mc.bindnetaddr ? ` on ${mc.bindnetaddr}` : ""}: nodelist { node { ring0_addr: ADDR  nodeid: 1  name: NODE1 } node { ... } } (bindnetaddr and mcastaddr can stay: they are ignored)`,
      );
    throw confError(
      source,
      "no nodelist section",
      "list every node: nodelist { node { ring0_addr: ADDR  nodeid: N  name: NAME } }",
    );
  }
  const nodes: ClusterNode[] = [];
  readSection(sec, "nodelist", {}, new Set(), source, warnings);
  for (const sub of sec.sections) {
    if (sub.name !== "node") {
      warnings.push({
        where: `${source}:${sub.line}`,
        message: `unknown section nodelist.${sub.name} ignored`,
      });
      continue;
    }
    const m = readSection(sub, "nodelist.node", nodeKeys, new Set(), source, warnings);
    const where = `${source}:${sub.line}`;
    const addrs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const a = m.get(`ring${i}_addr`);
      if (a) addrs[i] = a.value;
    }
    if (addrs[0] === undefined) throw confError(where, "node has no ring0_addr", "add ring0_addr: ADDRESS");
    if (addrs.some((a) => a === undefined))
      throw confError(where, "ringN_addr numbers must be contiguous from 0");
    const nodeid = num(m, "nodeid");
    if (nodeid === undefined)
      throw confError(where, "node has no nodeid", "add nodeid: N (1 or more, unique)");
    nodes.push({
      name: m.get("name")?.value ?? (addrs[0] as string),
      nodeid,
      addrs,
      votes: num(m, "quorum_votes") ?? 1,
    });
  }
  checkNodes(nodes, source);
  return nodes;
}

function checkNodes(nodes: ClusterNode[], source: string): void {
  if (nodes.length === 0) throw confError(source, "nodelist has no node", "add node { ... } entries");
  const seenId = new Set<number>();
  const seenName = new Set<string>();
  for (const n of nodes) {
    if (seenId.has(n.nodeid))
      throw confError(source, `nodeid ${n.nodeid} is used twice`, "node ids must be unique");
    if (seenName.has(n.name))
      throw confError(source, `node name ${n.name} is used twice`, "node names must be unique");
    seenId.add(n.nodeid);
    seenName.add(n.name);
  }
  const owner = new Map<string, string>();
  for (const n of nodes) {
    for (const a of n.addrs) {
      const other = owner.get(a);
      if (other !== undefined && other !== n.name) {
        throw confError(
          source,
          `nodes ${other} and ${n.name} have the same address ${a}`,
          "each node needs its own ringN_addr",
        );
      }
      owner.set(a, n.name);
    }
  }
  const links = nodes[0]?.addrs.length ?? 0;
  if (nodes.some((n) => n.addrs.length !== links)) {
    throw confError(
      source,
      "nodes have different numbers of links",
      "every node needs the same ringN_addr keys",
    );
  }
}

function readQuorum(
  sec: ConfSection | undefined,
  tokenMs: number,
  source: string,
  warnings: ConfWarning[],
): QuorumConfig {
  const m = sec
    ? readSection(sec, "quorum", quorumKeys, quorumIgnored, source, warnings)
    : new Map<string, ConfEntry>();
  for (const sub of sec?.sections ?? []) {
    warnings.push({
      where: `${source}:${sub.line}`,
      message: `quorum.${sub.name} is not supported by hacrm; ignored`,
    });
  }
  const twoNode = flag(m, "two_node") ?? false;
  return {
    provider: m.has("provider") ? "corosync_votequorum" : "none",
    expectedVotes: num(m, "expected_votes"),
    twoNode,
    waitForAll: flag(m, "wait_for_all") ?? twoNode,
    lastManStanding: flag(m, "last_man_standing") ?? false,
    lastManStandingWindowMs: num(m, "last_man_standing_window") ?? Math.max(10_000, 2 * tokenMs),
    autoTieBreaker: flag(m, "auto_tie_breaker") ?? false,
    autoTieBreakerNode: tieBreakerNode(m.get("auto_tie_breaker_node"), source),
  };
}

function tieBreakerNode(e: ConfEntry | undefined, source: string): "lowest" | "highest" | number[] {
  if (e === undefined) return "lowest";
  if (e.value === "lowest" || e.value === "highest") return e.value;
  const ids = e.value.split(/\s+/);
  if (ids.every((id) => /^[1-9][0-9]*$/.test(id))) return ids.map(Number);
  throw confError(
    `${source}:${e.line}`,
    `quorum.auto_tie_breaker_node '${e.value}' is not valid`,
    "allowed: lowest, highest, or node ids separated by spaces",
  );
}

const hashOf = (v: string | undefined, source: string, warnings: ConfWarning[], line: number): CryptoHash => {
  if (v === "sha384" || v === "sha512") return v;
  if (v !== undefined && v !== "sha256") {
    warnings.push({
      where: `${source}:${line}`,
      message: `crypto_hash ${v} is below hacrm's minimum; using sha256`,
    });
  }
  return "sha256";
};

/** Parse and validate a cluster config. Throws HacrmError CONFIG_INVALID. */
export function parseClusterConfig(text: string, source: string): ClusterConfig {
  const root = parseConfTree(text, source);
  const warnings: ConfWarning[] = [];
  const byName = (n: string) => root.sections.find((s) => s.name === n);
  for (const e of root.entries)
    warnings.push({ where: `${source}:${e.line}`, message: `unknown top-level key ${e.key} ignored` });
  for (const s of root.sections) {
    // executor { } is hacrm's own, read by @hacrm/lrm's executorSettingsFromConf.
    if (!["totem", "nodelist", "quorum", "logging", "executor"].includes(s.name)) {
      warnings.push({ where: `${source}:${s.line}`, message: `unknown section ${s.name} ignored` });
    }
  }
  const totem = readTotem(byName("totem"), source, warnings);
  const t = totem.map;
  const tokenMs = num(t, "token") ?? defaultTokenMs;
  const consensusMs = num(t, "consensus") ?? Math.round(1.2 * tokenMs);
  if (consensusMs < tokenMs) {
    throw confError(
      `${source}:${t.get("consensus")?.line ?? 0}`,
      `totem.consensus (${consensusMs}) is below totem.token (${tokenMs})`,
      "allowed: consensus >= token (default 1.2 x token)",
    );
  }
  const nodes = readNodes(byName("nodelist"), source, warnings, byName("totem"));
  const secauth = t.get("secauth");
  if (secauth?.value === "off" || t.get("crypto_cipher")?.value === "none")
    warnings.push({
      where: `${source}:${(secauth ?? t.get("crypto_cipher"))?.line ?? 0}`,
      message:
        "hacrm always authenticates its messages: every node needs the same key (make it with 'hacrm keygen', copy it to each node)",
    });
  const links = nodes[0]?.addrs.length ?? 1;
  const linkPorts = Array.from(
    { length: links },
    (_, i) => totem.linkPorts[i] ?? totem.linkPorts[0] ?? defaultPort,
  );
  const logSec = byName("logging");
  const log = logSec
    ? readSection(logSec, "logging", loggingKeys, loggingIgnored, source, warnings)
    : new Map<string, ConfEntry>();
  const cipher = t.get("crypto_cipher")?.value ?? "none";
  return {
    source,
    clusterName: t.get("cluster_name")?.value ?? "hacrm",
    tokenMs,
    consensusMs,
    joinMs: num(t, "join") ?? 50,
    cryptoCipher: cipher === "none" ? "none" : "aes256",
    cryptoHash: hashOf(t.get("crypto_hash")?.value, source, warnings, t.get("crypto_hash")?.line ?? 0),
    transport: (t.get("transport")?.value as ClusterConfig["transport"] | undefined) ?? "knet",
    keyFile: t.get("keyfile")?.value,
    linkPorts,
    nodes,
    quorum: readQuorum(byName("quorum"), tokenMs, source, warnings),
    logging: { debug: log.get("debug")?.value === "on" || log.get("debug")?.value === "trace" },
    warnings,
  };
}
