/**
 * One randomized membership run from a seed: a cluster shape and quorum
 * options, a fault phase (crashes, restarts, symmetric and one-way
 * partitions, flapping links, loss, duplication, delay/reordering, a keyless
 * intruder injecting forged, random and replayed datagrams), then calm.
 * Invariants are checked after every simulation step; convergence after the
 * faults stop is checked at the stated bound.
 */
import type { MembershipEvent, QuorumOptions, View } from "@hacrm/membership";
import { SimCluster, type HostFaults } from "./cluster.js";
import { noDiskFaults } from "./host.js";
import { calmNetwork } from "./network.js";
import { Prng } from "./prng.js";

export interface ScenarioShape {
  seed: number;
  nodeCount: number;
  tokenMs: number;
  consensusMs: number;
  quorumName: string;
  quorum: QuorumOptions;
  cipher: "none" | "aes256";
  intruder: boolean;
  faultPhaseMs: number;
  /** Crashes between effects, disk faults and clock skew during the fault phase. */
  hostFaults: HostFaults;
  /** Crash one node between a persist and the datagrams after it, once. */
  crashAfterPersist: boolean;
}

export interface ScenarioResult {
  seed: number;
  shape: ScenarioShape;
  violations: string[];
  /** Faults stop -> all alive nodes in one agreed view, virtual ms (null if never). */
  convergedAfterMs: number | null;
  boundMs: number;
  crashOnly: boolean;
  delivered: number;
  datagrams: number;
  dropped: Record<string, number>;
}

const quorumChoices: { name: string; q: Partial<QuorumOptions>; nodes?: number }[] = [
  { name: "plain", q: {} },
  { name: "wait_for_all", q: { waitForAll: true } },
  { name: "two_node", q: { twoNode: true, waitForAll: true }, nodes: 2 },
  { name: "last_man_standing", q: { lastManStanding: true } },
  { name: "auto_tie_breaker", q: { autoTieBreaker: true } },
  { name: "lms+atb+wfa", q: { lastManStanding: true, autoTieBreaker: true, waitForAll: true } },
];

export function shapeFromSeed(seed: number, prng: Prng): ScenarioShape {
  const choice = prng.pick(quorumChoices);
  const tokenMs = prng.pick([200, 300, 500]);
  const quorum: QuorumOptions = {
    expectedVotes: undefined,
    twoNode: false,
    waitForAll: false,
    lastManStanding: false,
    lastManStandingWindowMs: prng.int(300, 1500),
    autoTieBreaker: false,
    ...choice.q,
  };
  return {
    seed,
    nodeCount: choice.nodes ?? prng.pick([2, 3, 3, 3, 4, 5]),
    tokenMs,
    consensusMs: Math.round(tokenMs * prng.pick([1.2, 1.5, 2])),
    quorumName: choice.name,
    quorum,
    cipher: prng.chance(0.25) ? "aes256" : "none",
    intruder: prng.chance(0.3),
    faultPhaseMs: tokenMs * prng.int(2, 6),
    ...hostFaultsFromSeed(seed),
  };
}

/**
 * Process, disk and clock faults from their own stream, so the network and
 * workload of a seed stay what they were before these faults existed.
 */
export function hostFaultsFromSeed(seed: number): Pick<ScenarioShape, "hostFaults" | "crashAfterPersist"> {
  const p = new Prng((seed ^ 0x0c0ffee) >>> 0);
  return {
    hostFaults: {
      crashBetweenEffectsRate: p.chance(0.4) ? p.pick([0.0005, 0.002, 0.01]) : 0,
      disk: p.chance(0.3)
        ? { fsyncFailRate: p.pick([0.05, 0.2]), tornWriteRate: p.pick([0.05, 0.2]) }
        : noDiskFaults,
      driftPpmMax: p.chance(0.5) ? p.pick([100, 1000]) : 0,
    },
    crashAfterPersist: p.chance(0.4),
  };
}

/** Heartbeat interval + jitter terms of the stated convergence margin. */
export function convergenceMarginMs(tokenMs: number): number {
  return 3 * Math.floor(tokenMs / 4) + 50;
}

interface MsgKey {
  sent: number[];
  next: number;
}

