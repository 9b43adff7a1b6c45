import type { XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { paramsDigest } from "./digest.js";
import type { ScheduleResult } from "./engine.js";
import { topoOrder } from "./graph.js";
import { isPromotable } from "./actions.js";
import type { PlacementEntry } from "./summary.js";

/**
 * What-if events for `hacrm simulate`, as crm_simulate injects them: pure
 * functions from a CIB tree to a new CIB tree (the input is not changed).
 */

/** One operation result: `RSC_TASK_INTERVALMS@NODE=RC`, as crm_simulate's --op-inject and --op-fail take it. */
export interface OpSpec {
  resource: string;
  task: string;
  intervalMs: number;
  node: string;
  rc: number;
}

const TASKS = [
  "migrate_from",
  "migrate_to",
  "monitor",
  "start",
  "stop",
  "promote",
  "demote",
  "notify",
  "reload",
];

/** Parse `RSC_TASK_INTERVAL@NODE=RC`; the resource id may itself contain underscores and colons. */
export function parseOpSpec(text: string): OpSpec {
  const m = /^(.+)_([a-z_]+)_(\d+)@([^=]+)=(\d+)$/.exec(text.trim());
  const task = m?.[2];
  const fix = (): HacrmError =>
    new HacrmError({
      code: "OPSPEC_INVALID",
      where: text,
      message: "an operation is written RESOURCE_TASK_INTERVALMS@NODE=RC",
      hint: "for example rsc1_monitor_10000@node1=7 or db:0_start_0@node2=1",
    });
  if (!m || task === undefined) throw fix();
  // "migrate_to" and "migrate_from" contain an underscore: prefer the longest known task.
  let resource = m[1]!;
  let op = task;
  const known = TASKS.find((t) => `${resource}_${task}`.endsWith(`_${t}`) && t.includes("_"));
  if (known && !TASKS.includes(task)) {
    op = known;
    resource = `${resource}_${task}`.slice(0, -(known.length + 1));
  }
  if (!TASKS.includes(op)) throw fix();
  return { resource, task: op, intervalMs: Number(m[3]), node: m[4]!, rc: Number(m[5]) };
}

function el(name: string, attrs: Record<string, string>, children: XmlElement[] = []): XmlElement {
  return { name, attrs, children };
}

function child(parent: XmlElement, name: string, attrs: Record<string, string> = {}): XmlElement {
  let c = parent.children.find((x) => x.name === name);
  if (!c) {
    c = el(name, attrs);
    parent.children.push(c);
  }
  return c;
}

function clone(e: XmlElement): XmlElement {
  const out: XmlElement = { name: e.name, attrs: { ...e.attrs }, children: e.children.map(clone) };
  if (e.text !== undefined) out.text = e.text;
  return out;
}

/** The configured node named (uname or id) `name`. */
function nodeOf(cib: XmlElement, name: string): XmlElement {
  const nodes = child(child(cib, "configuration"), "nodes");
  const n = nodes.children.find((x) => x.name === "node" && (x.attrs.uname === name || x.attrs.id === name));
  if (!n)
    throw new HacrmError({
      code: "NODE_UNKNOWN",
      where: name,
      message: "no such node in <nodes>",
      hint: "use a node's uname as configured",
    });
  return n;
}

function nodeState(cib: XmlElement, name: string): XmlElement {
  const node = nodeOf(cib, name);
  const id = node.attrs.id ?? name;
  const status = child(cib, "status");
  let s = status.children.find((x) => x.name === "node_state" && x.attrs.id === id);
  if (!s) {
    s = el("node_state", { id, uname: node.attrs.uname ?? id });
    status.children.push(s);
  }
  return s;
}

/** A node joins (up), leaves cleanly (down) or is lost while expected up (fail). */
export function injectNode(cib: XmlElement, name: string, event: "up" | "down" | "fail"): XmlElement {
  const out = clone(cib);
  const s = nodeState(out, name);
  if (event === "up")
    Object.assign(s.attrs, { in_ccm: "true", crmd: "online", join: "member", expected: "member" });
  else if (event === "down")
    Object.assign(s.attrs, { in_ccm: "false", crmd: "offline", join: "down", expected: "down" });
  // Lost from the membership while its controller was up and expected: unclean.
  else Object.assign(s.attrs, { in_ccm: "false", crmd: "online", join: "member", expected: "member" });
  if (event === "down")
    s.children = s.children.filter((c) => c.name !== "lrm" && c.name !== "transient_attributes");
  return out;
}

/** Set `have-quorum`. */
export function injectQuorum(cib: XmlElement, quorum: boolean): XmlElement {
  const out = clone(cib);
  out.attrs["have-quorum"] = quorum ? "1" : "0";
  return out;
}

/** The configured primitive for a (possibly clone-instance) resource id, and whether it is in an anonymous clone. */
function primitiveOf(cib: XmlElement, rsc: string): { prim: XmlElement; anonymous: boolean } | undefined {
  const base = rsc.replace(/:\d+$/, "");
  const stack: { e: XmlElement; clone: XmlElement | undefined }[] = child(
    child(cib, "configuration"),
    "resources",
  ).children.map((e) => ({ e, clone: undefined }));
  while (stack.length > 0) {
    const { e, clone: c } = stack.pop()!;
    if (e.name === "primitive" && e.attrs.id === base) {
      const unique = c?.children.some((m) =>
        m.children.some(
          (p) => p.attrs.name === "globally-unique" && /^(true|yes|on|y|1)$/i.test(p.attrs.value ?? ""),
        ),
      );
      return { prim: e, anonymous: !!c && !unique };
    }
    const isClone = e.name === "clone" || e.name === "master";
    for (const x of e.children) stack.push({ e: x, clone: isClone ? e : c });
  }
  return undefined;
}

function paramsOf(prim: XmlElement | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const set of prim?.children ?? []) {
    if (set.name !== "instance_attributes") continue;
    for (const p of set.children)
      if (p.name === "nvpair" && p.attrs.name) out.set(p.attrs.name, p.attrs.value ?? "");
  }
  return out;
}

