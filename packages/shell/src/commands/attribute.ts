import { parseArgs } from "node:util";
import { hostname } from "node:os";
import { HacrmError } from "@hacrm/common";
import { changeKind, child, cloneElement, element, problemLine, type XmlElement } from "@hacrm/cib";
import { AttributeDirStore, type AttributeLifetime } from "@hacrm/lrm";
import { ExitStatus, writeLine, type Command } from "../command.js";
import { socketPath } from "../daemon-client.js";
import { liveCibStore } from "../crm/session/live-store.js";
import { fileCibStore, type CibStore } from "../crm/session/store.js";

const usage = `Usage: hacrm attribute [--node NODE] --name NAME
         (--update VALUE | --delete | --query) [--lifetime reboot|forever] [-q]

Set, delete or show a node attribute (like crm_attribute / attrd_updater).
Lifetime "reboot" (transient: status/node_state/transient_attributes)
or "forever" (configuration/nodes/node/instance_attributes; the default).

With CIB_file set, works on that CIB file. With HACRM_ATTR_DIR (or
HACRM_STATE_DIR, then HACRM_STATE_DIR/attributes) set, on that local attribute
store folder, which the executor gives agents. Otherwise on the running
cluster's CIB through the local hacrmd (--socket PATH or HACRM_SOCKET); the
node is then this one by default.

Options:
  -N, --node NODE        node name (default HACRM_NODE, else this node: hacrmd's name
                         for it in live mode, this host's name otherwise)
  -n, --name NAME        attribute name
  -v, --update VALUE     set the value
  -D, --delete           delete the attribute
  -G, --query            print the value (exit 105 when it is not set)
  -l, --lifetime L       reboot or forever (aliases: transient, permanent)
  -q, --quiet            --query prints only the value

Exit 0 on success, 105 when a queried attribute is not set.`;

const notFound = 105;

type Mode = { kind: "update"; value: string } | { kind: "delete" } | { kind: "query" };

interface Request {
  node: string;
  /** --node or HACRM_NODE named it (else this host's name, or in live mode hacrmd's). */
  explicitNode: boolean;
  name: string;
  lifetime: AttributeLifetime;
  mode: Mode;
}

function parseLifetime(v: string | undefined): AttributeLifetime {
  if (v === undefined || v === "forever" || v === "permanent" || v === "nodes") return "forever";
  if (v === "reboot" || v === "transient" || v === "status") return "reboot";
  throw new HacrmError({
    code: "ATTR_LIFETIME",
    where: "--lifetime",
    message: `unknown lifetime '${v}'`,
    hint: "use reboot or forever",
  });
}

function parseRequest(args: string[], env: NodeJS.ProcessEnv): { req: Request; quiet: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      node: { type: "string", short: "N" },
      name: { type: "string", short: "n" },
      update: { type: "string", short: "v" },
      delete: { type: "boolean", short: "D" },
      query: { type: "boolean", short: "G" },
      lifetime: { type: "string", short: "l" },
      quiet: { type: "boolean", short: "q" },
    },
    strict: true,
  });
  const modes = [values.update !== undefined, values.delete === true, values.query === true].filter(
    Boolean,
  ).length;
  if (!values.name || modes !== 1) {
    throw new HacrmError({
      code: "USAGE",
      where: "attribute",
      message: "give --name and exactly one of --update, --delete, --query",
      hint: "see 'hacrm attribute --help'",
    });
  }
  const mode: Mode =
    values.update !== undefined
      ? { kind: "update", value: values.update }
      : values.delete
        ? { kind: "delete" }
        : { kind: "query" };
  const node = values.node ?? env["HACRM_NODE"] ?? hostname();
  return {
    req: {
      node,
      explicitNode: values.node !== undefined || env["HACRM_NODE"] !== undefined,
      name: values.name,
      lifetime: parseLifetime(values.lifetime),
      mode,
    },
    quiet: values.quiet === true,
  };
}

export const command: Command = {
  name: "attribute",
  summary: "set, delete or query a node attribute (like crm_attribute)",
  usage,
  async run(args, io) {
    let parsed: { req: Request; quiet: boolean };
    try {
      parsed = parseRequest(args, io.env);
    } catch (err) {
      if (err instanceof HacrmError && err.code === "USAGE") {
        writeLine(io.stderr, `hacrm attribute: ${err.message} (${err.hint ?? ""})`);
        return ExitStatus.usage;
      }
      throw err;
    }
    const { req, quiet } = parsed;
    const cibFile = io.env["CIB_file"];
    const folder = io.env["HACRM_ATTR_DIR"] !== undefined || io.env["HACRM_STATE_DIR"] !== undefined;
    const value = cibFile
      ? await onCib(fileCibStore(cibFile), cibFile, req)
      : folder
        ? onStore(storeDir(io.env), req)
        : await onLive(io.env, req);
    if (req.mode.kind !== "query") return ExitStatus.ok;
    if (value === undefined) {
      writeLine(
        io.stderr,
        `hacrm attribute: ${req.name} is not set on ${req.node} (lifetime ${req.lifetime})`,
      );
      return notFound;
    }
    const scope = req.lifetime === "reboot" ? "status" : "nodes";
    writeLine(io.stdout, quiet ? value : `scope=${scope}  name=${req.name} value=${value}`);
    return ExitStatus.ok;
  },
};

