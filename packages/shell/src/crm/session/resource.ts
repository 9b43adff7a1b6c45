import { element, isTrue, type XmlElement } from "@hacrm/cib";
import type { Word } from "../lang/ast.js";
import { IdAllocator, allResources, findResource, section, semanticError } from "../lang/doc.js";
import { attributeVerb, deleteNvpair, getNvpair, need, upsertNvpair, type TopContext } from "./nvsets.js";
import {
  constraints,
  locate,
  operationLine,
  operations,
  resourceList,
  runningNodes,
  scores,
} from "./status.js";

/** Top-level `resource` commands: what crm_resource changes in the CIB. */

function resource(ctx: TopContext, w: Word): XmlElement {
  const r = findResource(ctx.cib, w.text);
  if (!r)
    throw semanticError(ctx.source, w.pos, `resource ${w.text} does not exist`, "see 'hacrm resource list'");
  return r.el;
}

const SET_OF: Record<string, string> = {
  meta: "meta_attributes",
  param: "instance_attributes",
  utilization: "utilization",
};

function setMeta(ctx: TopContext, w: Word, name: string, value: string): void {
  const el = resource(ctx, w);
  upsertNvpair(ctx.cib, el, "meta_attributes", `${w.text}-meta_attributes`, name, value);
}

function location(ctx: TopContext, id: string, rsc: string, node: string, score: string): void {
  const cons = section(ctx.cib, "constraints");
  const attrs = { id, rsc, role: "Started", node, score };
  const existing = cons.children.find((c) => c.name === "rsc_location" && c.attrs["id"] === id);
  if (existing) existing.attrs = attrs;
  else cons.children.push(element("rsc_location", attrs));
}

function clear(ctx: TopContext, rsc: string, node: string | undefined): number {
  const cons = section(ctx.cib, "constraints");
  const before = cons.children.length;
  cons.children = cons.children.filter((c) => {
    const id = c.attrs["id"] ?? "";
    if (c.name !== "rsc_location" || c.attrs["rsc"] !== rsc) return true;
    if (id === `cli-prefer-${rsc}`) return node !== undefined && c.attrs["node"] !== node;
    if (id.startsWith(`cli-ban-${rsc}-on-`)) return node !== undefined && c.attrs["node"] !== node;
    return true;
  });
  return before - cons.children.length;
}

function listResources(ctx: TopContext): void {
  const rows = allResources(ctx.cib).map((r) => ({
    id: r.attrs["id"] ?? "",
    kind: r.name,
    agent: r.attrs["class"]
      ? [r.attrs["class"], r.attrs["provider"], r.attrs["type"]].filter((x) => x !== undefined).join(":")
      : r.attrs["template"]
        ? `@${r.attrs["template"]}`
        : "",
    targetRole: getNvpair(r, "meta_attributes", "target-role") ?? null,
  }));
  if (ctx.json) ctx.out(JSON.stringify({ resources: rows }));
  else
    for (const r of rows)
      ctx.out(
        `${r.id.padEnd(24)} ${r.kind.padEnd(10)} ${r.agent}${r.targetRole ? ` (target-role=${r.targetRole})` : ""}`,
      );
}

const ROLE_VERBS: Record<string, [string, string]> = {
  start: ["target-role", "Started"],
  stop: ["target-role", "Stopped"],
  promote: ["target-role", "Master"],
  demote: ["target-role", "Slave"],
  manage: ["is-managed", "true"],
  unmanage: ["is-managed", "false"],
};

export const RESOURCE_VERBS = [
  "start",
  "stop",
  "promote",
  "demote",
  "manage",
  "unmanage",
  "maintenance",
  "move",
  "migrate",
  "ban",
  "clear",
  "unmigrate",
  "unmove",
  "unban",
  "cleanup",
  "meta",
  "param",
  "utilization",
  "list",
  "status",
  "show",
  "locate",
  "constraints",
  "scores",
  "operations",
  "trace",
  "untrace",
  "restart",
  "failcount",
  "refresh",
];

/** `move RSC NODE` writes cli-prefer-RSC, `ban RSC NODE` cli-ban-RSC-on-NODE; both say they stay. */
function moveOrBan(ctx: TopContext, ban: boolean, args: Word[]): void {
  const r = resource(ctx, need(ctx, args, 1, "a resource id"));
  const node = need(ctx, args, 2, ban ? "the node to ban from" : "the node to move to");
  const id = r.attrs["id"] ?? "";
  const known = knownNodes(ctx.cib);
  if (!known.includes(node.text))
    throw semanticError(
      ctx.source,
      node.pos,
      `node ${node.text} does not exist`,
      known.length > 0 ? `the nodes are ${known.join(", ")}` : "the CIB lists no nodes yet",
    );
  if (ban) {
    location(ctx, `cli-ban-${id}-on-${node.text}`, id, node.text, "-INFINITY");
    ctx.info(`Ban constraint cli-ban-${id}-on-${node.text} created: ${id} will not run on ${node.text}.`);
    ctx.info(`It stays until removed: run 'hacrm resource clear ${id}' to lift it.`);
    return;
  }
  location(ctx, `cli-prefer-${id}`, id, node.text, "INFINITY");
  ctx.info(`Move constraint cli-prefer-${id} created: ${id} prefers ${node.text}.`);
  ctx.info(
    `It stays until removed: run 'hacrm resource clear ${id}' once the move is done, or ${id} can never move back.`,
  );
}