function expectedRc(task: string, intervalMs: number, rc: number): number {
  if (task === "monitor" && intervalMs === 0) return 7;
  return rc === 8 && task === "monitor" ? 8 : 0;
}

/** Record one operation result in a node's history (as the executor would), returning the new CIB. */
export function injectOp(cib: XmlElement, spec: OpSpec, now: number, expected?: number): XmlElement {
  const out = clone(cib);
  recordOp(out, spec, now, expected ?? expectedRc(spec.task, spec.intervalMs, spec.rc));
  return out;
}

function recordOp(cib: XmlElement, spec: OpSpec, now: number, expected: number): void {
  const s = nodeState(cib, spec.node);
  const lrm = child(child(s, "lrm", { id: s.attrs.id ?? spec.node }), "lrm_resources");
  const found = primitiveOf(cib, spec.resource);
  const prim = found?.prim;
  // Anonymous clone instances keep their history under the configured id, whatever instance ran.
  const rid = found?.anonymous ? spec.resource.replace(/:\d+$/, "") : spec.resource;
  let r = lrm.children.find(
    (x) => x.name === "lrm_resource" && (x.attrs.id === rid || x.attrs.id === spec.resource),
  );
  if (!r) {
    const attrs: Record<string, string> = {
      id: rid,
      class: prim?.attrs.class ?? "ocf",
      type: prim?.attrs.type ?? "",
    };
    if (prim?.attrs.provider) attrs.provider = prim.attrs.provider;
    r = el("lrm_resource", attrs);
    lrm.children.push(r);
  }
  let callId = 0;
  for (const o of r.children) callId = Math.max(callId, Number.parseInt(o.attrs["call-id"] ?? "0", 10) || 0);
  const hid = r.attrs.id ?? rid;
  const key = `${hid}_${spec.task}_${spec.intervalMs}`;
  // The last result of each recurring operation, and of all one-shot ones, is kept; as the executor does.
  const id = spec.intervalMs > 0 ? key : `${hid}_last_0`;
  const failed = spec.rc !== expected;
  r.children = r.children.filter(
    (o) => o.attrs.id !== id && !(failed && o.attrs.id === `${hid}_last_failure_0`),
  );
  const op = el("lrm_rsc_op", {
    id,
    operation_key: key,
    operation: spec.task,
    "transition-key": `0:0:${expected}:00000000-0000-0000-0000-000000000000`,
    "call-id": String(callId + 1),
    "rc-code": String(spec.rc),
    "op-status": "0",
    interval: String(spec.intervalMs),
    "last-rc-change": String(now),
    "op-digest": paramsDigest(paramsOf(prim)),
  });
  r.children.push(op);
  if (failed) r.children.push({ ...op, attrs: { ...op.attrs, id: `${hid}_last_failure_0` } });
}

