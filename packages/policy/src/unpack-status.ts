import type { XmlElement } from "@hacrm/cib";
import { roleRank, type PNode, type Role, type Rsc, type WorkingSet } from "./model.js";
import { addInstance, addOrphan, allPrimitives } from "./unpack-resources.js";
import type { IdIndex } from "./id-index.js";
import { INFINITY, scoreOr } from "./scores.js";
import { section } from "./unpack-config.js";
import { definitionChange, type DefinitionChange } from "./digest.js";
import { markUnclean } from "./unpack-nodes.js";

/** What one resource's operation history on one node says. */
export interface HistoryResult {
  role: Role;
  failed: boolean;
  blocked: boolean;
  /** Node bans produced by hard errors: "node" bans this node, "all" bans every node. */
  ban: "none" | "node" | "all";
  stopOnFail: boolean;
  /** A promoted-role failure with on-fail=demote: demote, do not recover. */
  demoteOnFail: boolean;
  /** A failure whose answer is fencing the node (on-fail=fence; a failed stop by default). */
  fenceOnFail: boolean;
  known: boolean;
  /** Active with parameters that differ from the recorded digest: restart, or reload. */
  changed: DefinitionChange;
  /** Failures of operations with on-fail=ignore, and of the others. */
  ignoredFailures: number;
  countedFailures: number;
  /** The last state change was a successful migrate_to towards this node name. */
  migratedTo: string | undefined;
  /** The history since the last start or stop holds a migrate_from from this node name. */
  migratedFrom: string | undefined;
  /** A migrate_to towards this node name failed, and no start or migration here followed it. */
  failedMigrateTo: string | undefined;
  /** A migrate_from from this node name failed here, and no start or migration here followed it. */
  failedMigrateFrom: string | undefined;
  /** The history holds nothing but probes. */
  onlyProbes: boolean;
}

interface OpRecord {
  task: string;
  intervalMs: number;
  rc: number;
  status: number;
  callId: number;
  expected: number;
  el: XmlElement;
}

function toOp(el: XmlElement): OpRecord {
  const key = el.attrs["transition-key"] ?? "";
  const parts = key.split(":");
  const interval = Number.parseInt(el.attrs.interval ?? "0", 10) || 0;
  const task = el.attrs.operation ?? "";
  let expected = parts.length >= 4 ? Number.parseInt(parts[2] ?? "0", 10) : NaN;
  if (Number.isNaN(expected)) expected = task === "monitor" && interval === 0 ? 7 : 0;
  const callId = Number.parseInt(el.attrs["call-id"] ?? "0", 10);
  return {
    task,
    intervalMs: interval,
    rc: Number.parseInt(el.attrs["rc-code"] ?? "0", 10) || 0,
    status: Number.parseInt(el.attrs["op-status"] ?? "0", 10) || 0,
    callId: Number.isNaN(callId) ? 0 : callId,
    expected,
    el,
  };
}

function onFailFor(rsc: Rsc, op: OpRecord): string | undefined {
  const def = rsc.ops.find((o) => o.name === op.task && o.intervalMs === op.intervalMs);
  return def?.onFail?.toLowerCase();
}

function applySuccess(res: HistoryResult, op: OpRecord): void {
  switch (op.task) {
    case "start":
    case "migrate_from":
      res.role = "Started";
      res.failed = false;
      break;
    case "migrate_to":
      res.role = "Started";
      break;
    case "stop":
      res.role = "Stopped";
      res.failed = false;
      res.blocked = false;
      res.fenceOnFail = false;
      break;
    case "promote":
      res.role = "Promoted";
      res.failed = false;
      break;
    case "demote":
      res.role = "Unpromoted";
      res.failed = false;
      break;
    case "monitor":
      if (op.rc === 8) res.role = "Promoted";
      else if (res.role === "Unknown" || res.role === "Stopped") res.role = "Started";
      break;
    default:
      break;
  }
}