/** The nodes the CIB knows: the nodes section and the status section (as crm_resource looks them up). */
function knownNodes(cib: XmlElement): string[] {
  const names = new Set<string>();
  for (const sec of cib.children)
    for (const c of sec.children)
      if (sec.name === "configuration" && c.name === "nodes")
        for (const n of c.children) if (n.name === "node" && n.attrs["uname"]) names.add(n.attrs["uname"]);
  for (const st of cib.children)
    if (st.name === "status")
      for (const n of st.children)
        if (n.name === "node_state" && n.attrs["uname"]) names.add(n.attrs["uname"]);
  return [...names].sort();
}

/** `resource VERB ...` on the CIB, as crm_resource would change it. */
export function resourceCommand(ctx: TopContext, args: Word[]): void {
  const verb = need(ctx, args, 0, "a resource command");
  const v = verb.text;
  const rv = ROLE_VERBS[v];
  if (rv) {
    const w = need(ctx, args, 1, "a resource id");
    if ((v === "promote" || v === "demote") && !promotable(resource(ctx, w)))
      throw semanticError(
        ctx.source,
        w.pos,
        `${w.text} is not a promotable resource`,
        "promote and demote act on a promotable clone (clone ... meta promotable=true, or ms)",
      );
    setMeta(ctx, w, rv[0], rv[1]);
    return;
  }
  switch (v) {
    case "maintenance": {
      const on = args[2]?.text ?? "on";
      setMeta(ctx, need(ctx, args, 1, "a resource id"), "maintenance", isTrue(on) ? "true" : "false");
      return;
    }
    case "move":
    case "migrate":
    case "ban":
      moveOrBan(ctx, v === "ban", args);
      return;
    case "clear":
    case "unmigrate":
    case "unmove":
    case "unban": {
      const r = resource(ctx, need(ctx, args, 1, "a resource id"));
      const n = clear(ctx, r.attrs["id"] ?? "", args[2]?.text);
      const id = r.attrs["id"] ?? "";
      ctx.info(
        n > 0 ? `Removed ${n} move/ban constraint(s) of ${id}.` : `${id} has no move/ban constraints.`,
      );
      return;
    }
    case "cleanup":
      cleanup(ctx, args);
      return;
    case "restart":
    case "failcount":
    case "refresh":
      throw semanticError(
        ctx.source,
        verb.pos,
        ctx.live ? `resource ${v} is not built yet` : `resource ${v} needs a running cluster`,
        ctx.live
          ? "'resource stop' then 'resource start' restart it; 'resource cleanup' forgets its failures"
          : "offline (CIB_file) there is nothing to act on",
      );
    case "meta":
    case "param":
    case "utilization": {
      const r = resource(ctx, need(ctx, args, 1, "a resource id"));
      const setName = SET_OF[v] as string;
      attributeVerb(ctx, r, setName, `${r.attrs["id"] ?? ""}-${setName}`, args, 2);
      return;
    }
    case "list":
      listResources(ctx);
      return;
    case "status":
    case "show":
    case "locate": {
      const w = args[1];
      if (!w) {
        if (v === "locate") need(ctx, args, 1, "a resource id");
        ctx.out(
          ctx.json
            ? JSON.stringify({ resources: allResources(ctx.cib).map((r) => r.attrs["id"]) })
            : resourceList(ctx.cib, ctx.now),
        );
        return;
      }
      const id = resource(ctx, w).attrs["id"] ?? "";
      if (ctx.json) ctx.out(JSON.stringify({ id, runningOn: runningNodes(ctx.cib, ctx.now, id) }));
      // Like crm_resource --locate: where it runs on standard output, "NOT running" on standard error.
      else for (const l of locate(ctx.cib, ctx.now, id)) (l.endsWith("NOT running") ? ctx.info : ctx.out)(l);
      return;
    }
    case "constraints": {
      const id = resource(ctx, need(ctx, args, 1, "a resource id")).attrs["id"] ?? "";
      for (const l of constraints(ctx.cib, id)) ctx.out(l);
      return;
    }
    case "scores":
      ctx.out(scores(ctx.cib, ctx.now));
      return;
    case "operations": {
      const rsc = args[1] ? (resource(ctx, args[1]).attrs["id"] ?? "") : undefined;
      const ops = operations(ctx.cib, rsc, args[2]?.text);
      if (ctx.json) ctx.out(JSON.stringify({ operations: ops }));
      else for (const o of ops) ctx.out(operationLine(o));
      return;
    }
    case "trace":
    case "untrace":
      trace(ctx, v === "trace", args);
      return;
    default:
      throw semanticError(
        ctx.source,
        verb.pos,
        `resource: unknown command '${v}'`,
        `commands: ${RESOURCE_VERBS.join(", ")}`,
      );
  }
}