export function runMembershipScenario(seed: number): ScenarioResult {
  const probe = new SimCluster({
    seed,
    nodeCount: 1,
    tokenMs: 100,
    consensusMs: 100,
    quorum: quorumChoices[0]?.q as QuorumOptions,
    cipher: "none",
  });
  const shape = shapeFromSeed(seed, probe.prng);
  const sim = new SimCluster({
    seed: seed ^ 0x5eed,
    nodeCount: shape.nodeCount,
    tokenMs: shape.tokenMs,
    consensusMs: shape.consensusMs,
    quorum: shape.quorum,
    cipher: shape.cipher,
    keylessNode: shape.intruder,
    hostFaults: shape.hostFaults,
  });
  const prng = sim.prng;
  const violations: string[] = [];
  const fail = (m: string) => {
    if (violations.length < 5) violations.push(`t=${sim.now().toFixed(1)}ms ${m}`);
  };
  const views = new Map<number, View>();
  const quorate = new Map<number, boolean>();
  const channels = new Map<string, MsgKey>();
  const intruderId = shape.nodeCount + 1;
  let delivered = 0;
  sim.observers.push((id, e) => observe(id, e));

  function observe(id: number, e: MembershipEvent): void {
    if (shape.intruder && id === intruderId) return; // the intruder's own view of itself is irrelevant
    if (e.type === "view") {
      const prev = views.get(id);
      if (prev && e.view.seq <= prev.seq) fail(`node ${id} installed ring ${e.view.id} after ${prev.id}`);
      if (shape.intruder && e.view.members.includes(intruderId))
        fail(`keyless node ${intruderId} is in node ${id}'s view`);
      views.set(id, e.view);
    } else if (e.type === "quorum") {
      quorate.set(id, e.status.quorate);
    } else {
      delivered++;
      if (e.from === intruderId) fail(`node ${id} delivered a message from keyless node`);
      checkDelivery(id, e.from, e.viewId, e.body);
    }
  }

  function checkDelivery(to: number, from: number, viewId: string, body: Uint8Array): void {
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const counter = body.length >= 12 ? dv.getUint32(8) : -1;
    const ch = channels.get(`${from}>${to}@${viewId}`);
    if (!ch || ch.sent[ch.next] !== counter) {
      fail(
        `node ${to} got message ${counter} from ${from} in ${viewId}, expected ${ch?.sent[ch.next] ?? "none"}`,
      );
      return;
    }
    for (let i = 12; i < body.length; i++)
      if (body[i] !== ((counter + i) & 0xff)) return fail(`corrupt message ${counter}`);
    ch.next++;
  }

  let counter = 0;
  function sendApp(from: number): void {
    const v = views.get(from);
    if (!v || v.members.length < 2 || !sim.nodes.get(from)?.node) return;
    const to = prng.pick(v.members.filter((m) => m !== from));
    const size = prng.chance(0.1) ? prng.int(1025, 6000) : prng.int(12, 300);
    const body = new Uint8Array(size);
    const c = ++counter;
    new DataView(body.buffer).setUint32(0, from);
    new DataView(body.buffer).setUint32(4, to);
    new DataView(body.buffer).setUint32(8, c);
    for (let i = 12; i < size; i++) body[i] = (c + i) & 0xff;
    const out = sim.send(from, [to], body);
    if (!out || out.refused) return;
    const key = `${from}>${to}@${v.id}`;
    const ch = channels.get(key) ?? { sent: [], next: 0 };
    ch.sent.push(c);
    channels.set(key, ch);
  }

  function checkQuorum(): void {
    if (shape.quorum.twoNode) return; // two_node keeps both halves quorate by design; fencing decides
    const q = sim.alive().filter((n) => quorate.get(n.id) && views.get(n.id));
    for (let i = 0; i < q.length; i++) {
      for (let j = i + 1; j < q.length; j++) {
        const a = views.get((q[i] as { id: number }).id) as View;
        const b = views.get((q[j] as { id: number }).id) as View;
        if (a.id !== b.id && !a.members.some((m) => b.members.includes(m))) {
          fail(`disjoint views ${a.id} [${a.members}] and ${b.id} [${b.members}] are both quorate`);
        }
      }
    }
  }

  const afterStep = () => checkQuorum();
  const crashOnly = scheduleFaults(sim, shape, prng, { views, quorate, sendApp });
  scheduleHostFaults(sim, shape);
  for (const id of sim.ids()) sim.start(id);
  if (shape.intruder) sim.start(intruderId);
  sim.runUntil(shape.faultPhaseMs, afterStep);

  // Faults stop: network calm and healed, hosts and disks sound; crashed nodes stay down.
  for (const n of sim.nodes.values()) {
    n.host.crashBetweenEffectsRate = 0;
    n.disk.faults = { ...noDiskFaults };
    n.crashAfterPersist = false;
  }
  sim.net.healAll();
  sim.net.conditions = { ...calmNetwork };
  sim.net.tap = null;
  const tf = sim.now();
  const margin = convergenceMarginMs(shape.tokenMs);
  const boundMs = crashOnly ? shape.tokenMs + margin : shape.tokenMs + shape.consensusMs + margin;
  // Converged = the moment all alive nodes last entered one agreed view;
  // it must come within the bound and hold from then on.
  let convergedAt: number | null = null;
  const agreed = () => {
    const alive = sim
      .alive()
      .map((n) => n.id)
      .sort((a, b) => a - b);
    const v0 = views.get(alive[0] as number);
    return alive.every((id) => {
      const v = views.get(id);
      const incs = v?.incarnations.map((m) => `${m.id}:${m.inc}`).join();
      const want = alive.map((a) => `${a}:${sim.nodes.get(a)?.incarnation}`).join();
      return v !== undefined && v0 !== undefined && v.id === v0.id && incs === want;
    });
  };
  if (agreed()) convergedAt = tf;
  sim.runUntil(tf + boundMs + shape.tokenMs / 2, () => {
    afterStep();
    const ok = agreed();
    if (ok && convergedAt === null) convergedAt = sim.now();
    if (!ok && convergedAt !== null) {
      if (sim.now() - tf > boundMs)
        fail(`view changed again ${(sim.now() - tf).toFixed(1)}ms after faults stopped`);
      convergedAt = null;
    }
  });
  if (convergedAt === null) fail(`alive nodes never agreed on one view after faults stopped`);
  else if (convergedAt - tf > boundMs)
    fail(`agreement took ${(convergedAt - tf).toFixed(1)}ms > bound ${boundMs}ms`);

  // Liveness of reliable delivery in the final view: a burst, then silence.
  const end = sim.now();
  for (const n of sim.alive()) for (let i = 0; i < 3; i++) sendApp(n.id);
  sim.runUntil(end + shape.tokenMs / 2, afterStep);
  const finalIds = new Set(sim.alive().map((n) => views.get(n.id)?.id));
  for (const [key, ch] of channels) {
    const viewId = key.split("@")[1];
    if (finalIds.size === 1 && finalIds.has(viewId) && ch.next !== ch.sent.length) {
      fail(`channel ${key}: ${ch.sent.length - ch.next} message(s) never delivered in a stable view`);
    }
  }
  const dropped: Record<string, number> = {};
  for (const n of sim.nodes.values())
    for (const [r, c] of n.node?.drops ?? []) dropped[r] = (dropped[r] ?? 0) + c;
  return {
    seed,
    shape,
    violations,
    convergedAfterMs: convergedAt === null ? null : convergedAt - tf,
    boundMs,
    crashOnly,
    delivered,
    datagrams: sim.net.sent,
    dropped,
  };
}