function storeDir(env: NodeJS.ProcessEnv): string {
  return env["HACRM_ATTR_DIR"] ?? `${env["HACRM_STATE_DIR"] ?? "/var/lib/hacrm"}/attributes`;
}

function onStore(dir: string, req: Request): string | undefined {
  const store = new AttributeDirStore(dir);
  if (req.mode.kind === "update") store.update(req.lifetime, req.node, req.name, req.mode.value);
  else if (req.mode.kind === "delete") store.delete(req.lifetime, req.node, req.name);
  else return store.query(req.lifetime, req.node, req.name);
  return undefined;
}

/** Find or add the child `name` whose attribute `key` is `value`. */
function ensure(
  parent: XmlElement,
  name: string,
  key: string,
  value: string,
  attrs: Record<string, string> = {},
): XmlElement {
  const found = parent.children.find((c) => c.name === name && c.attrs[key] === value);
  if (found) return found;
  const el = element(name, { [key]: value, ...attrs });
  parent.children.push(el);
  return el;
}

function section(cib: XmlElement, path: string[], file: string): XmlElement {
  let el = cib;
  for (const name of path) {
    const next = child(el, name);
    if (!next)
      throw new HacrmError({
        code: "CIB_STRUCTURE",
        where: file,
        message: `the CIB has no <${name}> under <${el.name}>`,
      });
    el = next;
  }
  return el;
}

/** The attribute set an attribute lives in (created only when `create`). */
function attributeSet(cib: XmlElement, req: Request, file: string, create: boolean): XmlElement | undefined {
  const nodes = section(cib, ["configuration", "nodes"], file);
  const nodeEl = nodes.children.find((n) => n.name === "node" && n.attrs["uname"] === req.node);
  const nodeId = nodeEl?.attrs["id"] ?? req.node;
  if (req.lifetime === "forever") {
    if (!nodeEl && !create) return undefined;
    const n = nodeEl ?? ensure(nodes, "node", "id", nodeId, { uname: req.node });
    const existing = n.children.find((c) => c.name === "instance_attributes");
    if (existing || !create) return existing;
    return ensure(n, "instance_attributes", "id", `nodes-${nodeId}`);
  }
  let status = child(cib, "status");
  if (!status && create) {
    status = element("status");
    cib.children.push(status);
  }
  if (!status) return undefined;
  const state = status.children.find(
    (c) => c.name === "node_state" && (c.attrs["uname"] === req.node || c.attrs["id"] === nodeId),
  );
  if (!state && !create) return undefined;
  const ns = state ?? ensure(status, "node_state", "id", nodeId, { uname: req.node });
  const ta =
    ns.children.find((c) => c.name === "transient_attributes") ??
    (create ? ensure(ns, "transient_attributes", "id", nodeId) : undefined);
  if (!ta) return undefined;
  return (
    ta.children.find((c) => c.name === "instance_attributes") ??
    (create ? ensure(ta, "instance_attributes", "id", `status-${nodeId}`) : undefined)
  );
}

/** The running cluster's CIB; the node defaults to this one (hacrmd's name for it). */
async function onLive(env: NodeJS.ProcessEnv, req: Request): Promise<string | undefined> {
  const socket = socketPath(undefined, env);
  const store = liveCibStore(socket);
  const node = req.explicitNode ? req.node : ((await store.localNode?.()) ?? req.node);
  return onCib(store, `live CIB (${socket})`, { ...req, node });
}

/** Query, set or delete on a CIB (a file, or the cluster's), writing through the CIB's one write path. */
async function onCib(store: CibStore, file: string, req: Request): Promise<string | undefined> {
  const base = await store.read();
  const cib = cloneElement(base);
  const set = attributeSet(cib, req, file, req.mode.kind === "update");
  const pair = set?.children.find((c) => c.name === "nvpair" && c.attrs["name"] === req.name);
  if (req.mode.kind === "query") return pair?.attrs["value"];
  if (req.mode.kind === "delete") {
    if (!set || !pair) return undefined;
    set.children = set.children.filter((c) => c !== pair);
  } else if (pair) {
    pair.attrs["value"] = req.mode.value;
  } else if (set) {
    set.children.push(
      element("nvpair", {
        id: `${set.attrs["id"] ?? req.node}-${req.name}`,
        name: req.name,
        value: req.mode.value,
      }),
    );
  }
  const outcome = await store.commit(base, cib, { kind: changeKind(base, cib) });
  if (!outcome.ok) {
    const [first] = outcome.problems;
    throw new HacrmError({
      code: "CIB_INVALID",
      where: first?.where ?? file,
      message: `not written: ${first ? problemLine(first) : "the CIB is not valid"}`,
      hint: `${outcome.problems.length} problem(s); hacrm verify lists them`,
    });
  }
  return undefined;
}