/** An ms, or a clone with promotable=true (as crmsh checks before promote and demote). */
function promotable(el: XmlElement): boolean {
  if (el.name === "master") return true;
  return (
    el.name === "clone" && /^(true|yes|on|1)$/i.test(getNvpair(el, "meta_attributes", "promotable") ?? "")
  );
}

/** The primitives of a resource (itself, or the members of a group, clone, bundle). */
function primitiveIds(el: XmlElement): string[] {
  const out: string[] = [];
  const visit = (e: XmlElement): void => {
    if (e.name === "primitive") out.push(e.attrs["id"] ?? "");
    else e.children.forEach(visit);
  };
  visit(el);
  return out;
}

/**
 * Forget the operation history and fail counts in the status section, of one
 * resource (all nodes, or one) or, with no resource named, of every resource.
 */
function cleanup(ctx: TopContext, args: Word[]): void {
  const r = args[1] ? resource(ctx, args[1]) : undefined;
  const ids = new Set(r ? primitiveIds(r) : []);
  const base = (id: string): string => id.replace(/:\d+$/, "");
  const node = args[2]?.text;
  const status = ctx.cib.children.find((c) => c.name === "status");
  let n = 0;
  for (const ns of status?.children ?? []) {
    if (node !== undefined && ns.attrs["uname"] !== node) continue;
    for (const lrm of ns.children.filter((c) => c.name === "lrm")) {
      for (const lr of lrm.children.filter((c) => c.name === "lrm_resources")) {
        const before = lr.children.length;
        // With no resource named, everything goes, resources no longer configured too.
        lr.children = r ? lr.children.filter((c) => !ids.has(base(c.attrs["id"] ?? ""))) : [];
        n += before - lr.children.length;
      }
    }
    for (const t of ns.children.filter((c) => c.name === "transient_attributes"))
      for (const set of t.children)
        set.children = set.children.filter((nv) => {
          const m = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(nv.attrs["name"] ?? "");
          return !m || (r !== undefined && !ids.has(base(m[1] ?? "")));
        });
  }
  const what = r ? (r.attrs["id"] ?? "") : "all resources";
  ctx.info(
    `Cleaned up ${what}${node ? ` on ${node}` : ""}: ${n} operation history entr${n === 1 ? "y" : "ies"} removed.`,
  );
}

/** `trace RSC [OP [INTERVAL]]`: trace_ra=1 on the operations (start and stop added when missing), as crmsh does. */
function trace(ctx: TopContext, on: boolean, args: Word[]): void {
  const r = resource(ctx, need(ctx, args, 1, "a resource id"));
  if (r.name !== "primitive")
    throw semanticError(
      ctx.source,
      args[1]?.pos,
      `${r.attrs["id"] ?? ""} is a ${r.name}: trace one of its primitives`,
    );
  const id = r.attrs["id"] ?? "";
  const opName = args[2]?.text === "probe" ? "monitor" : args[2]?.text;
  const interval = args[3]?.text ?? (args[2]?.text === "probe" ? "0" : undefined);
  let ops = r.children.find((c) => c.name === "operations");
  const matching = (): XmlElement[] =>
    (ops?.children ?? []).filter(
      (o) =>
        o.name === "op" &&
        (opName === undefined || o.attrs["name"] === opName) &&
        (interval === undefined ||
          (Number.parseInt(o.attrs["interval"] ?? "0", 10) || 0) === (Number.parseInt(interval, 10) || 0)),
    );
  if (!on) {
    for (const o of matching()) {
      deleteNvpair(o, "instance_attributes", "trace_ra");
      o.children = o.children.filter((c) => c.name !== "instance_attributes" || c.children.length > 0);
    }
    ctx.info(`Stop tracing ${id}${opName ? ` for operation ${opName}` : ""}`);
    return;
  }
  const wanted = opName ? [opName] : ["start", "stop"];
  if (opName === "monitor" && matching().length === 0 && interval === undefined)
    throw semanticError(ctx.source, args[2]?.pos, `No monitor operation configured for ${id}`);
  const ids = new IdAllocator(ctx.cib);
  for (const name of wanted) {
    const have = (ops?.children ?? []).some(
      (o) => o.attrs["name"] === name && (interval === undefined || o.attrs["interval"] === interval),
    );
    if (have) continue;
    if (!ops) {
      ops = element("operations");
      r.children.push(ops);
    }
    const iv = interval ?? "0";
    ops.children.push(element("op", { name, interval: iv, id: ids.fresh(`${id}-${name}-${iv}`) }));
  }
  for (const o of matching().length > 0 ? matching() : (ops?.children ?? []))
    upsertNvpair(
      ctx.cib,
      o,
      "instance_attributes",
      `${o.attrs["id"] ?? ""}-instance_attributes`,
      "trace_ra",
      "1",
    );
  ctx.info(`Trace for ${id}${opName ? `:${opName}` : ""} set: restart ${id} to trace its actions.`);
}