function applyFailure(rsc: Rsc, res: HistoryResult, op: OpRecord, hard: "none" | "node" | "all"): void {
  const onFail = onFailFor(rsc, op);
  // An agent that is not installed fails whatever on-fail says.
  if (onFail === "ignore" && op.status !== 7) {
    res.ignoredFailures++;
    return;
  }
  res.countedFailures++;
  if (onFail === "demote" && res.role === "Promoted" && op.task === "monitor") {
    // Recovery is a demotion: the resource stays active, not promoted here for now.
    res.demoteOnFail = true;
    return;
  }
  if (op.task === "promote" || op.rc === 9) res.role = "Promoted";
  else if (op.task === "demote") res.role = "Promoted";
  else if (op.rc === 8) res.role = "Promoted";
  else if (roleRank(res.role) < roleRank("Started")) res.role = "Started";
  res.failed = true;
  if (hard !== "none") res.ban = hard;
  if (onFail === "fence" || (op.task === "stop" && onFail === undefined)) res.fenceOnFail = true;
  if (op.task === "stop" || onFail === "block") res.blocked = true;
  if (onFail === "stop") res.stopOnFail = true;
}

/** A node's fail count for a resource (all operations, clone instances merged) and its latest failure time. */
export interface FailCount {
  count: number;
  lastFailure: number;
}

/**
 * The fail-count-* and last-failure-* node attributes of resource `baseId`
 * (also counting `baseId:N`, the instances of an anonymous clone).
 */
export function failCountOf(node: PNode, baseId: string, rsc?: Rsc): FailCount {
  let count = 0;
  let lastFailure = 0;
  for (const [k, v] of node.attrs) {
    const fc = k.startsWith("fail-count-");
    if (!fc && !k.startsWith("last-failure-")) continue;
    const [id = "", opKey] = k.slice(fc ? 11 : 13).split("#");
    if (id !== baseId && stripSuffix(id) !== baseId) continue;
    if (rsc && ignoredFailCount(rsc, node, opKey)) continue;
    if (fc) count = Math.min(INFINITY, count + scoreOr(v, 0));
    else lastFailure = Math.max(lastFailure, Number.parseInt(v, 10) || 0);
  }
  return { count, lastFailure };
}

/**
 * Failures of operations with on-fail=ignore do not count towards
 * migration-threshold: `op` is the attribute's "task_intervalms" part, or,
 * for a fail count kept per resource, the history shows only such failures.
 */
function ignoredFailCount(rsc: Rsc, node: PNode, op: string | undefined): boolean {
  if (op === undefined) return rsc.failuresIgnoredOn.has(node.id);
  const m = /^(.*)_(\d+)$/.exec(op);
  if (!m) return false;
  const def = rsc.ops.find((o) => o.name === m[1] && o.intervalMs === Number(m[2]));
  return def?.onFail?.toLowerCase() === "ignore";
}

function anonymousMember(rsc: Rsc): boolean {
  const clone = rsc.parent?.kind === "clone" ? rsc.parent : rsc.parent?.parent;
  return clone?.kind === "clone" && !clone.unique;
}

/** The id fail counts are kept under: the configuration id for anonymous clone members. */
function failCountId(rsc: Rsc): string {
  return anonymousMember(rsc) ? rsc.baseId : rsc.id;
}

/** Whether `failure-timeout` has expired the resource's fail count on a node at `now` (nothing to expire counts as expired). */
export function failCountExpired(rsc: Rsc, fc: FailCount, now: number): boolean {
  if (fc.count <= 0) return true;
  return rsc.failureTimeoutSec > 0 && fc.lastFailure > 0 && fc.lastFailure + rsc.failureTimeoutSec <= now;
}

/**
 * Whether a failed operation is too old to count: `failure-timeout` has
 * passed since it and the fail count has expired as well. A failure with
 * on-fail=block never expires.
 */
function expiredFailure(rsc: Rsc, op: OpRecord, ctx: ReplayContext | undefined): boolean {
  if (!ctx || rsc.failureTimeoutSec <= 0 || onFailFor(rsc, op) === "block") return false;
  const at = Number.parseInt(op.el.attrs["last-rc-change"] ?? op.el.attrs["last-run"] ?? "0", 10) || 0;
  if (at <= 0 || at + rsc.failureTimeoutSec > ctx.now) return false;
  return failCountExpired(rsc, failCountOf(ctx.node, failCountId(rsc)), ctx.now);
}

/** Where and when a history is replayed (for failure-timeout). */
export interface ReplayContext {
  node: PNode;
  now: number;
}

