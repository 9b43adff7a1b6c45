/**
 * hacrmd's side of the controller core: feeds it membership's events,
 * performs its effects (the CIB made durable in the state directory, messages
 * over membership's reliable delivery, answers to local clients, log events)
 * and answers queries from the local copy. The core runs on the main thread;
 * heartbeats stay in the membership worker.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { HacrmError, type Logger } from "@hacrm/common";
import {
  configurationDigest,
  documentDigest,
  parseXml,
  serializeXml,
  versionOf,
  type CibVersion,
} from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import type { MembershipEvent } from "@hacrm/membership";
import {
  controllerStep,
  createControllerState,
  initialStoredCib,
  roleOf,
  type CibWrite,
  type ControllerInput,
  type ControllerNode,
  type ControllerState,
  type Effect,
  type LineageEntry,
  type StoredCib,
  type Term,
  type ViewInfo,
  type WriteResult,
} from "./core/index.js";

export interface CibHostOptions {
  stateDir: string;
  selfId: number;
  nodes: ControllerNode[];
}

export interface CibHostDeps {
  send: (to: number, body: Uint8Array) => void;
  logger: Logger;
  /** Called after every step of the core (the transition engine follows the CIB and the role). */
  afterStep?: () => void;
}

/** The durable form of a node's copy: one file, written whole (temp file, fsync, rename). */
interface StateFile {
  term: Term;
  lineage: LineageEntry[];
  digest: string;
  xml: string;
}

const stateFileName = "cib-state.json";
const persistRetryMs = 1000;

export class CibHost {
  readonly state: ControllerState;
  private readonly waiting = new Map<string, (r: WriteResult) => void>();
  private pending: ControllerInput & { type: "membership" } = { type: "membership" };
  private flushScheduled = false;
  private reqCounter = 0;
  /** Set while this node's copy cannot be written; what the core said after that waits in `held`. */
  private persistError: { file: string; error: string } | undefined;
  private held: Effect[] = [];
  private persistRetry: NodeJS.Timeout | undefined;
  quorate = false;

  constructor(
    private readonly opts: CibHostOptions,
    private readonly deps: CibHostDeps,
  ) {
    this.state = createControllerState(
      { selfId: opts.selfId, nodes: opts.nodes, validate: (d) => validateCib(d) },
      loadStoredCib(opts.stateDir),
    );
  }

  /** A membership event from the worker. View and quorum changes are passed on together. */
  onMembership(e: MembershipEvent): void {
    if (e.type === "view") {
      this.pending.view = toViewInfo(e.view);
      this.scheduleFlush();
    } else if (e.type === "quorum") {
      this.pending.quorate = e.status.quorate;
      this.quorate = e.status.quorate;
      this.scheduleFlush();
    } else {
      this.flush();
      this.input({ type: "deliver", from: e.from, body: e.body });
    }
  }

  submit(write: CibWrite): Promise<WriteResult> {
    this.flush();
    const pe = this.persistError;
    if (pe) {
      return Promise.resolve({
        ok: false,
        error: {
          code: "NOT_DURABLE",
          message: `cannot write this node's copy of the CIB to ${pe.file}: ${pe.error}`,
          hint: "free space there (or make it writable); hacrmd retries by itself every second",
        },
      });
    }
    const req = `local-${++this.reqCounter}`;
    return new Promise((resolve) => {
      this.waiting.set(req, resolve);
      this.input({ type: "submit", req, write });
    });
  }

  /** This node's copy of the CIB, and this node's name (`node standby` without a name means it). */
  query(): { xml: string; version: CibVersion; digest: string; configDigest: string; node: string } {
    const cib = this.state.cib;
    const self = this.opts.nodes.find((n) => n.id === this.opts.selfId);
    return {
      xml: serializeXml(cib.doc),
      version: cib.version,
      digest: cib.digest,
      configDigest: configurationDigest(cib.doc),
      node: self?.name ?? String(this.opts.selfId),
    };
  }

  role(): ReturnType<typeof roleOf> {
    return roleOf(this.state);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const p = this.pending;
    if (p.view === undefined && p.quorate === undefined) return;
    this.pending = { type: "membership" };
    this.input(p);
  }

  /** Whether the local copy is durable: `{ok: false, file, error}` while the disk refuses it. */
  persistence(): { ok: true } | { ok: false; file: string; error: string } {
    return this.persistError ? { ok: false, ...this.persistError } : { ok: true };
  }

  private input(inp: ControllerInput): void {
    this.performAll(controllerStep(this.state, inp));
    this.deps.afterStep?.();
  }

  /** This node's own `node_state` (its operation history), reported when it joins a DC. */
  setLocalState(nodeState: string | null): void {
    this.performAll(controllerStep(this.state, { type: "local-state", nodeState }));
  }

