/**
 * One randomized run of the controller cores (DC election, join, CIB
 * replication) on top of the real membership core, from a seed: 3-5 nodes,
 * no-quorum-policy stop or ignore, a fault phase (DC crashes, crashes in the
 * middle of a node's effects, restarts, restarts of the whole cluster from
 * its simulated disks, partitions and merges, loss, duplication, delay and
 * so reordering) with bursts of client writes during joins, then calm.
 *
 * Checked after every simulation step:
 * - at most one DC (joining or ready) per agreed view;
 * - no node's CIB version goes backwards, on disk or in memory;
 * - every acknowledged configuration write is in the CIB of every later
 *   ready DC (with `ignore`, unless the merge logged it as dropped);
 * - under `stop`, nothing is committed in a partition without quorum.
 * After the faults stop: one view, one ready DC, the same CIB digest on
 * every node, every write answered, and a last write acknowledged and
 * present on every node.
 */
import {
  cloneElement,
  configurationDigest,
  diffCib,
  parseXml,
  serializeXml,
  type CibVersion,
  type XmlElement,
} from "@hacrm/cib";
import {
  controllerStep,
  createControllerState,
  emptyCibXml,
  initialStoredCib,
  roleOf,
  type ControllerInput,
  type ControllerState,
  type Effect,
  type StoredCib,
  type ViewInfo,
  type CibWrite,
  type WriteResult,
} from "@hacrm/controller";
import type { MembershipEvent } from "@hacrm/membership";
import { validateCib } from "@hacrm/cib/validate";
import { SimCluster } from "./cluster.js";
import { calmNetwork } from "./network.js";
import { Prng } from "./prng.js";

export interface ControllerShape {
  seed: number;
  nodeCount: number;
  tokenMs: number;
  consensusMs: number;
  policy: "stop" | "ignore";
  faultPhaseMs: number;
  faults: string[];
}

export interface ControllerResult {
  seed: number;
  shape: ControllerShape;
  violations: string[];
  writes: number;
  acked: number;
  refused: Record<string, number>;
  dcElections: number;
  fullCopies: number;
  dropped: number;
}

interface Host {
  id: number;
  state: ControllerState | null;
  /** What the node persisted last: its simulated disk. */
  disk: StoredCib | null;
  /** Highest version this node ever persisted (disk survives crashes). */
  lastVersion: CibVersion | null;
  pendingView: ViewInfo | undefined;
  pendingQuorate: boolean | undefined;
  /** Crash after this many more effects (a crash between two effects). */
  crashAfterEffects: number | null;
  view: ViewInfo | null;
  quorate: boolean;
}

interface WriteRecord {
  origin: number;
  incarnation: number;
  marker: string | null;
  invalid: boolean;
  result: WriteResult | null;
}

const cmpV = (a: CibVersion, b: CibVersion) =>
  Math.sign(a.admin_epoch - b.admin_epoch || a.epoch - b.epoch || a.num_updates - b.num_updates);
const fmtV = (v: CibVersion) => `${v.admin_epoch}.${v.epoch}.${v.num_updates}`;

export function controllerShapeFromSeed(seed: number): ControllerShape {
  const prng = new Prng(seed);
  const tokenMs = prng.pick([200, 200, 300]);
  const nodeCount = prng.pick([3, 3, 4, 5]);
  const faultKinds = [
    "crash-dc",
    "crash-dc",
    "crash",
    "crash-mid-effects",
    "restart",
    "restart-all",
    "partition",
    "partition",
    "heal",
    "loss",
    "dup",
    "delay",
  ];
  const faults: string[] = [];
  for (let i = prng.int(1, 5); i > 0; i--) faults.push(prng.pick(faultKinds));
  return {
    seed,
    nodeCount,
    tokenMs,
    consensusMs: Math.round(tokenMs * prng.pick([1.2, 1.5])),
    policy: prng.chance(0.2) ? "ignore" : "stop",
    faultPhaseMs: tokenMs * prng.int(3, 6),
    faults,
  };
}

function initialCib(policy: string): XmlElement {
  const doc = parseXml(emptyCibXml(), "initial CIB");
  const crm = doc.children[0]?.children[0] as XmlElement;
  crm.children.push({
    name: "cluster_property_set",
    attrs: { id: "cib-bootstrap-options" },
    children: [
      { name: "nvpair", attrs: { id: "opt-nqp", name: "no-quorum-policy", value: policy }, children: [] },
    ],
  });
  doc.attrs["epoch"] = "1";
  return doc;
}