/** Replay one resource's operation history on one node. */
export function replayHistory(rsc: Rsc, lrmRsc: XmlElement, ctx?: ReplayContext): HistoryResult {
  const ops = lrmRsc.children.filter((c) => c.name === "lrm_rsc_op").map(toOp);
  ops.sort((a, b) => (a.callId < 0 ? 1e15 : a.callId) - (b.callId < 0 ? 1e15 : b.callId));
  const res: HistoryResult = {
    role: "Unknown",
    failed: false,
    blocked: false,
    ban: "none",
    stopOnFail: false,
    demoteOnFail: false,
    fenceOnFail: false,
    known: true,
    changed: "none",
    migratedTo: undefined,
    migratedFrom: undefined,
    failedMigrateTo: undefined,
    failedMigrateFrom: undefined,
    onlyProbes: true,
    ignoredFailures: 0,
    countedFailures: 0,
  };
  for (const op of ops) {
    const probe = op.task === "monitor" && op.intervalMs === 0;
    if (!probe) res.onlyProbes = false;
    trackMigration(res, op);
    if (op.status === -1) {
      if (op.task === "start" || op.task === "migrate_from") res.role = "Started";
      else if (op.task === "promote") res.role = "Promoted";
      else if (op.task === "demote") res.role = "Unpromoted";
      continue;
    }
    if (op.status === 1) continue;
    let rc = op.rc;
    // Degraded results (OCF 190, 191) count as success (running, promoted).
    if (rc === 190) rc = 0;
    else if (rc === 191) rc = 8;
    if (op.status === 7) rc = 5;
    else if (op.status === 2) rc = 1;
    // An error status carries the agent's own exit code (e.g. 5, not installed, on a probe).
    else if (op.status === 4) rc = rc === 0 ? 1 : rc;
    // "Unimplemented feature" from a recurring operation is an ordinary failure, not a hard one.
    if (rc === 3 && op.intervalMs > 0) rc = 1;
    else if (op.status === 3 || op.status === 5) rc = rc === 0 ? 4 : rc;
    else if (op.status === 6) rc = 6;
    if (isFailure(op, rc, probe) && expiredFailure(rsc, op, ctx)) continue;
    if (rc === 0) {
      if (op.expected === 7 && !probe && op.task === "monitor") {
        applyFailure(rsc, res, op, "none");
      } else if (
        op.expected === 8 &&
        op.task === "monitor" &&
        !probe &&
        roleRank(res.role) >= roleRank("Promoted")
      ) {
        applyFailure(rsc, res, op, "none");
        res.role = "Unpromoted";
      } else applySuccess(res, op);
    } else if (rc === 7) {
      if (probe || op.expected === 7 || op.task === "stop") {
        res.role = "Stopped";
        if (op.task !== "monitor" || probe) res.failed = false;
      } else applyFailure(rsc, res, op, "none");
    } else if (rc === 8) {
      if (probe || op.expected === 8) res.role = "Promoted";
      else applyFailure(rsc, res, op, "none");
    } else if (rc === 5 && probe) {
      res.role = "Stopped";
      res.ban = "node";
    } else if (rc === 2 || rc === 3 || rc === 4 || rc === 5) {
      applyFailure(rsc, res, op, "node");
    } else if (rc === 6) {
      applyFailure(rsc, res, op, "all");
    } else {
      applyFailure(rsc, res, op, "none");
    }
  }
  if (roleRank(res.role) >= roleRank("Started")) res.changed = definitionChange(rsc, ops);
  return res;
}

/** Which migration the history's latest operations belong to (settled across nodes in resolveMigrations). */
function trackMigration(res: HistoryResult, op: OpRecord): void {
  if (op.status === -1 || op.status === 1) return;
  const ok = op.rc === 0 && op.status === 0;
  switch (op.task) {
    case "migrate_to":
      res.migratedTo = ok ? op.el.attrs.migrate_target : undefined;
      res.failedMigrateTo = ok ? undefined : op.el.attrs.migrate_target;
      break;
    case "migrate_from":
      res.migratedFrom = op.el.attrs.migrate_source ?? "";
      res.failedMigrateFrom = ok ? undefined : op.el.attrs.migrate_source;
      res.failedMigrateTo = undefined;
      break;
    case "start":
    case "promote":
      res.failedMigrateTo = undefined;
      res.failedMigrateFrom = undefined;
      res.migratedTo = undefined;
      res.migratedFrom = undefined;
      break;
    case "stop":
    case "demote":
      res.migratedTo = undefined;
      res.migratedFrom = undefined;
      break;
    default:
      break;
  }
}

/** Whether an operation's result (rc after mapping the status) is a failure the replay acts on. */
function isFailure(op: OpRecord, rc: number, probe: boolean): boolean {
  if (rc === 0) return op.expected === 7 && !probe && op.task === "monitor";
  if (rc === 7) return !probe && op.expected !== 7 && op.task !== "stop";
  if (rc === 8) return !probe && op.expected !== 8;
  return true;
}