  /**
   * Perform effects in order. The core puts a persist before the sends and
   * replies that depend on it (a confirmation that the copy is durable), so
   * when the disk refuses the write (full, read-only) those wait, with every
   * later effect, until a retry succeeds: the node keeps its membership and
   * its copy in memory, never confirms what it does not hold durably, and
   * refuses local writes with NOT_DURABLE naming the file. Log events go out
   * at once.
   */
  private performAll(fx: Effect[]): void {
    for (const e of fx) {
      if (e.type === "event") this.perform(e);
      else if (this.persistError) {
        if (e.type !== "persist") this.held.push(e);
      } else if (e.type !== "persist") this.perform(e);
      else this.tryPersist(e.cib);
    }
  }

  private tryPersist(cib: StoredCib): boolean {
    try {
      saveStoredCib(this.opts.stateDir, cib);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (typeof e.code !== "string") throw err;
      const error = `${e.code}: ${e.message}`;
      if (this.persistError === undefined) {
        this.deps.logger.error({
          event: "cib_persist_failed",
          file: join(this.opts.stateDir, stateFileName),
          error,
          hint: "the CIB is kept in memory and this node confirms no write until it is written again; free space there, it is retried by itself",
        });
      }
      this.persistError = { file: join(this.opts.stateDir, stateFileName), error };
      this.persistRetry ??= setTimeout(() => this.retryPersist(), persistRetryMs);
      return false;
    }
    return true;
  }

  private retryPersist(): void {
    this.persistRetry = undefined;
    const failed = this.persistError;
    if (!this.tryPersist(this.state.cib)) return;
    this.persistError = undefined;
    this.deps.logger.warn({ event: "cib_persist_recovered", file: failed?.file, after: failed?.error });
    const held = this.held;
    this.held = [];
    this.performAll(held);
  }

  /** Stop retrying (hacrmd is stopping). */
  close(): void {
    clearTimeout(this.persistRetry);
  }

  private perform(e: Effect): void {
    switch (e.type) {
      case "persist":
        throw new Error("persist effects go through tryPersist");
      case "send":
        this.deps.send(e.to, e.body);
        return;
      case "reply": {
        const resolve = this.waiting.get(e.req);
        this.waiting.delete(e.req);
        resolve?.(e.result);
        return;
      }
      case "event":
        this.deps.logger.info({ event: e.event.type, ...e.event, type: undefined });
        return;
    }
  }
}

function toViewInfo(v: Extract<MembershipEvent, { type: "view" }>["view"]): ViewInfo {
  return { id: v.id, seq: v.seq, rep: v.rep, members: v.members, incarnations: v.incarnations };
}

/** The copy kept in `stateDir`, or, on first start, `stateDir/cib.xml` (a Pacemaker CIB loads as is), or none. */
export function loadStoredCib(stateDir: string): StoredCib | null {
  const file = join(stateDir, stateFileName);
  if (existsSync(file)) {
    const s = JSON.parse(readFileSync(file, "utf8")) as StateFile;
    const doc = parseXml(s.xml, file);
    const digest = documentDigest(doc);
    if (digest !== s.digest) {
      throw new HacrmError({
        code: "CIB_STATE_CORRUPT",
        where: file,
        message: "the stored CIB does not match its digest",
        hint: "move the file away; the node then takes the DC's copy when it joins",
      });
    }
    return { term: s.term, lineage: s.lineage, doc, version: versionOf(doc), digest };
  }
  const xmlFile = join(stateDir, "cib.xml");
  if (existsSync(xmlFile)) return initialStoredCib(parseXml(readFileSync(xmlFile, "utf8"), xmlFile));
  return null;
}

