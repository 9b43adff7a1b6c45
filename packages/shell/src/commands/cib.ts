import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { HacrmError } from "@hacrm/common";
import {
  child,
  configurationSections,
  parseXml,
  serializeXml,
  toJsonForm,
  type XmlElement,
} from "@hacrm/cib";
import { ExitStatus, writeLine, type Command, type CommandIo } from "../command.js";
import { askDaemon, socketPath } from "../daemon-client.js";

const sections = ["configuration", "status", ...configurationSections];
const SHADOW_VERBS = new Set(["new", "use", "diff", "commit", "delete", "list"]);

const usage = `Usage: hacrm cib show [--section NAME] [--json] [--xml-file FILE] [--socket PATH]
       hacrm cib query [--section NAME] [--json] [--socket PATH]
       hacrm cib replace FILE [--socket PATH]
       hacrm cib patch FILE [--force] [--socket PATH]
       hacrm cib new|use|diff|commit|delete|list [NAME]   shadow CIBs (see 'hacrm help cib')

show prints the CIB named by CIB_file (or --xml-file), else, like query,
the local hacrmd's copy of the cluster's CIB. Either prints the whole document,
or one section, as XML; with --json as its JSON form (attributes as "@name",
child elements as arrays under their name; see docs/cib.md).

replace sends FILE (a whole CIB; a Pacemaker cib.xml loads as is) to the
cluster: its configuration replaces the cluster's, the status stays. patch
sends FILE, a JSON patch as @hacrm/cib's diffCib makes it; it is refused when
the configuration changed since the patch's source version, unless --force.
Both return once every member of the cluster has the change on disk.

Sections: ${sections.join(", ")}`;

export const command: Command = {
  name: "cib",
  summary: "show, query, replace or patch the CIB (offline file or running cluster)",
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== undefined && SHADOW_VERBS.has(sub)) {
      const { joinArgs, runBatch } = await import("../crm/session/script.js");
      await runBatch(io, "top", `cib ${joinArgs(args)}`, "<command line>", false);
      return ExitStatus.ok;
    }
    if (sub === "show") return show(rest, io);
    if (sub === "query") return query(rest, io);
    if (sub === "replace" || sub === "patch") return write(sub, rest, io);
    writeLine(
      io.stderr,
      sub === undefined
        ? usage
        : `hacrm cib: unknown subcommand '${sub}' (show, query, replace, patch, new, use, diff, commit, delete, list)`,
    );
    return ExitStatus.usage;
  },
};

async function query(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      section: { type: "string", short: "s" },
      json: { type: "boolean" },
      socket: { type: "string" },
    },
    strict: true,
  });
  if (values.section !== undefined && !sections.includes(values.section)) {
    writeLine(io.stderr, `hacrm cib: unknown section '${values.section}'; sections: ${sections.join(", ")}`);
    return ExitStatus.usage;
  }
  const path = socketPath(values.socket, io.env);
  const reply = await askDaemon<{ ok: boolean; xml: string }>(path, { cmd: "cib-query" });
  const tree = parseXml(reply.xml, path);
  const selected = values.section === undefined ? tree : findSection(tree, values.section, path);
  io.stdout.write(
    values.json ? `${JSON.stringify(toJsonForm(selected).root, null, 2)}\n` : serializeXml(selected),
  );
  return ExitStatus.ok;
}

interface WriteReply {
  ok: boolean;
  result:
    | { ok: true; version: { admin_epoch: number; epoch: number; num_updates: number } }
    | {
        ok: false;
        error: { code: string; message: string; hint?: string; problems?: string[]; changed?: string[] };
      };
}

async function write(op: "replace" | "patch", args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { force: { type: "boolean" }, socket: { type: "string" } },
    strict: true,
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    writeLine(io.stderr, `hacrm cib ${op}: give one FILE`);
    return ExitStatus.usage;
  }
  const text = readCibText(file);
  let w: object;
  if (op === "replace") {
    parseXml(text, file); // a clear file:line:col error before anything is sent
    w = { op, xml: text, base: null };
  } else {
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (err) {
      writeLine(io.stderr, `${file}: not a JSON patch: ${(err as Error).message}`);
      return ExitStatus.invalid;
    }
    w = { op, patch, force: values.force === true };
  }
  const reply = await askDaemon<WriteReply>(socketPath(values.socket, io.env), {
    cmd: "cib-write",
    write: w,
  });
  const r = reply.result;
  if (r.ok) {
    const v = r.version;
    writeLine(io.stdout, `CIB version ${v.admin_epoch}.${v.epoch}.${v.num_updates}`);
    return ExitStatus.ok;
  }
  writeLine(io.stderr, `hacrm cib ${op}: ${r.error.code}: ${r.error.message}`);
  for (const line of r.error.problems ?? []) writeLine(io.stderr, `  ${line}`);
  if (r.error.hint) writeLine(io.stderr, `  (${r.error.hint})`);
  return ExitStatus.invalid;
}

async function show(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      section: { type: "string", short: "s" },
      json: { type: "boolean" },
      "xml-file": { type: "string", short: "x" },
      socket: { type: "string" },
    },
    strict: true,
  });
  const file = values["xml-file"] ?? io.env["CIB_file"];
  if (file === undefined || file === "") {
    // Live mode: the running cluster's CIB, from the local hacrmd.
    const live: string[] = [];
    if (values.section !== undefined) live.push("--section", values.section);
    if (values.json) live.push("--json");
    if (values.socket !== undefined) live.push("--socket", values.socket);
    return query(live, io);
  }
  if (values.section !== undefined && !sections.includes(values.section)) {
    writeLine(io.stderr, `hacrm cib: unknown section '${values.section}'; sections: ${sections.join(", ")}`);
    return ExitStatus.usage;
  }
  const tree = parseXml(readCibText(file), file);
  const selected = values.section === undefined ? tree : findSection(tree, values.section, file);
  io.stdout.write(
    values.json ? `${JSON.stringify(toJsonForm(selected).root, null, 2)}\n` : serializeXml(selected),
  );
  return ExitStatus.ok;
}

function readCibText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new HacrmError({
      code: "CIB_FILE",
      where: file,
      message: `cannot read the CIB file: ${(err as Error).message}`,
    });
  }
}

function findSection(tree: XmlElement, name: string, file: string): XmlElement {
  const configuration = child(tree, "configuration");
  const found =
    name === "configuration" || name === "status"
      ? child(tree, name)
      : configuration && child(configuration, name);
  if (found) return found;
  // An absent optional section is empty, as Pacemaker's tools treat it.
  if (name !== "configuration") return { name, attrs: {}, children: [] };
  throw new HacrmError({ code: "CIB_INVALID", where: file, message: "the CIB has no configuration section" });
}
