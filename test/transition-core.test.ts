/**
 * The transition engine core and the node-side operation history, driven
 * directly with time as data: the DC plans with the real scheduler, each
 * `execute` effect is answered by a scripted node that records its result
 * the way hacrmd does (a `history` write applied on the DC's CIB), and the
 * engine finds results in the status section. Probes first, then the start
 * and its monitor; a failed monitor raises the fail count and restarts in
 * place, or moves with migration-threshold=1; batch-limit bounds what is in
 * flight; an unanswered action times out; a failure aborts the transition.
 */
import { describe, expect, it } from "vitest";
import { configurationDigest, documentDigest, parseXml, serializeXml, type XmlElement } from "@hacrm/cib";
import { paramsDigest, schedule } from "@hacrm/policy";
import {
  createOperationHistory,
  createTransitionState,
  followCib,
  historyNodeState,
  recordOperation,
  transitionStep,
  withCleanup,
  withHistory,
  OpStatus,
  type ActionRequest,
  type CibWrite,
  type OperationHistory,
  type TransitionEffect,
  type TransitionEvent,
  type TransitionState,
} from "@hacrm/controller";

const names = ["n1", "n2", "n3"];
const nodes = names.map((name, i) => ({ id: i + 1, name }));
const t0 = 1_700_000_000_000;

function cibXml(resources: string, options = ""): string {
  const states = nodes
    .map(
      (n) =>
        `<node_state id="${n.id}" uname="${n.name}" in_ccm="true" crmd="online" join="member" expected="member"/>`,
    )
    .join("");
  return (
    `<cib admin_epoch="0" epoch="5" num_updates="0" validate-with="pacemaker-3.9" have-quorum="1" dc-uuid="1">` +
    `<configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/>${options}</cluster_property_set></crm_config>` +
    `<nodes>${nodes.map((n) => `<node id="${n.id}" uname="${n.name}"/>`).join("")}</nodes>` +
    `<resources>${resources}</resources><constraints/></configuration><status>${states}</status></cib>`
  );
}