export function runControllerScenario(seed: number, trace?: (line: string) => void): ControllerResult {
  const shape = controllerShapeFromSeed(seed);
  const log = (m: string) => trace?.(`t=${sim.now().toFixed(1)} ${m}`);
  const sim = new SimCluster({
    seed: seed ^ 0xc0ffee,
    nodeCount: shape.nodeCount,
    tokenMs: shape.tokenMs,
    consensusMs: shape.consensusMs,
    quorum: {
      expectedVotes: undefined,
      twoNode: false,
      waitForAll: false,
      lastManStanding: false,
      lastManStandingWindowMs: 10_000,
      autoTieBreaker: false,
    },
    cipher: "none",
  });
  const prng = sim.prng;
  const violations: string[] = [];
  const fail = (m: string) => {
    if (violations.length < 6) violations.push(`t=${sim.now().toFixed(1)}ms ${m}`);
  };
  const nodes = sim.ids().map((id) => ({ id, name: `n${id}` }));
  const first = initialStoredCib(initialCib(shape.policy));
  const hosts = new Map<number, Host>();
  for (const { id } of nodes) {
    hosts.set(id, {
      id,
      state: null,
      disk: first,
      lastVersion: first.version,
      pendingView: undefined,
      pendingQuorate: undefined,
      crashAfterEffects: null,
      view: null,
      quorate: false,
    });
  }
  const writes = new Map<string, WriteRecord>();
  /** Acknowledged configuration writes: marker -> path of its element. */
  const acked = new Map<string, string>();
  /** Ring seq of the view each acknowledged write was acknowledged in (a DC of an older view may not know it yet). */
  const ackedInSeq = new Map<string, number>();
  const droppedPaths: string[] = [];
  const refused: Record<string, number> = {};
  const stats = { dcElections: 0, fullCopies: 0, dropped: 0 };
  let writeCounter = 0;

  // ---- the host: feeds membership events in, performs effects one at a time
  function input(h: Host, inp: ControllerInput): void {
    if (!h.state) return;
    let fx: Effect[];
    try {
      fx = controllerStep(h.state, inp);
    } catch (err) {
      fail(`node ${h.id} core threw: ${(err as Error).message}`);
      crash(h.id);
      return;
    }
    for (const e of fx) {
      if (!h.state) return;
      if (h.crashAfterEffects !== null && h.crashAfterEffects-- <= 0) {
        crash(h.id);
        return;
      }
      perform(h, e);
    }
  }

  function perform(h: Host, e: Effect): void {
    if (trace) {
      if (e.type === "persist")
        log(`n${h.id} persist ${fmtV(e.cib.version)} term ${e.cib.term.rep}.${e.cib.term.seq}`);
      else if (e.type === "reply")
        log(`n${h.id} reply ${e.req} ${e.result.ok ? fmtV(e.result.version) : e.result.error.code}`);
      else if (e.type === "event") log(`n${h.id} ${JSON.stringify(e.event)}`);
    }
    switch (e.type) {
      case "persist":
        if (h.lastVersion && cmpV(e.cib.version, h.lastVersion) < 0)
          fail(`node ${h.id} persisted ${fmtV(e.cib.version)} after ${fmtV(h.lastVersion)}`);
        h.lastVersion = e.cib.version;
        h.disk = e.cib;
        return;
      case "send": {
        const out = sim.send(h.id, [e.to], e.body);
        void out;
        return;
      }
      case "reply":
        onReply(h, e.req, e.result);
        return;
      case "event": {
        const ev = e.event;
        if (ev.type === "dc_elected") stats.dcElections++;
        else if (ev.type === "full_copy_requested") stats.fullCopies++;
        else if (ev.type === "changes_dropped") {
          stats.dropped++;
          droppedPaths.push(...ev.paths.map((p) => p.replace(/\[1\]/g, "")));
        } else if (ev.type === "cib_committed") {
          if (shape.policy === "stop" && !h.quorate)
            fail(`node ${h.id} committed ${fmtV(ev.version)} in view ${ev.view} without quorum`);
        }
        return;
      }
    }
  }

  function onReply(h: Host, req: string, result: WriteResult): void {
    const w = writes.get(req);
    if (!w) return fail(`node ${h.id} answered unknown request ${req}`);
    if (w.result) return fail(`request ${req} answered twice`);
    w.result = result;
    if (result.ok) {
      if (w.invalid) fail(`invalid write ${req} was acknowledged`);
      if (w.marker) {
        acked.set(w.marker, `/cib/configuration/resources/primitive[@id='${w.marker}']`);
        ackedInSeq.set(w.marker, h.state?.view?.seq ?? 0);
      }
    } else {
      refused[result.error.code] = (refused[result.error.code] ?? 0) + 1;
      if (w.invalid && result.error.code === "CIB_INVALID") return;
    }
  }

  function flush(h: Host): void {
    if (h.pendingView === undefined && h.pendingQuorate === undefined) return;
    const inp: ControllerInput = { type: "membership" };
    if (h.pendingView !== undefined) inp.view = h.pendingView;
    if (h.pendingQuorate !== undefined) inp.quorate = h.pendingQuorate;
    h.pendingView = undefined;
    h.pendingQuorate = undefined;
    input(h, inp);
  }
  const flushAll = () => {
    for (const h of hosts.values()) flush(h);
  };

  sim.observers.push((id: number, e: MembershipEvent) => {
    const h = hosts.get(id) as Host;
    if (!h.state) return;
    if (e.type === "view") {
      log(`n${id} view ${e.view.id} [${e.view.incarnations.map((m) => `${m.id}:${m.inc}`).join(" ")}]`);
      h.view = e.view;
      h.pendingView = e.view;
    } else if (e.type === "quorum") {
      log(`n${id} quorate ${e.status.quorate}`);
      h.quorate = e.status.quorate;
      h.pendingQuorate = e.status.quorate;
    } else {
      flush(h);
      input(h, { type: "deliver", from: e.from, body: e.body });
    }
  });

  function start(id: number): void {
    const h = hosts.get(id) as Host;
    if (h.state) return;
    h.state = createControllerState({ selfId: id, nodes, validate: (d) => validateCib(d) }, h.disk);
    h.crashAfterEffects = null;
    h.view = null;
    h.quorate = false;
    sim.start(id);
    flush(h);
  }
  function crash(id: number): void {
    log(`n${id} crash`);
    const h = hosts.get(id) as Host;
    h.state = null;
    h.pendingView = undefined;
    h.pendingQuorate = undefined;
    h.crashAfterEffects = null;
    sim.crash(id);
  }

  // ---- clients
  function submit(origin: number): void {
    const h = hosts.get(origin) as Host;
    if (!h.state) return;
    const base = h.state.cib;
    const n = ++writeCounter;
    const req = `c${n}`;
    const roll = prng.float();
    let write: CibWrite;
    let marker: string | null = null;
    let invalid = false;
    if (roll < 0.3) {
      write = {
        op: "status",
        nodeState: `<node_state id="${origin}" uname="n${origin}"><transient_attributes id="${origin}"><instance_attributes id="status-${origin}"><nvpair id="status-${origin}-w" name="w" value="${n}"/></instance_attributes></transient_attributes></node_state>`,
      };
    } else {
      marker = `w${n}`;
      invalid = prng.chance(0.05);
      const edited = withPrimitive(base.doc, marker, invalid);
      if (roll < 0.65) {
        write = { op: "patch", patch: diffCib(base.doc, edited), force: prng.chance(0.2) };
      } else {
        write = {
          op: "replace",
          xml: serializeXml(edited, { indent: "" }),
          base: { version: base.version, configDigest: configurationDigest(base.doc) },
        };
      }
      if (invalid) marker = null;
    }
    writes.set(req, {
      origin,
      incarnation: sim.nodes.get(origin)?.incarnation ?? 0,
      marker,
      invalid,
      result: null,
    });
    log(`n${origin} submit ${req} ${write.op}${marker ? ` ${marker}` : ""}`);
    input(h, { type: "submit", req, write });
  }

  function burst(): void {
    const alive = [...hosts.values()].filter((h) => h.state);
    const count = prng.int(2, 6);
    for (let i = 0; i < count; i++) {
      const at = sim.now() + prng.float() * 60;
      sim.sched.at(at, () => {
        const live = alive.filter((h) => h.state);
        if (live.length > 0) submit(prng.pick(live).id);
        flushAll();
      });
    }
  }

  // ---- invariants after every step
  const resourceIdsByDigest = new Map<string, Set<string>>();
  const checkedDc = new Map<number, string>();
  function checkStep(): void {
    flushAll();
    const dcsByView = new Map<string, number[]>();
    for (const h of hosts.values()) {
      const s = h.state;
      if (!s) continue;
      const role = roleOf(s);
      if ((role === "dc" || role === "dc-joining") && s.view) {
        const list = dcsByView.get(s.view.id) ?? [];
        list.push(h.id);
        dcsByView.set(s.view.id, list);
      }
      // With `ignore`, a partition's DC runs beside the other's: only a merge must keep (or log) their writes.
      if (role === "dc" && shape.policy === "stop") checkAcked(h.id, s);
    }
    for (const [view, ids] of dcsByView) if (ids.length > 1) fail(`view ${view} has DCs ${ids.join(", ")}`);
  }

  function checkAcked(id: number, s: ControllerState): void {
    const key = `${s.cib.digest}/${acked.size}`;
    if (checkedDc.get(id) === key) return;
    checkedDc.set(id, key);
    let ids = resourceIdsByDigest.get(s.cib.digest);
    if (!ids) {
      ids = resourceIds(s.cib.doc);
      resourceIdsByDigest.set(s.cib.digest, ids);
    }
    const seq = s.view?.seq ?? 0;
    for (const [marker, path] of acked) {
      if (ids.has(marker)) continue;
      // A DC whose view is older than the acknowledgement is cut off and has not heard yet: not a later DC.
      if ((ackedInSeq.get(marker) ?? 0) > seq) {
        checkedDc.delete(id);
        continue;
      }
      if (shape.policy === "ignore" && droppedPaths.some((p) => path.startsWith(p))) {
        acked.delete(marker); // the merge logged it as dropped
        continue;
      }
      fail(`acknowledged write ${marker} is missing from the CIB ${fmtV(s.cib.version)} of DC node ${id}`);
      acked.delete(marker);
    }
  }

  // ---- faults
  const ids = sim.ids();
  const dcNode = () => [...hosts.values()].find((h) => h.state && roleOf(h.state) === "dc")?.id;
  function applyFault(kind: string): void {
    log(`fault ${kind}`);
    const alive = ids.filter((id) => hosts.get(id)?.state);
    switch (kind) {
      case "crash-dc": {
        const dc = dcNode();
        if (dc !== undefined) crash(dc);
        break;
      }
      case "crash":
        if (alive.length > 0) crash(prng.pick(alive));
        break;
      case "crash-mid-effects":
        if (alive.length > 0) (hosts.get(prng.pick(alive)) as Host).crashAfterEffects = prng.int(0, 4);
        break;
      case "restart": {
        const down = ids.filter((id) => !hosts.get(id)?.state);
        if (down.length > 0) start(prng.pick(down));
        break;
      }
      case "restart-all": {
        for (const id of alive) crash(id);
        const back = sim.now() + prng.int(10, shape.tokenMs);
        sim.sched.at(back, () => {
          for (const id of ids) start(id);
        });
        break;
      }
      case "partition": {
        const a = ids.filter(() => prng.chance(0.5));
        sim.net.partition(
          a,
          ids.filter((id) => !a.includes(id)),
        );
        break;
      }
      case "heal":
        sim.net.healAll();
        break;
      case "loss":
        sim.net.conditions.lossRate = prng.float() * 0.25;
        break;
      case "dup":
        sim.net.conditions.duplicateRate = prng.float() * 0.2;
        break;
      default:
        sim.net.conditions.delayMaxMs = 1 + prng.float() * 30;
    }
    burst();
  }

  for (const kind of shape.faults) {
    const at = prng.int(shape.tokenMs * 2, shape.faultPhaseMs - 20);
    sim.sched.at(at, () => applyFault(kind));
  }
  for (let t = 30; t < shape.faultPhaseMs; t += prng.int(150, 400)) {
    sim.sched.at(t, () => {
      const alive = [...hosts.values()].filter((h) => h.state);
      if (alive.length > 0) submit(prng.pick(alive).id);
    });
  }
  sim.sched.at(shape.tokenMs * 2, () => burst());

  for (const id of ids) start(id);
  sim.runUntil(shape.faultPhaseMs, checkStep);

  // ---- faults stop: heal, calm, every node back
  sim.net.healAll();
  sim.net.conditions = { ...calmNetwork };
  for (const h of hosts.values()) h.crashAfterEffects = null;
  for (const id of ids) start(id);
  const tf = sim.now();
  // Membership's bound (token + consensus + margin) plus the join's message rounds.
  const settleMs = shape.tokenMs + shape.consensusMs + 3 * Math.floor(shape.tokenMs / 4) + 50 + 200;
  runUntilSettled(tf + settleMs);
  checkConverged(`${(sim.now() - tf).toFixed(0)} ms after the faults stopped`);

  // A last write through a random node must be acknowledged and reach every node
  // (retried, as a client would, when a late view change interrupts it).
  const origin = prng.pick(ids);
  let last: WriteRecord | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const req = `c${writeCounter + 1}`;
    submit(origin);
    flushAll();
    runUntilSettled(sim.now() + 200, req);
    last = writes.get(req);
    if (last?.result?.ok !== false || last.result.error.code !== "WRITE_INTERRUPTED") break;
  }
  if (last && !last.invalid) {
    if (!last.result) fail(`the last write (through node ${origin}) was never answered`);
    else if (!last.result.ok && last.result.error.code !== "CONFIG_CHANGED")
      fail(`the last write was refused: ${last.result.error.code} ${last.result.error.message}`);
  }
  checkConverged("after the last write");
  for (const [req, w] of writes) {
    const h = hosts.get(w.origin) as Host;
    const sameLife = h.state && sim.nodes.get(w.origin)?.incarnation === w.incarnation;
    if (sameLife && !w.result) fail(`write ${req} (through node ${w.origin}) was never answered`);
  }
  let ackedCount = 0;
  for (const w of writes.values()) if (w.result?.ok) ackedCount++;
  return {
    seed,
    shape,
    violations,
    writes: writes.size,
    acked: ackedCount,
    refused,
    ...stats,
  };

  /** Run until `untilMs`, or until the cluster settled (one view, one ready DC, one CIB, `req` answered). */
  function runUntilSettled(untilMs: number, req?: string): void {
    while (sim.sched.runOne(untilMs)) {
      checkStep();
      if (req !== undefined && !allAnswered()) continue;
      if (settled()) return;
    }
  }

  function allAnswered(): boolean {
    for (const w of writes.values()) {
      if (!w.result && hosts.get(w.origin)?.state && sim.nodes.get(w.origin)?.incarnation === w.incarnation)
        return false;
    }
    return true;
  }

  function settled(): boolean {
    let view: string | undefined;
    let digest: string | undefined;
    let dcs = 0;
    for (const h of hosts.values()) {
      const s = h.state;
      if (!s) continue;
      // Quorum follows a view by one heartbeat exchange (every member's quorum state must be in).
      if (shape.policy === "stop" && !h.quorate) return false;
      if (!s.view || (view !== undefined && s.view.id !== view)) return false;
      if (digest !== undefined && s.cib.digest !== digest) return false;
      view = s.view.id;
      digest = s.cib.digest;
      if (roleOf(s) === "dc") dcs++;
      else if (roleOf(s) !== "member") return false;
    }
    return dcs === 1 && [...hosts.values()].every((h) => h.state && h.view?.id === view);
  }

  function checkConverged(when: string): void {
    const live = [...hosts.values()].filter((h) => h.state) as (Host & { state: ControllerState })[];
    const viewIds = new Set(live.map((h) => h.state.view?.id ?? "none"));
    if (viewIds.size !== 1) return fail(`${when}: nodes are in views ${[...viewIds].join(", ")}`);
    const dcs = live.filter((h) => roleOf(h.state) === "dc");
    if (dcs.length !== 1) return fail(`${when}: ${dcs.length} ready DCs`);
    const digests = new Set(live.map((h) => h.state.cib.digest));
    if (digests.size !== 1)
      fail(
        `${when}: ${digests.size} different CIBs (${live.map((h) => `n${h.id} ${fmtV(h.state.cib.version)}`).join(", ")})`,
      );
    const dcState = (dcs[0] as Host & { state: ControllerState }).state;
    const have = resourceIds(dcState.cib.doc);
    for (const [m, path] of acked) {
      if (have.has(m)) continue;
      if (shape.policy === "ignore" && droppedPaths.some((p) => path.startsWith(p))) continue;
      fail(
        `${when}: acknowledged write ${m} is missing${shape.policy === "ignore" ? " and no merge logged it as dropped" : ""}`,
      );
    }
  }
}

function withPrimitive(doc: XmlElement, id: string, invalid: boolean): XmlElement {
  const out = cloneElement(doc);
  const conf = out.children.find((c) => c.name === "configuration") as XmlElement;
  const resources = conf.children.find((c) => c.name === "resources") as XmlElement;
  resources.children.push({
    name: "primitive",
    attrs: invalid
      ? { id, class: "ocf", type: "Dummy" } // ocf without a provider: refused by the checks
      : { id, class: "ocf", provider: "heartbeat", type: "Dummy" },
    children: [],
  });
  return out;
}

function resourceIds(doc: XmlElement): Set<string> {
  const conf = doc.children.find((c) => c.name === "configuration");
  const resources = conf?.children.find((c) => c.name === "resources");
  return new Set((resources?.children ?? []).map((c) => c.attrs["id"] ?? ""));
}
