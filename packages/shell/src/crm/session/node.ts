import { element, type XmlElement } from "@hacrm/cib";
import type { Word } from "../lang/ast.js";
import { section, semanticError } from "../lang/doc.js";
import { attributeVerb, getNvpair, need, upsertNvpair, type TopContext } from "./nvsets.js";
import { nodeShow } from "./status.js";

/** Top-level `node` commands: what crm_attribute and crm_node change in the CIB. */

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
  "status",
  "clearstate",
  "delete",
  "fence",
];

/** `standby|online NODE [forever|reboot]`: permanent in the node's set, or transient in the status section. */
function standby(ctx: TopContext, on: boolean, args: Word[]): void {
  if (args[1]?.text === "--all") {
    // pcs's `--all`: every node of the configuration.
    for (const n of section(ctx.cib, "nodes").children) {
      const name = n.attrs["uname"] ?? n.attrs["id"] ?? "";
      standby(ctx, on, [args[0] as Word, { text: name, pos: (args[1] as Word).pos }, ...args.slice(2)]);
    }
    return;
  }
  const withNode = nodeArgs(ctx, args);
  const n = nodeEl(ctx, need(ctx, withNode, 1, "a node name"));
  const uname = n.attrs["uname"] ?? n.attrs["id"] ?? "";
  const lifetime = withNode[2];
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

function listNodes(ctx: TopContext, els: XmlElement[] = section(ctx.cib, "nodes").children): void {
  const rows = els.map((n) => ({
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

/**
 * `standby|online|maintenance|ready [NODE] ...`: without a node name (nothing,
 * or a lifetime next), the node this shell runs on, as crmsh does; known in
 * live mode only (offline there is no "this node").
 */
function nodeArgs(ctx: TopContext, args: Word[]): Word[] {
  const next = args[1];
  if (next !== undefined && next.text !== "forever" && next.text !== "reboot") return args;
  const verb = args[0] as Word;
  if (ctx.localNode === undefined)
    throw semanticError(
      ctx.source,
      verb.pos,
      `node ${verb.text}: expected a node name`,
      "offline (CIB_file) there is no 'this node': name one",
    );
  return [verb, { text: ctx.localNode, pos: verb.pos }, ...args.slice(1)];
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
      const n = nodeEl(ctx, need(ctx, nodeArgs(ctx, args), 1, "a node name"));
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
      listNodes(ctx);
      return;
    case "show":
    case "status": {
      const els = args[1] ? [nodeEl(ctx, args[1])] : section(ctx.cib, "nodes").children;
      if (ctx.json) {
        listNodes(ctx, els);
        return;
      }
      for (const el of els) for (const l of nodeShow(ctx.cib, el)) ctx.out(l);
      return;
    }
    case "clearstate": {
      const n = nodeEl(ctx, need(ctx, args, 1, "a node name"));
      const status = ctx.cib.children.find((c) => c.name === "status");
      if (status)
        status.children = status.children.filter(
          (c) => !(c.name === "node_state" && c.attrs["id"] === n.attrs["id"]),
        );
      ctx.info(`${n.attrs["uname"] ?? ""}: its state (operation history, transient attributes) is cleared`);
      return;
    }
    case "delete": {
      const n = nodeEl(ctx, need(ctx, args, 1, "a node name"));
      const nodes = section(ctx.cib, "nodes");
      nodes.children = nodes.children.filter((c) => c !== n);
      const status = ctx.cib.children.find((c) => c.name === "status");
      if (status)
        status.children = status.children.filter(
          (c) => !(c.name === "node_state" && c.attrs["id"] === n.attrs["id"]),
        );
      ctx.info(`node ${n.attrs["uname"] ?? ""} deleted`);
      return;
    }
    case "fence":
      nodeEl(ctx, need(ctx, args, 1, "a node name"));
      throw semanticError(
        ctx.source,
        verb.pos,
        ctx.live
          ? "node fence needs the fencer, which hacrmd does not run yet"
          : "node fence needs a running cluster",
        ctx.live
          ? "fence the node by hand, then 'hacrm node clearstate NODE' forgets its state"
          : "offline (CIB_file) there is no fencer to ask; 'hacrm node clearstate NODE' forgets its state",
      );
    default:
      throw semanticError(
        ctx.source,
        verb.pos,
        `node: unknown command '${verb.text}'`,
        `commands: ${NODE_VERBS.join(", ")}`,
      );
  }
}