/**
 * The CIB after the transition ran: every executed resource action recorded
 * in its node's history with success (or with the result --op-fail gives
 * it); an action waiting for a failed one does not run. Fencing and
 * pseudo actions leave no history.
 */
export function applyTransition(
  cib: XmlElement,
  res: ScheduleResult,
  fail: OpSpec[],
  now: number,
): XmlElement {
  const out = clone(cib);
  const failedIds = new Set<number>();
  for (const a of topoOrder(res.graph)) {
    if (a.inputs.some((i) => failedIds.has(i))) {
      failedIds.add(a.id);
      continue;
    }
    // Notifications change no state and leave no history here.
    if (a.pseudo || !a.resource || !a.node || a.task === "stonith" || a.task === "notify") continue;
    const task = a.task;
    const promoted =
      task === "promote" || (task === "monitor" && a.intervalMs > 0 && isPromotedMonitor(res, a.resource));
    const expected = task === "monitor" && a.intervalMs === 0 ? 7 : promoted && task === "monitor" ? 8 : 0;
    const base = a.resource.replace(/:\d+$/, "");
    const f = fail.find(
      (s) =>
        (s.resource === a.resource || s.resource === base) &&
        s.task === task &&
        s.intervalMs === a.intervalMs &&
        s.node === a.node,
    );
    const rc = f ? f.rc : expected;
    recordOp(out, { resource: a.resource, task, intervalMs: a.intervalMs, node: a.node, rc }, now, expected);
    if (f && f.rc !== expected) {
      failedIds.add(a.id);
      countFailure(out, f, a.resource, now);
    }
  }
  return out;
}

/** A failed action raises the resource's fail count on its node, as the controller would. */
function countFailure(cib: XmlElement, spec: OpSpec, rsc: string, now: number): void {
  const s = nodeState(cib, spec.node);
  const attrs = child(
    child(s, "transient_attributes", { id: s.attrs.id ?? spec.node }),
    "instance_attributes",
    {
      id: `status-${s.attrs.id ?? spec.node}`,
    },
  );
  const id = primitiveOf(cib, rsc)?.anonymous ? rsc.replace(/:\d+$/, "") : rsc;
  const op = `${spec.task}_${spec.intervalMs}`;
  const set = (name: string, value: (old: string | undefined) => string): void => {
    let p = attrs.children.find((c) => c.name === "nvpair" && c.attrs.name === name);
    if (!p) {
      p = el("nvpair", { id: `${attrs.attrs.id ?? "status"}-${name}`, name, value: "0" });
      attrs.children.push(p);
    }
    p.attrs.value = value(p.attrs.value);
  };
  set(`fail-count-${id}#${op}`, (old) => String((Number.parseInt(old ?? "0", 10) || 0) + 1));
  set(`last-failure-${id}#${op}`, () => String(now));
}

function isPromotedMonitor(res: ScheduleResult, rsc: string): boolean {
  return res.placement.some((p) => p.resource === rsc && p.role === "Promoted");
}

/** Where each resource is, and in which role, according to a CIB's status section (after applyTransition). */
export function statusPlacement(res: ScheduleResult): PlacementEntry[] {
  const out: PlacementEntry[] = [];
  for (const p of res.workingSet.primitives) {
    for (const n of p.runningOn) {
      const promotable = isPromotable(p);
      let role: PlacementEntry["role"] =
        p.role === "Promoted" ? "Promoted" : promotable ? "Unpromoted" : "Started";
      if (p.failedOn.has(n.id)) role = "Failed";
      out.push({ resource: p.id, role, node: n.uname });
    }
  }
  return out;
}