function recordResult(rsc: Rsc, node: PNode, res: HistoryResult, bans: Ban[], fencing: boolean): void {
  rsc.knownOn.add(node.id);
  if (fencing && node.unclean && !node.online) {
    // The node will be fenced anyway: that stops the resource, whatever its failures asked for.
    res.blocked = false;
    res.failed = false;
  } else if (res.fenceOnFail && res.failed && fencing) {
    // Fencing the node answers the failure (and stops the resource): nothing is blocked.
    res.blocked = false;
    markUnclean(node, `${rsc.id} failed there`);
  }
  if (res.migratedTo !== undefined && roleRank(res.role) >= roleRank("Started"))
    rsc.migratedTo.push({ source: node, target: res.migratedTo });
  if (res.migratedFrom !== undefined) rsc.migratedFrom.set(node.id, res.migratedFrom);
  if (res.failedMigrateTo !== undefined)
    rsc.failedMigrateTo.push({ source: node, target: res.failedMigrateTo });
  if (res.failedMigrateFrom !== undefined) rsc.failedMigrateFrom.set(node.id, res.failedMigrateFrom);
  if (!res.onlyProbes) rsc.historyBeyondProbesOn.add(node.id);
  if (res.ignoredFailures > 0 && res.countedFailures === 0) rsc.failuresIgnoredOn.add(node.id);
  if (roleRank(res.role) >= roleRank("Started")) {
    rsc.runningOn.push(node);
    if (roleRank(res.role) > roleRank(rsc.role)) rsc.role = res.role;
  } else if (rsc.role === "Unknown") {
    rsc.role = "Stopped";
  }
  if (res.failed && roleRank(res.role) >= roleRank("Started")) {
    rsc.failed = true;
    rsc.failedOn.add(node.id);
  }
  if (res.changed === "restart" && roleRank(res.role) >= roleRank("Started")) rsc.changedOn.add(node.id);
  if (res.changed === "reload" && roleRank(res.role) >= roleRank("Started")) rsc.reloadOn.add(node.id);
  if (res.blocked && roleRank(res.role) >= roleRank("Started")) {
    rsc.blocked = true;
    rsc.managed = false;
  }
  if (res.stopOnFail && res.failed) rsc.targetRole = "Stopped";
  if (res.demoteOnFail && res.role === "Promoted") rsc.noPromoteOn.add(node.id);
  if (res.ban !== "none")
    bans.push({ rsc, node: res.ban === "all" ? undefined : node, source: "hard-error" });
}

export interface Ban {
  rsc: Rsc;
  node: PNode | undefined;
  source: string;
}

function stripSuffix(id: string): string {
  const i = id.lastIndexOf(":");
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? id.slice(0, i) : id;
}

function suffixOf(id: string): number {
  const i = id.lastIndexOf(":");
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? Number(id.slice(i + 1)) : -1;
}

/** Map config base ids of anonymous clone members to their clone. */
function anonymousBases(ws: WorkingSet): Map<string, Rsc> {
  const m = new Map<string, Rsc>();
  for (const r of ws.resources) {
    if (r.kind !== "clone") continue;
    for (const p of allPrimitives(r)) m.set(p.baseId, r);
  }
  return m;
}

function memberOf(inst: Rsc, baseId: string): Rsc | undefined {
  if (inst.kind === "primitive") return inst.baseId === baseId ? inst : undefined;
  return inst.children.find((c) => c.baseId === baseId);
}

/** An instance beyond clone-max, active in the status section: it is stopped. */
function orphanInstance(clone: Rsc, ctx: { ws: WorkingSet; ids: IdIndex }): Rsc | undefined {
  const tpl = ctx.ws.cloneTemplates.get(clone);
  if (!tpl) return undefined;
  const n = Math.max(clone.cloneMax, ...clone.children.map((c) => c.instance + 1));
  const inst = addInstance(clone, tpl, ctx, n);
  for (const p of [inst, ...allPrimitives(inst)]) {
    p.orphan = true;
    p.targetRole = "Stopped";
  }
  return inst;
}

function instanceActive(inst: Rsc): boolean {
  return allPrimitives(inst).some((p) => p.runningOn.length > 0);
}