function writeDurably(path: string, text: string, sync: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o640);
  try {
    writeSync(fd, text);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (sync) {
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

/** Persist a copy: the state file durably (fsync before rename), and cib.xml for Pacemaker's tools. */
export function saveStoredCib(stateDir: string, cib: StoredCib): void {
  const xml = serializeXml(cib.doc, { indent: "" });
  const state: StateFile = { term: cib.term, lineage: cib.lineage, digest: cib.digest, xml };
  writeDurably(join(stateDir, stateFileName), JSON.stringify(state), true);
  writeDurably(join(stateDir, "cib.xml"), serializeXml(cib.doc), false);
}

/** Element and attribute names a CIB may hold (XML names without namespaces' colons). */
const xmlName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Deepest element a client may send in a patch (a CIB is about 10 levels deep). */
const elementDepthMax = 64;

/**
 * A `cib-write` request's `write`, checked field by field before the core
 * sees it: a malformed or hostile request gets an error naming the field and
 * never reaches the CIB. Returns the write, or what is wrong with it.
 */
export function checkWrite(v: unknown): CibWrite | string {
  if (!isObject(v)) return "write: expected an object {op: replace | patch | status, ...}";
  const force = v["force"];
  if (force !== undefined && typeof force !== "boolean") return "write.force: expected true or false";
  switch (v["op"]) {
    case "replace": {
      if (typeof v["xml"] !== "string") return "write.xml: expected the CIB document as a string";
      const base = v["base"];
      if (base !== null) {
        if (!isObject(base)) return "write.base: expected {version, configDigest?} or null";
        const bad = checkVersion(base["version"], "write.base.version");
        if (bad) return bad;
        if (base["configDigest"] !== undefined && typeof base["configDigest"] !== "string")
          return "write.base.configDigest: expected a string";
      }
      return v as CibWrite;
    }
    case "patch": {
      const p = v["patch"];
      if (!isObject(p)) return "write.patch: expected {from, to, ops}";
      for (const end of ["from", "to"]) {
        const e = p[end];
        if (!isObject(e) || typeof e["digest"] !== "string")
          return `write.patch.${end}: expected {version, digest}`;
        const bad = checkVersion(e["version"], `write.patch.${end}.version`);
        if (bad) return bad;
      }
      const ops = p["ops"];
      if (!Array.isArray(ops)) return "write.patch.ops: expected an array";
      for (const [i, op] of ops.entries()) {
        const bad = checkOp(op, `write.patch.ops[${i}]`);
        if (bad) return bad;
      }
      return v as CibWrite;
    }
    case "status":
      if (typeof v["nodeState"] !== "string") return "write.nodeState: expected one <node_state> as a string";
      return v as CibWrite;
    case "cleanup":
      if (typeof v["resource"] !== "string" || v["resource"] === "")
        return "write.resource: expected a resource id";
      if (v["node"] !== undefined && typeof v["node"] !== "string") return "write.node: expected a node name";
      return v as CibWrite;
    default:
      return "write.op: expected replace, patch, status or cleanup";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkVersion(v: unknown, where: string): string | null {
  if (!isObject(v)) return `${where}: expected {admin_epoch, epoch, num_updates}`;
  for (const k of ["admin_epoch", "epoch", "num_updates"]) {
    const n = v[k];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
      return `${where}.${k}: expected a non-negative integer`;
  }
  return null;
}

function checkOp(op: unknown, where: string): string | null {
  if (!isObject(op)) return `${where}: expected an operation object`;
  const str = (k: string): string | null =>
    typeof op[k] === "string" ? null : `${where}.${k}: expected a string`;
  switch (op["op"]) {
    case "attrs":
      return str("path") ?? checkAttrs(op["attrs"], `${where}.attrs`);
    case "delete":
      return str("path");
    case "text":
      return (
        str("path") ??
        (op["text"] === null || typeof op["text"] === "string"
          ? null
          : `${where}.text: expected a string or null`)
      );
    case "replace":
      return str("path") ?? checkElement(op["element"], `${where}.element`, 0);
    case "insert": {
      const pos = op["position"];
      if (typeof pos !== "number" || !Number.isSafeInteger(pos) || pos < 0)
        return `${where}.position: expected a non-negative integer`;
      return str("parent") ?? checkElement(op["element"], `${where}.element`, 0);
    }
    default:
      return `${where}.op: expected attrs, delete, text, replace or insert`;
  }
}

function checkAttrs(v: unknown, where: string): string | null {
  if (!isObject(v)) return `${where}: expected {name: value, ...}`;
  for (const [k, val] of Object.entries(v)) {
    if (!xmlName.test(k)) return `${where}: ${JSON.stringify(k).slice(0, 60)} is not an attribute name`;
    if (typeof val !== "string") return `${where}.${k}: expected a string`;
  }
  return null;
}

function checkElement(v: unknown, where: string, depth: number): string | null {
  if (depth > elementDepthMax) return `${where}: nested deeper than ${elementDepthMax} elements`;
  if (!isObject(v)) return `${where}: expected {name, attrs, children}`;
  if (typeof v["name"] !== "string" || !xmlName.test(v["name"]))
    return `${where}.name: expected an element name`;
  if (v["text"] !== undefined && typeof v["text"] !== "string") return `${where}.text: expected a string`;
  const bad = checkAttrs(v["attrs"], `${where}.attrs`);
  if (bad) return bad;
  const children = v["children"];
  if (!Array.isArray(children)) return `${where}.children: expected an array`;
  for (const [i, c] of children.entries()) {
    const b = checkElement(c, `${where}.children[${i}]`, depth + 1);
    if (b) return b;
  }
  return null;
}
