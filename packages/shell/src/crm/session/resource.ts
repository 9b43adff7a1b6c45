import { element, type XmlElement } from "@hacrm/cib";
import type { Word } from "../lang/ast.js";
import { IdAllocator, allResources, findResource, section, semanticError } from "../lang/doc.js";

/** What a top-level command may touch; `out` prints data, `info` prints notes. */
export interface TopContext {
  cib: XmlElement;
  source: string;
  json: boolean;
  out: (line: string) => void;
  info: (line: string) => void;
}

function need(ctx: TopContext, args: Word[], k: number, what: string): Word {
  const w = args[k];
  if (!w) throw semanticError(ctx.source, args[k - 1]?.pos, `expected ${what}`);
  return w;
}

/** Set NAME=VALUE in the first set of this kind that holds NAME, else in SETID (created). */
export function upsertNvpair(
  cib: XmlElement,
  owner: XmlElement,
  setName: string,
  setId: string,
  name: string,
  value: string,
): void {
  for (const s of owner.children) {
    if (s.name !== setName) continue;
    const nv = s.children.find((c) => c.name === "nvpair" && c.attrs["name"] === name);
    if (nv) {
      nv.attrs["value"] = value;
      return;
    }
  }
  const ids = new IdAllocator(cib);
  let set = owner.children.find((s) => s.name === setName && s.attrs["id"] === setId);
  if (!set) {
    set = element(setName, { id: ids.fresh(setId) });
    const firstOther = owner.children.findIndex(
      (c) => c.name !== "instance_attributes" && c.name !== "meta_attributes" && c.name !== "utilization",
    );
    if (firstOther < 0 || owner.name === "node") owner.children.push(set);
    else owner.children.splice(firstOther, 0, set);
  }
  set.children.push(element("nvpair", { id: ids.fresh(`${set.attrs["id"] ?? setId}-${name}`), name, value }));
}

/** Remove NAME from every set of this kind; the (maybe empty) sets stay, as crm_resource leaves them. */
export function deleteNvpair(owner: XmlElement, setName: string, name: string): boolean {
  let found = false;
  for (const s of owner.children) {
    if (s.name !== setName) continue;
    const before = s.children.length;
    s.children = s.children.filter((c) => !(c.name === "nvpair" && c.attrs["name"] === name));
    found ||= s.children.length !== before;
  }
  return found;
}

function getNvpair(owner: XmlElement, setName: string, name: string): string | undefined {
  for (const s of owner.children) {
    if (s.name !== setName) continue;
    const nv = s.children.find((c) => c.name === "nvpair" && c.attrs["name"] === name);
    if (nv) return nv.attrs["value"];
  }
  return undefined;
}

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

function attributeVerb(
  ctx: TopContext,
  owner: XmlElement,
  setName: string,
  setId: string,
  args: Word[],
  k: number,
): void {
  const verb = need(ctx, args, k, "set, delete or show");
  const name = need(ctx, args, k + 1, "an attribute name");
  const label = owner.attrs["uname"] ?? owner.attrs["id"] ?? "";
  if (verb.text === "set") {
    upsertNvpair(ctx.cib, owner, setName, setId, name.text, need(ctx, args, k + 2, "a value").text);
  } else if (verb.text === "delete") {
    if (!deleteNvpair(owner, setName, name.text)) ctx.info(`${label} has no attribute ${name.text}`);
  } else if (verb.text === "show" || verb.text === "get") {
    const v = getNvpair(owner, setName, name.text);
    if (v === undefined) throw semanticError(ctx.source, name.pos, `${label} has no attribute ${name.text}`);
    ctx.out(ctx.json ? JSON.stringify({ id: label, name: name.text, value: v }) : v);
  } else throw semanticError(ctx.source, verb.pos, `expected set, delete or show, found '${verb.text}'`);
}

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
];