function dummy(id: string, meta = ""): string {
  return (
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}` +
    `<operations><op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`
  );
}

/** A DC (node 1) with its engine, and scripted executors on every node. */
class Bench {
  cib: XmlElement;
  readonly te: TransitionState;
  readonly histories = new Map<number, OperationHistory>();
  /** Requests sent and not answered yet, in order. */
  readonly pending: { to: number; request: ActionRequest }[] = [];
  readonly events: TransitionEvent[] = [];
  /** What runs where, as the scripted agents see it. */
  readonly running = new Map<string, Set<number>>();
  members = [1, 2, 3];
  now = t0;
  wakeAt = Infinity;
  plans = 0;
  private callId = 0;

  constructor(xml: string) {
    this.cib = parseXml(xml);
    this.te = createTransitionState({
      selfId: 1,
      nodes,
      plan: (cib, nowSec) => {
        this.plans++;
        return schedule(cib, nowSec);
      },
      digest: paramsDigest,
    });
    for (const n of nodes) this.histories.set(n.id, createOperationHistory(String(n.id), n.name));
  }

  step(input: Parameters<typeof transitionStep>[1] = this.clusterInput()): void {
    for (const e of transitionStep(this.te, input, this.now)) this.perform(e);
  }

  clusterInput(): Parameters<typeof transitionStep>[1] {
    return {
      type: "cluster",
      dc: true,
      term: { seq: 4, rep: 1 },
      members: this.members,
      cib: this.cib,
      cibDigest: documentDigest(this.cib),
      configDigest: configurationDigest(this.cib),
    };
  }

  private perform(e: TransitionEffect): void {
    if (e.type === "execute") this.pending.push({ to: e.to, request: e.request });
    else if (e.type === "wake") this.wakeAt = e.atMs;
    else this.events.push(e.event);
  }

  /** The CIB write path on the DC: apply, then tell the engine. */
  write(w: CibWrite | null): void {
    if (!w) return;
    if (w.op === "history") this.cib = withHistory(this.cib, w);
    else if (w.op === "cleanup") this.cib = withCleanup(this.cib, w);
    for (const h of this.histories.values()) followCib(h, this.cib);
    this.step();
  }

  /** Node `to` runs `request`: `rc` by default is what the agent would answer. */
  answer(index = 0, rc?: number, opStatus: number = OpStatus.done): void {
    const [p] = this.pending.splice(index, 1);
    if (!p) throw new Error("nothing pending");
    const { to, request: r } = p;
    const on = this.running.get(r.resource) ?? new Set<number>();
    this.running.set(r.resource, on);
    let code = rc;
    if (code === undefined) {
      if (r.task === "start") on.add(to);
      if (r.task === "stop") on.delete(to);
      code = r.task === "monitor" ? (on.has(to) ? 0 : 7) : 0;
    }
    this.now += 50;
    this.record(to, r, code, opStatus);
  }

  record(to: number, r: ActionRequest, rc: number, opStatus: number): void {
    const h = this.histories.get(to) as OperationHistory;
    const w = recordOperation(
      h,
      {
        resource: r.resource,
        agent: r.agent,
        task: r.task,
        intervalMs: r.intervalMs,
        callId: ++this.callId,
        rc,
        opStatus,
        transitionKey: r.transitionKey,
        execMs: 10,
        queueMs: 0,
        nowSec: Math.floor(this.now / 1000),
        digest: r.digest,
      },
      { startFailureIsFatal: true },
    );
    this.write(w);
  }

  /** Answer everything, in order, until nothing is pending. */
  settle(max = 100): void {
    for (let i = 0; i < max && this.pending.length > 0; i++) this.answer();
    expect(this.pending).toEqual([]);
  }

  sent(): string[] {
    return this.pending.map(
      (p) => `${p.request.resource}_${p.request.task}_${p.request.intervalMs}@n${p.to}`,
    );
  }

  where(rsc: string): number[] {
    return [...(this.running.get(rsc) ?? [])].sort();
  }

  /** Nothing left to do: the scheduler's graph on the final CIB is empty. */
  idle(): boolean {
    return (
      this.te.current === null && schedule(this.cib, Math.floor(this.now / 1000)).graph.actions.length === 0
    );
  }
}

describe("transition engine", () => {
  it("probes every node, starts the resource once, then its monitor; records each result Pacemaker's way", () => {
    const b = new Bench(cibXml(dummy("r1")));
    b.step();
    expect(b.sent().sort()).toEqual(["r1_monitor_0@n1", "r1_monitor_0@n2", "r1_monitor_0@n3"]);
    expect(b.pending[0]?.request.transitionKey).toMatch(/^\d+:1:7:[0-9a-f-]{36}$/);
    b.settle();
    expect(b.where("r1")).toHaveLength(1);
    expect(b.idle()).toBe(true);
    const xml = serializeXml(b.cib);
    const node = b.where("r1")[0] as number;
    // The start and the recurring monitor as Pacemaker records them.
    expect(xml).toMatch(/<lrm_rsc_op id="r1_last_0" operation_key="r1_start_0" operation="start"/);
    expect(xml).toMatch(/id="r1_monitor_10000"[^>]*transition-magic="0:0;\d+:\d+:0:[^"]+"/);
    expect(xml).toMatch(/id="r1_last_0"[^>]*op-digest="[0-9a-f]{32}"/);
    expect(xml).toContain(`on_node="n${node}"`);
    const completed = b.events.filter((e) => e.type === "transition_completed");
    expect(completed.every((e) => e.type === "transition_completed" && e.complete)).toBe(true);
  });

  it("a failed monitor raises the fail count and restarts in place; cleanup forgets it", () => {
    const b = new Bench(cibXml(dummy("r1")));
    b.step();
    b.settle();
    const node = b.where("r1")[0] as number;
    const h = b.histories.get(node) as OperationHistory;
    const monitorKey = [...(h.resources.get("r1")?.ops.values() ?? [])].find(
      (o) => o.attrs["operation"] === "monitor" && o.attrs["interval"] === "10000",
    )?.attrs["transition-key"] as string;
    // The service dies; the recurring monitor reports "not running" with its original key.
    b.running.get("r1")?.delete(node);
    b.now += 10_000;
    b.record(
      node,
      {
        ...(b.pending[0]?.request ?? ({} as ActionRequest)),
        resource: "r1",
        agent: "ocf:heartbeat:Dummy",
        task: "monitor",
        intervalMs: 10_000,
        transitionKey: monitorKey,
        digest: "x",
      },
      7,
      OpStatus.done,
    );
    expect(serializeXml(b.cib)).toContain(`name="fail-count-r1#monitor_10000" value="1"`);
    expect(b.sent()).toEqual([`r1_stop_0@n${node}`]);
    b.settle();
    expect(b.where("r1")).toEqual([node]);
    expect(b.idle()).toBe(true);
    b.write({ op: "cleanup", resource: "r1" });
    expect(serializeXml(b.cib)).not.toContain("fail-count-r1");
    // The node forgot it too: its next join report does not bring it back.
    expect(historyNodeState(h)).not.toContain("fail-count-r1");
    expect(historyNodeState(h)).not.toContain('lrm_resource id="r1"');
    // With no history left, the cluster probes again and finds it where it runs.
    b.settle();
    expect(b.where("r1")).toEqual([node]);
    expect(b.idle()).toBe(true);
  });

  it("migration-threshold=1 moves the resource on its first failure", () => {
    const meta =
      '<meta_attributes id="r1-m"><nvpair id="r1-m-t" name="migration-threshold" value="1"/></meta_attributes>';
    const b = new Bench(cibXml(dummy("r1", meta)));
    b.step();
    b.settle();
    const node = b.where("r1")[0] as number;
    const key = `${"x"}`;
    b.running.get("r1")?.delete(node);
    b.record(
      node,
      {
        transitionKey: `9:1:0:${key}`,
        resource: "r1",
        agent: "ocf:heartbeat:Dummy",
        task: "monitor",
        intervalMs: 10_000,
        timeoutMs: 20_000,
        params: {},
        meta: {},
        expectedRc: 0,
        digest: "d",
      },
      7,
      OpStatus.done,
    );
    b.settle();
    expect(b.where("r1")).toHaveLength(1);
    expect(b.where("r1")[0]).not.toBe(node);
    expect(b.idle()).toBe(true);
  });

  it("failure-timeout: the DC plans again when the fail count expires, and the resource comes back", () => {
    const meta =
      '<meta_attributes id="r1-m"><nvpair id="r1-m-t" name="migration-threshold" value="1"/>' +
      '<nvpair id="r1-m-f" name="failure-timeout" value="60s"/></meta_attributes>';
    const b = new Bench(
      cibXml(dummy("r1", meta)).replace(
        "<constraints/>",
        '<constraints><rsc_location id="l1" rsc="r1" node="n2" score="100"/></constraints>',
      ),
    );
    b.step();
    b.settle();
    expect(b.where("r1")).toEqual([2]);
    b.running.get("r1")?.delete(2);
    const failedAt = Math.floor(b.now / 1000);
    b.record(
      2,
      {
        transitionKey: "9:1:0:x",
        resource: "r1",
        agent: "ocf:heartbeat:Dummy",
        task: "monitor",
        intervalMs: 10_000,
        timeoutMs: 20_000,
        params: {},
        meta: {},
        expectedRc: 0,
        digest: "d",
      },
      7,
      OpStatus.done,
    );
    b.settle();
    expect(b.where("r1")).toHaveLength(1);
    expect(b.where("r1")[0]).not.toBe(2);
    // Nothing changes until the failure expires; then the DC plans again on its own.
    expect(b.wakeAt).toBe((failedAt + 60) * 1000 + 1000);
    b.now = b.wakeAt;
    b.step({ type: "tick" });
    b.settle();
    expect(b.where("r1")).toEqual([2]);
  });

  it("never has more than batch-limit actions in flight, and sends them in the graph's order", () => {
    const rs = ["a", "b", "c", "d", "e"].map((id) => dummy(id)).join("");
    const b = new Bench(cibXml(rs, '<nvpair id="o-b" name="batch-limit" value="2"/>'));
    b.step();
    let most = 0;
    for (let i = 0; i < 200 && b.pending.length > 0; i++) {
      most = Math.max(most, b.pending.length);
      b.answer();
    }
    expect(most).toBe(2);
    expect(["a", "b", "c", "d", "e"].every((r) => b.where(r).length === 1)).toBe(true);
    expect(b.idle()).toBe(true);
  });

  it("a failed start aborts the transition; the DC re-plans and starts it elsewhere", () => {
    const b = new Bench(cibXml(dummy("r1")));
    b.step();
    for (let i = 0; i < 3; i++) b.answer();
    const start = b.pending.find((p) => p.request.task === "start");
    expect(start).toBeDefined();
    const first = start?.to as number;
    b.answer(0, 1);
    expect(b.events.some((e) => e.type === "transition_aborted")).toBe(true);
    expect(serializeXml(b.cib)).toContain(`name="fail-count-r1#start_0" value="INFINITY"`);
    b.settle();
    expect(b.where("r1")).toHaveLength(1);
    expect(b.where("r1")[0]).not.toBe(first);
    expect(b.idle()).toBe(true);
  });

  it("an action not answered within its timeout + cluster-delay fails and the DC plans again", () => {
    const b = new Bench(cibXml(dummy("r1"), '<nvpair id="o-d" name="cluster-delay" value="5s"/>'));
    b.step();
    expect(b.wakeAt).toBe(t0 + 20_000 + 5_000);
    b.now = b.wakeAt - 1;
    b.step({ type: "tick" });
    expect(b.events.some((e) => e.type === "action_failed")).toBe(false);
    b.now = b.wakeAt;
    const before = b.plans;
    b.step({ type: "tick" });
    expect(b.events.filter((e) => e.type === "action_failed")).toHaveLength(3);
    expect(b.plans).toBe(before + 1);
  });

  it("a node leaving aborts; a new DC term drops the transition and plans from the CIB", () => {
    const b = new Bench(cibXml(dummy("r1")));
    b.step();
    b.members = [1, 2];
    b.step();
    expect(b.events.some((e) => e.type === "transition_aborted" && /membership/.test(e.reason))).toBe(true);
    // The two remaining probes are still answered; nothing new is sent meanwhile.
    const pendingBefore = b.pending.length;
    expect(pendingBefore).toBe(3);
    b.step({ ...b.clusterInput(), dc: false, term: null } as Parameters<typeof transitionStep>[1]);
    expect(b.te.current).toBeNull();
  });

  it("a resource running without its recurring monitor (a transition aborted after its start) gets the monitor", () => {
    const b = new Bench(cibXml(dummy("r1")));
    // The history a transition aborted right after the start leaves: probes everywhere, the start on n2.
    let call = 0;
    const put = (node: number, task: string, rc: number): void => {
      const h = b.histories.get(node) as OperationHistory;
      const w = recordOperation(
        h,
        {
          resource: "r1",
          agent: "ocf:heartbeat:Dummy",
          task,
          intervalMs: 0,
          callId: ++call,
          rc,
          opStatus: 0,
          transitionKey: `${call}:1:${task === "monitor" ? 7 : 0}:x`,
          execMs: 1,
          queueMs: 0,
          nowSec: 1,
        },
        { startFailureIsFatal: true },
      );
      if (w?.op === "history") b.cib = withHistory(b.cib, w);
    };
    for (const n of [1, 2, 3]) put(n, "monitor", 7);
    put(2, "start", 0);
    b.running.set("r1", new Set([2]));
    b.step();
    expect(b.sent()).toEqual(["r1_monitor_10000@n2"]);
    b.settle();
    expect(serializeXml(b.cib)).toMatch(/id="r1_monitor_10000"/);
    expect(b.idle()).toBe(true);
  });

  it("records a pending operation first, so a new DC sees the start as under way", () => {
    const h = createOperationHistory("2", "n2");
    const w = recordOperation(
      h,
      {
        resource: "r1",
        agent: "ocf:heartbeat:Dummy",
        task: "start",
        intervalMs: 0,
        callId: -1,
        rc: 0,
        opStatus: OpStatus.pending,
        transitionKey: "3:1:0:x",
        execMs: 0,
        queueMs: 0,
        nowSec: 1,
      },
      { startFailureIsFatal: true },
    );
    const b = new Bench(cibXml(dummy("r1")));
    if (w?.op !== "history") throw new Error("a history write");
    b.cib = withHistory(b.cib, w);
    const placed = schedule(b.cib, 1).placement.find((p) => p.resource === "r1");
    expect(placed?.node).toBe("n2");
  });
});