function placeAnonymous(
  clone: Rsc,
  node: PNode,
  entries: { el: XmlElement; base: string; suffix: number }[],
  bans: Ban[],
  ctx: { ws: WorkingSet; ids: IdIndex },
): void {
  const sample = clone.children[0];
  if (!sample) return;
  const results = entries.map((e) => {
    const member = memberOf(sample, e.base);
    return { e, res: member ? replayHistory(member, e.el, { node, now: ctx.ws.now }) : undefined };
  });
  const active = results.some((r) => r.res && roleRank(r.res.role) >= roleRank("Started"));
  for (const inst of clone.children) for (const p of allPrimitives(inst)) p.knownOn.add(node.id);
  for (const r of results) {
    if (!r.res || r.res.ban === "none") continue;
    for (const inst of clone.children) {
      const m = memberOf(inst, r.e.base);
      if (m) bans.push({ rsc: m, node: r.res.ban === "all" ? undefined : node, source: "hard-error" });
    }
    bans.push({ rsc: clone, node: r.res.ban === "all" ? undefined : node, source: "hard-error" });
    r.res.ban = "none";
  }
  if (!active) return;
  // Anonymous instances are interchangeable: the history's ":N" suffix is ignored and the
  // first instance not yet active anywhere takes it, in status-section order.
  let chosen = clone.children.find((c) => !instanceActive(c));
  if (!chosen) chosen = orphanInstance(clone, ctx);
  if (!chosen) return;
  for (const r of results) {
    const m = memberOf(chosen, r.e.base);
    if (m && r.res) {
      recordResult(m, node, r.res, bans, ctx.ws.options.stonithEnabled);
      m.historyIds.set(node.id, r.e.el.attrs.id ?? m.id);
    }
  }
}

/** Read the status section into the resources' current state. Returns hard-error bans. */
export function unpackStatus(cib: XmlElement, ws: WorkingSet, ids: IdIndex): Ban[] {
  const bans: Ban[] = [];
  const anon = anonymousBases(ws);
  const statusEl = section(cib, "status");
  for (const state of statusEl?.children ?? []) {
    if (state.name !== "node_state") continue;
    const node = ws.nodesById.get(state.attrs.id ?? "") ?? ws.nodesByName.get(state.attrs.uname ?? "");
    if (!node) continue;
    // Without fencing, a node that is not online runs nothing: its history is not evidence.
    if (!node.online && !ws.options.stonithEnabled) continue;
    const lrmRes = state.children
      .find((c) => c.name === "lrm")
      ?.children.find((c) => c.name === "lrm_resources");
    const perClone = new Map<Rsc, { el: XmlElement; base: string; suffix: number }[]>();
    for (const el of lrmRes?.children ?? []) {
      if (el.name !== "lrm_resource") continue;
      const id = el.attrs.id ?? "";
      const direct = ws.rscById.get(id);
      if (
        direct &&
        direct.kind === "primitive" &&
        !(direct.parent?.kind === "clone" && !direct.parent.unique) &&
        !(direct.parent?.parent?.kind === "clone" && !direct.parent.parent.unique)
      ) {
        recordResult(
          direct,
          node,
          replayHistory(direct, el, { node, now: ws.now }),
          bans,
          ws.options.stonithEnabled,
        );
        continue;
      }
      const base = stripSuffix(id);
      const clone = anon.get(base);
      if (clone && !clone.unique) {
        const list = perClone.get(clone) ?? [];
        list.push({ el, base, suffix: suffixOf(id) });
        perClone.set(clone, list);
        continue;
      }
      if (clone && clone.unique) continue;
      const orphan = ws.rscById.get(id) ?? addOrphan(ws, id, el);
      if (orphan.kind !== "primitive") continue;
      recordResult(
        orphan,
        node,
        replayHistory(orphan, el, { node, now: ws.now }),
        bans,
        ws.options.stonithEnabled,
      );
    }
    for (const [clone, entries] of perClone) {
      if (clone.children[0]?.kind === "primitive" && entries.length > 1) {
        for (const e of entries) placeAnonymous(clone, node, [e], bans, { ws, ids });
      } else placeAnonymous(clone, node, entries, bans, { ws, ids });
    }
  }
  addFailcountBans(ws, bans);
  for (const p of ws.primitives) {
    resolveMigrations(ws, p);
    applyMultipleActive(p);
    // Resources on a node in maintenance are left alone there.
    if (p.runningOn.some((n) => n.maintenance)) p.managed = false;
  }
  return bans;
}