/** `move RSC NODE` writes cli-prefer-RSC, `ban RSC NODE` cli-ban-RSC-on-NODE; both say they stay. */
function moveOrBan(ctx: TopContext, ban: boolean, args: Word[]): void {
  const r = resource(ctx, need(ctx, args, 1, "a resource id"));
  const node = need(ctx, args, 2, ban ? "the node to ban from" : "the node to move to");
  const id = r.attrs["id"] ?? "";
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

/** `resource VERB ...` on the CIB, as crm_resource would change it. */
export function resourceCommand(ctx: TopContext, args: Word[]): void {
  const verb = need(ctx, args, 0, "a resource command");
  const v = verb.text;
  const rv = ROLE_VERBS[v];
  if (rv) {
    setMeta(ctx, need(ctx, args, 1, "a resource id"), rv[0], rv[1]);
    return;
  }
  switch (v) {
    case "maintenance": {
      const on = args[2]?.text ?? "on";
      setMeta(
        ctx,
        need(ctx, args, 1, "a resource id"),
        "maintenance",
        /^(on|true|yes|1)$/i.test(on) ? "true" : "false",
      );
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
    case "operations":
      throw semanticError(
        ctx.source,
        verb.pos,
        `resource ${v} needs a running cluster`,
        "offline (CIB_file) there is nothing to act on",
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
    case "status":
    case "show":
      listResources(ctx);
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

/** Forget the resource's operation history in the status section (all nodes, or one). */
function cleanup(ctx: TopContext, args: Word[]): void {
  const r = resource(ctx, need(ctx, args, 1, "a resource id"));
  const id = r.attrs["id"] ?? "";
  const node = args[2]?.text;
  const status = ctx.cib.children.find((c) => c.name === "status");
  let n = 0;
  for (const ns of status?.children ?? []) {
    if (node !== undefined && ns.attrs["uname"] !== node) continue;
    for (const lrm of ns.children.filter((c) => c.name === "lrm")) {
      for (const lr of lrm.children.filter((c) => c.name === "lrm_resources")) {
        const before = lr.children.length;
        lr.children = lr.children.filter((c) => c.attrs["id"] !== id);
        n += before - lr.children.length;
      }
    }
  }
  ctx.info(
    `Cleaned up ${id}${node ? ` on ${node}` : ""}: ${n} operation history entr${n === 1 ? "y" : "ies"} removed.`,
  );
}

function nodeEl(ctx: TopContext, w: Word): XmlElement {
  const nodes = section(ctx.cib, "nodes");
  const el =
    nodes.children.find((n) => n.attrs["uname"] === w.text) ??
    nodes.children.find((n) => n.attrs["id"] === w.text);
  if (!el) throw semanticError(ctx.source, w.pos, `node ${w.text} does not exist`, "see 'hacrm node list'");
  return el;
}

export const NODE_VERBS = [
  "standby",
  "online",
  "maintenance",
  "ready",
  "attribute",
  "utilization",
  "list",
  "show",
];

/** `standby|online NODE [forever|reboot]`: permanent in the node's set, or transient in the status section. */
function standby(ctx: TopContext, on: boolean, args: Word[]): void {
  const n = nodeEl(ctx, need(ctx, args, 1, "a node name"));
  const uname = n.attrs["uname"] ?? n.attrs["id"] ?? "";
  const lifetime = args[2];
  if (lifetime && lifetime.text !== "forever" && lifetime.text !== "reboot") {
    throw semanticError(
      ctx.source,
      lifetime.pos,
      `lifetime must be forever or reboot, found '${lifetime.text}'`,
    );
  }
  const value = on ? "on" : "off";
  if (lifetime?.text !== "reboot") {
    upsertNvpair(ctx.cib, n, "instance_attributes", `${uname}-instance_attributes`, "standby", value);
    return;
  }
  const id = n.attrs["id"] ?? uname;
  let status = ctx.cib.children.find((c) => c.name === "status");
  if (!status) {
    status = element("status");
    ctx.cib.children.push(status);
  }
  let state = status.children.find((c) => c.name === "node_state" && c.attrs["id"] === id);
  if (!state) {
    state = element("node_state", { id, uname });
    status.children.push(state);
  }
  let transient = state.children.find((c) => c.name === "transient_attributes");
  if (!transient) {
    transient = element("transient_attributes", { id });
    state.children.push(transient);
  }
  upsertNvpair(ctx.cib, transient, "instance_attributes", `status-${id}`, "standby", value);
  ctx.info(`${uname} is in standby until it reboots (status section)`);
}

function listNodes(ctx: TopContext): void {
  const rows = section(ctx.cib, "nodes").children.map((n) => ({
    id: n.attrs["id"] ?? "",
    uname: n.attrs["uname"] ?? "",
    standby: getNvpair(n, "instance_attributes", "standby") ?? "off",
    attributes: Object.fromEntries(
      n.children
        .filter((s) => s.name === "instance_attributes")
        .flatMap((s) => s.children.map((c) => [c.attrs["name"] ?? "", c.attrs["value"] ?? ""])),
    ),
  }));
  if (ctx.json) ctx.out(JSON.stringify({ nodes: rows }));
  else
    for (const r of rows)
      ctx.out(
        `${r.uname}(${r.id})${r.standby === "on" ? " standby" : ""} ${Object.entries(r.attributes)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`.trimEnd(),
      );
}

/** `node VERB ...` on the CIB, as crmsh/crm_attribute would change it. */
export function nodeCommand(ctx: TopContext, args: Word[]): void {
  const verb = need(ctx, args, 0, "a node command");
  switch (verb.text) {
    case "standby":
    case "online":
      standby(ctx, verb.text === "standby", args);
      return;
    case "maintenance":
    case "ready": {
      const n = nodeEl(ctx, need(ctx, args, 1, "a node name"));
      upsertNvpair(
        ctx.cib,
        n,
        "instance_attributes",
        `nodes-${n.attrs["id"] ?? ""}`,
        "maintenance",
        verb.text === "maintenance" ? "true" : "false",
      );
      return;
    }
    case "attribute":
    case "utilization": {
      const n = nodeEl(ctx, need(ctx, args, 1, "a node name"));
      const util = verb.text === "utilization";
      attributeVerb(
        ctx,
        n,
        util ? "utilization" : "instance_attributes",
        `nodes-${n.attrs["id"] ?? ""}${util ? "-utilization" : ""}`,
        args,
        2,
      );
      return;
    }
    case "list":
    case "show":
      listNodes(ctx);
      return;
    default:
      throw semanticError(
        ctx.source,
        verb.pos,
        `node: unknown command '${verb.text}'`,
        `commands: ${NODE_VERBS.join(", ")}`,
      );
  }
}
