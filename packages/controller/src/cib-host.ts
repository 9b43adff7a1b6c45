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
}

/** The durable form of a node's copy: one file, written whole (temp file, fsync, rename). */
interface StateFile {
  term: Term;
  lineage: LineageEntry[];
  digest: string;
  xml: string;
}

const stateFileName = "cib-state.json";

export class CibHost {
  readonly state: ControllerState;
  private readonly waiting = new Map<string, (r: WriteResult) => void>();
  private pending: ControllerInput & { type: "membership" } = { type: "membership" };
  private flushScheduled = false;
  private reqCounter = 0;
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
    const req = `local-${++this.reqCounter}`;
    return new Promise((resolve) => {
      this.waiting.set(req, resolve);
      this.input({ type: "submit", req, write });
    });
  }

  query(): { xml: string; version: CibVersion; digest: string; configDigest: string } {
    const cib = this.state.cib;
    return {
      xml: serializeXml(cib.doc),
      version: cib.version,
      digest: cib.digest,
      configDigest: configurationDigest(cib.doc),
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

  private input(inp: ControllerInput): void {
    for (const e of controllerStep(this.state, inp)) this.perform(e);
  }

  private perform(e: Effect): void {
    switch (e.type) {
      case "persist":
        saveStoredCib(this.opts.stateDir, e.cib);
        return;
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