/**
 * A primitive active on more than one node (outside clones) is handled as
 * its `multiple-active` says: stop_start (the default: stop everywhere,
 * start once), stop_only (stop everywhere), block (leave it alone:
 * unmanaged, failed everywhere if it failed anywhere) or stop_unexpected
 * (stop where it should not be; like stop_start here, since the summary
 * reads the same).
 */
function applyMultipleActive(p: Rsc): void {
  if (p.runningOn.length < 2 || p.parent?.kind === "clone" || p.parent?.parent?.kind === "clone") return;
  switch ((p.meta.get("multiple-active") ?? "stop_start").toLowerCase()) {
    case "stop_only":
      p.targetRole = "Stopped";
      break;
    case "block":
      p.managed = false;
      if (p.failed) for (const n of p.runningOn) p.failedOn.add(n.id);
      // The members of its group are blocked with it.
      if (p.parent?.kind === "group") for (const m of p.parent.children) m.managed = false;
      break;
    default:
      break;
  }
}

/**
 * Settle migrations the history left behind. A migrate_to followed by a
 * migrate_from on its target (successful or not) leaves the source to clean
 * up with a stop: the resource is on the target. Without a migrate_from, the
 * migration is half done when the target is online (placing the resource
 * there completes it), and failed when it is not.
 */
function resolveMigrations(ws: WorkingSet, p: Rsc): void {
  for (const m of p.migratedTo) {
    const target = ws.nodesByName.get(m.target) ?? ws.nodesById.get(m.target);
    const stoppedSince = target && !p.runningOn.includes(target);
    if (target && stoppedSince && p.failedMigrateFrom.get(target.id) === m.source.uname) {
      // The target could not take it over and was stopped since: it is still on the source, failed.
      p.failed = true;
      p.failedOn.add(m.source.id);
    } else if (target && p.migratedFrom.has(target.id) && p.runningOn.includes(target)) {
      p.runningOn = p.runningOn.filter((n) => n !== m.source);
      p.failedOn.delete(m.source.id);
      p.danglingOn.push(m.source);
    } else if (target && target.online && !target.unclean) {
      p.partialTarget = target;
    } else {
      p.failed = true;
      p.failedOn.add(m.source.id);
    }
  }
  if (p.danglingOn.length > 0) p.failed = p.failedOn.size > 0;
  for (const m of p.failedMigrateTo) resolveFailedMigrateTo(ws, p, m.source, m.target);
}

/**
 * A migrate_to that failed may have left the resource half running on its
 * target: unless the target's own history says otherwise (anything beyond
 * probes), it counts as active there too. Failed there as well while the
 * source still holds it; when the source was stopped since, it only has to
 * be stopped and started again there (a restart).
 */
function resolveFailedMigrateTo(ws: WorkingSet, p: Rsc, source: PNode, targetName: string): void {
  const target = ws.nodesByName.get(targetName) ?? ws.nodesById.get(targetName);
  if (!target || !target.online || target.unclean) return;
  if (p.runningOn.includes(target) || p.historyBeyondProbesOn.has(target.id)) return;
  p.runningOn.push(target);
  if (p.role === "Unknown" || p.role === "Stopped") p.role = "Started";
  if (p.runningOn.includes(source)) {
    p.failed = true;
    p.failedOn.add(target.id);
  } else {
    p.changedOn.add(target.id);
  }
}

/** A resource whose fail count on a node reached its migration-threshold (and has not expired) is banned there. */
function addFailcountBans(ws: WorkingSet, bans: Ban[]): void {
  const seen = new Set<string>();
  for (const node of ws.nodes) {
    for (const k of node.attrs.keys()) {
      if (!k.startsWith("fail-count-")) continue;
      const id = k.slice("fail-count-".length).split("#")[0] ?? "";
      const exact = ws.rscById.get(id);
      const rsc =
        exact && exact.kind === "primitive" && !anonymousMember(exact)
          ? exact
          : (ws.rscById.get(stripSuffix(id)) ?? ws.rscById.get(`${stripSuffix(id)}:0`));
      if (!rsc || seen.has(`${node.id}\u0000${failCountId(rsc)}`)) continue;
      seen.add(`${node.id}\u0000${failCountId(rsc)}`);
      const fc = failCountOf(node, failCountId(rsc), rsc);
      if (fc.count <= 0 || fc.count < rsc.failureThreshold || failCountExpired(rsc, fc, ws.now)) continue;
      const target = rsc.parent && rsc.parent.kind === "clone" && !rsc.parent.unique ? rsc.parent : rsc;
      bans.push({ rsc: target, node, source: "migration-threshold" });
    }
  }
}