interface Hooks {
  views: Map<number, View>;
  quorate: Map<number, boolean>;
  sendApp: (from: number) => void;
}

/** Plan the fault phase; returns true when only crashes/restarts were injected. */
function scheduleFaults(sim: SimCluster, shape: ScenarioShape, prng: Prng, hooks: Hooks): boolean {
  const ids = sim.ids();
  let crashOnly = true;
  const faults = prng.int(1, 6);
  for (let i = 0; i < faults; i++) {
    const at = prng.int(shape.tokenMs, Math.max(shape.tokenMs, shape.faultPhaseMs - 50));
    const kind = prng.pick([
      "crash",
      "crash",
      "restart",
      "partition",
      "oneway",
      "heal",
      "loss",
      "dup",
      "delay",
      "flap",
    ]);
    if (kind !== "crash" && kind !== "restart") crashOnly = false;
    sim.sched.at(at, () => applyFault(sim, kind, ids, prng, shape.faultPhaseMs - 1));
  }
  const restartLater = prng.chance(0.5);
  if (restartLater)
    sim.sched.at(shape.faultPhaseMs - 1, () => {
      for (const id of ids) sim.start(id);
    });
  for (let t = 50; t < shape.faultPhaseMs; t += prng.int(20, 80)) {
    sim.sched.at(t, () => {
      const alive = sim.alive();
      if (alive.length > 0) hooks.sendApp(prng.pick(alive).id);
    });
  }
  if (shape.intruder) scheduleIntruder(sim, shape, prng);
  return crashOnly;
}

