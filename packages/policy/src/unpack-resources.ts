import { optionalDurationMs, parseDurationMs, type XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import { parseRole, type OpDef, type Rsc, type RscKind, type WorkingSet } from "./model.js";
import type { IdIndex } from "./id-index.js";
import { readNvsets } from "./nvpairs.js";
import { INFINITY, isTrue, scoreOr } from "./scores.js";
import { section } from "./unpack-config.js";

interface UnpackCtx {
  ws: WorkingSet;
  ids: IdIndex;
}

function newRsc(id: string, baseId: string, kind: RscKind, parent: Rsc | undefined): Rsc {
  return {
    id,
    baseId,
    kind,
    parent,
    children: [],
    meta: new Map(),
    params: new Map(),
    agent: "",
    ops: [],
    priority: 0,
    stickiness: 0,
    managed: true,
    targetRole: "Unknown",
    critical: true,
    orphan: false,
    failureThreshold: INFINITY,
    failureTimeoutSec: 0,
    failuresIgnoredOn: new Set(),
    noPromoteOn: new Set(),
    promotable: false,
    unique: false,
    cloneMax: 0,
    cloneMin: 0,
    cloneNodeMax: 1,
    promotedMax: 1,
    promotedNodeMax: 1,
    interleave: false,
    ordered: false,
    requireAll: true,
    runningOn: [],
    role: "Unknown",
    failed: false,
    failedOn: new Set(),
    changedOn: new Set(),
    reloadOn: new Set(),
    knownOn: new Set(),
    historyIds: new Map(),
    blocked: false,
    migratedTo: [],
    migratedFrom: new Map(),
    failedMigrateTo: [],
    failedMigrateFrom: new Map(),
    historyBeyondProbesOn: new Set(),
    danglingOn: [],
    partialTarget: undefined,
    allowed: new Map(),
    allocatedTo: undefined,
    nextRole: "Unknown",
    provisional: true,
    allocating: false,
    merging: false,
    withPrimaries: [],
    withDependents: [],
    promotionScore: 0,
    promotedLocations: [],
    instance: -1,
    utilization: new Map(),
  };
}

function resolveTemplate(el: XmlElement, ids: IdIndex): XmlElement {
  const tpl = el.attrs.template;
  if (tpl === undefined) return el;
  const t = ids.get(tpl);
  if (!t) return el;
  return {
    name: "primitive",
    attrs: { ...t.attrs, ...el.attrs },
    children: [...el.children, ...t.children],
  };
}

function applyMeta(rsc: Rsc, el: XmlElement, ctx: UnpackCtx): void {
  readNvsets(el, "meta_attributes", ctx.ids, { now: ctx.ws.now }, rsc.meta);
  if (rsc.parent) {
    for (const [k, v] of rsc.parent.meta) if (!rsc.meta.has(k)) rsc.meta.set(k, v);
  }
  // Defaults come last; for a primitive their rules may test its agent (rsc_expression).
  const defaults =
    rsc.kind === "primitive" && ctx.ws.rscDefaultsEl
      ? readNvsets(ctx.ws.rscDefaultsEl, "meta_attributes", ctx.ids, {
          now: ctx.ws.now,
          rscClass: el.attrs.class,
          rscProvider: el.attrs.provider,
          rscType: el.attrs.type,
        })
      : ctx.ws.rscDefaults;
  for (const [k, v] of defaults) if (!rsc.meta.has(k)) rsc.meta.set(k, v);
  readNvsets(el, "instance_attributes", ctx.ids, { now: ctx.ws.now }, rsc.params);
  const m = rsc.meta;
  rsc.priority = scoreOr(m.get("priority"), 0);
  const stick = m.get("resource-stickiness") ?? m.get("resource_stickiness");
  rsc.stickiness = stick === undefined ? ctx.ws.options.defaultStickiness : scoreOr(stick, 0);
  rsc.managed = m.get("is-managed") === undefined ? true : isTrue(m.get("is-managed"));
  if (ctx.ws.options.maintenanceMode || isTrue(m.get("maintenance"))) rsc.managed = false;
  rsc.targetRole = parseRole(m.get("target-role"));
  rsc.critical = m.get("critical") === undefined ? true : isTrue(m.get("critical"));
  const thr = m.get("migration-threshold");
  rsc.failureThreshold = thr === undefined ? INFINITY : scoreOr(thr, INFINITY);
  if (rsc.failureThreshold <= 0) rsc.failureThreshold = INFINITY;
  rsc.failureTimeoutSec = Math.floor(
    optionalDurationMs(m.get("failure-timeout"), 0, `${rsc.id} failure-timeout`) / 1000,
  );
}

function unpackOps(rsc: Rsc, el: XmlElement, ctx: UnpackCtx): void {
  const opsEl = el.children.find((c) => c.name === "operations");
  const dfltTimeout = optionalDurationMs(ctx.ws.opDefaults.get("timeout"), 20_000, "op_defaults timeout");
  for (const raw of opsEl?.children ?? []) {
    if (raw.name !== "op") continue;
    const op = raw.attrs["id-ref"] !== undefined ? (ctx.ids.get(raw.attrs["id-ref"]!) ?? raw) : raw;
    const meta = readNvsets(op, "meta_attributes", ctx.ids, { now: ctx.ws.now });
    const def: OpDef = {
      name: op.attrs.name ?? "",
      intervalMs: optionalDurationMs(
        op.attrs.interval ?? meta.get("interval"),
        0,
        `op ${op.attrs.id} interval`,
      ),
      timeoutMs: opTimeoutMs(op.attrs.timeout ?? meta.get("timeout"), dfltTimeout, `op ${op.attrs.id}`, ctx),
      role: parseRole(op.attrs.role),
      enabled: op.attrs.enabled === undefined ? true : isTrue(op.attrs.enabled),
      params: readNvsets(op, "instance_attributes", ctx.ids, { now: ctx.ws.now }),
    };
    const onFail = op.attrs["on-fail"] ?? meta.get("on-fail");
    if (onFail !== undefined) def.onFail = onFail;
    rsc.ops.push(def);
  }
}

/**
 * An operation's timeout. One that is not a duration falls back to the
 * default, with a warning (as Pacemaker does): unlike a bad interval, which
 * would silently drop a monitor and stays an error, it changes no decision.
 */
function opTimeoutMs(text: string | undefined, dfltMs: number, where: string, ctx: UnpackCtx): number {
  if (text === undefined || text.trim() === "") return dfltMs;
  const t = parseDurationMs(text);
  if (t.ok) return t.value || dfltMs;
  ctx.ws.warnings.push(`${where} timeout: ${t.why}; the default ${dfltMs} ms is used`);
  return dfltMs;
}

function register(rsc: Rsc, ctx: UnpackCtx): void {
  ctx.ws.rscById.set(rsc.id, rsc);
  if (rsc.kind === "primitive") ctx.ws.primitives.push(rsc);
}

function unpackPrimitive(raw: XmlElement, parent: Rsc | undefined, ctx: UnpackCtx, suffix: string): Rsc {
  const el = resolveTemplate(raw, ctx.ids);
  const baseId = el.attrs.id ?? "";
  const rsc = newRsc(baseId + suffix, baseId, "primitive", parent);
  const cls = el.attrs.class ?? "";
  rsc.agent = cls + (el.attrs.provider ? `:${el.attrs.provider}` : "") + `:${el.attrs.type ?? ""}`;
  applyMeta(rsc, el, ctx);
  unpackOps(rsc, el, ctx);
  rsc.utilization = utilizationOf(el, ctx.ids, ctx.ws.now);
  register(rsc, ctx);
  return rsc;
}

function unpackGroup(el: XmlElement, parent: Rsc | undefined, ctx: UnpackCtx, suffix: string): Rsc {
  const baseId = el.attrs.id ?? "";
  const rsc = newRsc(baseId + suffix, baseId, "group", parent);
  applyMeta(rsc, el, ctx);
  register(rsc, ctx);
  for (const c of el.children) {
    if (c.name === "primitive") rsc.children.push(unpackPrimitive(c, rsc, ctx, suffix));
  }
  return rsc;
}

function intMeta(rsc: Rsc, names: string[], dflt: number): number {
  for (const n of names) {
    const v = rsc.meta.get(n);
    if (v !== undefined) return scoreOr(v, dflt);
  }
  return dflt;
}

function unpackClone(el: XmlElement, ctx: UnpackCtx, nodeCount: number): Rsc {
  const baseId = el.attrs.id ?? "";
  const rsc = newRsc(baseId, baseId, "clone", undefined);
  applyMeta(rsc, el, ctx);
  if (rsc.meta.get("resource-stickiness") === undefined && !ctx.ws.rscDefaults.has("resource-stickiness")) {
    rsc.stickiness = 1;
    rsc.meta.set("resource-stickiness", "1");
  }
  rsc.promotable = el.name === "master" || isTrue(rsc.meta.get("promotable"));
  rsc.unique = isTrue(rsc.meta.get("globally-unique"));
  rsc.cloneMax = Math.max(0, intMeta(rsc, ["clone-max"], nodeCount));
  rsc.cloneMin = Math.max(0, intMeta(rsc, ["clone-min"], 0));
  rsc.cloneNodeMax = Math.max(0, intMeta(rsc, ["clone-node-max"], 1));
  rsc.promotedMax = Math.max(0, intMeta(rsc, ["promoted-max", "master-max"], 1));
  rsc.promotedNodeMax = Math.max(0, intMeta(rsc, ["promoted-node-max", "master-node-max"], 1));
  rsc.interleave = isTrue(rsc.meta.get("interleave"));
  rsc.ordered = isTrue(rsc.meta.get("ordered"));
  register(rsc, ctx);
  const child = el.children.find((c) => c.name === "primitive" || c.name === "group");
  if (!child) return rsc;
  ctx.ws.cloneTemplates.set(rsc, child);
  for (let i = 0; i < rsc.cloneMax; i++) {
    const inst = addInstance(rsc, child, ctx, i);
    inst.instance = i;
  }
  return rsc;
}

/** Create clone instance number `i` (also used for orphaned instances found in status). */
export function addInstance(
  clone: Rsc,
  child: XmlElement,
  ctx: { ws: WorkingSet; ids: IdIndex },
  i: number,
): Rsc {
  const suffix = `:${i}`;
  const inst =
    child.name === "group"
      ? unpackGroup(child, clone, ctx, suffix)
      : unpackPrimitive(child, clone, ctx, suffix);
  inst.instance = i;
  clone.children.push(inst);
  return inst;
}

/** Every resource in <resources>, in configuration order. */
export function unpackResources(cib: XmlElement, ws: WorkingSet, ids: IdIndex): void {
  const ctx: UnpackCtx = { ws, ids };
  const resourcesEl = section(cib, "configuration", "resources");
  for (const el of resourcesEl?.children ?? []) {
    switch (el.name) {
      case "primitive":
        ws.resources.push(unpackPrimitive(el, undefined, ctx, ""));
        break;
      case "group":
        ws.resources.push(unpackGroup(el, undefined, ctx, ""));
        break;
      case "clone":
      case "master":
        ws.resources.push(unpackClone(el, ctx, ws.nodes.length));
        break;
      case "template":
        break;
      case "bundle":
        throw new HacrmError({
          code: "BUNDLE_UNSUPPORTED",
          where: `bundle ${el.attrs.id ?? ""}`,
          message: "bundles are not supported by hacrm's policy engine yet",
        });
      default:
        break;
    }
  }
}

/** Create an orphan primitive for history of a resource no longer configured. */
export function addOrphan(ws: WorkingSet, id: string, lrm: XmlElement): Rsc {
  const rsc = newRsc(id, id, "primitive", undefined);
  rsc.orphan = true;
  const cls = lrm.attrs.class ?? "";
  rsc.agent = cls + (lrm.attrs.provider ? `:${lrm.attrs.provider}` : "") + `:${lrm.attrs.type ?? ""}`;
  for (const [k, v] of ws.rscDefaults) rsc.meta.set(k, v);
  // stop-orphan-resources=false leaves orphans alone (unmanaged), as Pacemaker does.
  rsc.managed =
    !ws.options.maintenanceMode &&
    ws.options.stopOrphans &&
    (rsc.meta.get("is-managed") === undefined || isTrue(rsc.meta.get("is-managed")));
  rsc.targetRole = "Stopped";
  ws.rscById.set(id, rsc);
  ws.primitives.push(rsc);
  ws.resources.push(rsc);
  return rsc;
}

/** An element's `<utilization>` sets as numbers (non-numeric values count as 0). */
export function utilizationOf(el: XmlElement, ids: IdIndex, now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of readNvsets(el, "utilization", ids, { now })) out.set(k, Number.parseInt(v, 10) || 0);
  return out;
}

export function allPrimitives(rsc: Rsc): Rsc[] {
  if (rsc.kind === "primitive") return [rsc];
  return rsc.children.flatMap(allPrimitives);
}

export function topOf(rsc: Rsc): Rsc {
  let r = rsc;
  while (r.parent) r = r.parent;
  return r;
}