function applyFault(sim: SimCluster, kind: string, ids: number[], prng: Prng, endMs: number): void {
  const alive = sim.alive().map((n) => n.id);
  switch (kind) {
    case "crash":
      if (alive.length > 1) sim.crash(prng.pick(alive));
      return;
    case "restart": {
      const down = ids.filter((id) => !alive.includes(id));
      if (down.length > 0) sim.start(prng.pick(down));
      return;
    }
    case "partition": {
      const a = ids.filter(() => prng.chance(0.5));
      sim.net.partition(
        a,
        ids.filter((id) => !a.includes(id)),
      );
      return;
    }
    case "oneway":
      sim.net.block(prng.pick(ids), prng.pick(ids));
      return;
    case "heal":
      sim.net.healAll();
      return;
    case "loss":
      sim.net.conditions.lossRate = prng.float() * 0.3;
      return;
    case "dup":
      sim.net.conditions.duplicateRate = prng.float() * 0.2;
      return;
    case "delay":
      sim.net.conditions.delayMaxMs = 1 + prng.float() * 40;
      return;
    default: {
      const a = prng.pick(ids);
      const b = prng.pick(ids);
      for (let k = 0, t = sim.now(); k < 6 && t < endMs; k++, t += prng.int(20, 200)) {
        sim.sched.at(t, () => (k % 2 === 0 ? sim.net.partition([a], [b]) : sim.net.healAll()));
      }
    }
  }
}

/**
 * A node that crashed on a host fault (between two effects, on a failed fsync
 * or a torn write) is restarted 50-400 ms later, as systemd would, at the
 * latest just before the faults stop; one crash right after a persist.
 */
function scheduleHostFaults(sim: SimCluster, shape: ScenarioShape): void {
  const p = sim.faultPrng;
  const lastRestartMs = shape.faultPhaseMs - 1;
  sim.crashObservers.push((id, cause) => {
    if (cause === "crash" || sim.now() >= lastRestartMs) return;
    sim.sched.at(Math.min(lastRestartMs, sim.now() + p.int(50, 400)), () => sim.start(id));
  });
  if (shape.crashAfterPersist) {
    sim.sched.at(p.int(shape.tokenMs, Math.max(shape.tokenMs, shape.faultPhaseMs - 50)), () => {
      const alive = sim.alive();
      if (alive.length > 0) sim.crashAfterNextPersist(p.pick(alive).id);
    });
  }
}

/** The keyless node also injects random bytes and replays captured datagrams. */
function scheduleIntruder(sim: SimCluster, shape: ScenarioShape, prng: Prng): void {
  const captured: { from: number; to: number; bytes: Uint8Array }[] = [];
  sim.net.tap = (from, to, bytes) => {
    if (captured.length < 200 && prng.chance(0.02)) captured.push({ from, to, bytes });
  };
  const ids = sim.ids();
  for (let t = 20; t < shape.faultPhaseMs; t += prng.int(5, 60)) {
    sim.sched.at(t, () => {
      const to = prng.pick(ids);
      if (captured.length > 0 && prng.chance(0.5)) {
        const c = prng.pick(captured);
        sim.inject(c.from, c.to, c.bytes);
      } else {
        const junk = prng.bytes(prng.int(0, 200));
        if (junk.length > 8 && prng.chance(0.5)) {
          junk[0] = 0x48;
          junk[1] = 0x43;
          junk[2] = 1;
          new DataView(junk.buffer).setUint32(4, prng.pick(ids));
        }
        sim.inject(shape.nodeCount + 1, to, junk);
      }
    });
  }
}
