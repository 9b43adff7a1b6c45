import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { isHacrmError } from "@hacrm/common";
import type { XmlElement } from "@hacrm/cib";
import type { CommandIo, CommandTable } from "../../command.js";
import { allResources, configuration, section } from "../lang/doc.js";
import { splitCommands } from "../lang/lexer.js";
import { CONFIGURE_COMMANDS, OP_ATTRIBUTES } from "../lang/parser.js";
import { sessionDeps } from "./script.js";
import { Session, type Level } from "./session.js";
import { levelCommands } from "./help.js";
import { NODE_VERBS } from "./node.js";
import { RESOURCE_VERBS } from "./resource.js";

const TOP_COMMANDS = levelCommands("top");
const COMMON = ["status", "help", "cd", "up", "quit"];
const PRIMITIVE_KEYWORDS = ["params", "meta", "utilization", "op", "operations", "description="];
const OP_NAMES = [
  "monitor",
  "start",
  "stop",
  "promote",
  "demote",
  "migrate_to",
  "migrate_from",
  "notify",
  "reload",
];
const historyLinesMax = 1000;
/** Configure commands whose later words name resources. */
const RESOURCE_ARG_COMMANDS = new Set([
  "group",
  "clone",
  "ms",
  "master",
  "location",
  "colocation",
  "collocation",
  "order",
  "rsc_ticket",
  "tag",
  "monitor",
  "modgroup",
  "set",
  "fencing_topology",
]);
const OBJECT_ARG_COMMANDS = new Set(["delete", "rename", "show", "edit"]);

export function prompt(label: string, level: Level): string {
  return `hacrm(${label})${level === "top" ? "" : level}# `;
}

function resourceIds(cib: XmlElement | undefined): string[] {
  return cib ? allResources(cib).map((r) => r.attrs["id"] ?? "") : [];
}

function objectIds(cib: XmlElement | undefined): string[] {
  if (!cib) return [];
  const ids: string[] = [];
  for (const sec of configuration(cib).children)
    for (const c of sec.children) if (c.attrs["id"]) ids.push(c.attrs["id"]);
  return [...new Set([...ids, ...resourceIds(cib)])];
}

function nodeNames(cib: XmlElement | undefined): string[] {
  return cib ? section(cib, "nodes").children.map((n) => n.attrs["uname"] ?? n.attrs["id"] ?? "") : [];
}

/** Candidates for the word being typed, given the words before it. */
export async function candidates(
  session: Session,
  level: Level,
  words: string[],
  others: CommandTable = {},
): Promise<string[]> {
  let cib: XmlElement | undefined;
  try {
    cib = await session.cib();
  } catch {
    cib = undefined;
  }
  const n = words.length;
  if (level === "top") {
    if (n === 0) return [...new Set([...TOP_COMMANDS, ...Object.keys(others)])];
    const [first, ...rest] = words as [string, ...string[]];
    if (
      first === "configure" ||
      first === "resource" ||
      first === "node" ||
      first === "ra" ||
      first === "cib"
    )
      return candidates(session, first, rest);
    if (first === "help") return n === 1 ? [...TOP_COMMANDS, ...levelCommands("configure")] : [];
    return [];
  }
  if (level === "ra" || level === "cib") return n === 0 ? [...levelCommands(level)] : [];
  if (level === "resource") {
    if (n === 0) return [...RESOURCE_VERBS, ...COMMON];
    if (n === 1) return resourceIds(cib);
    return ["move", "migrate", "ban", "clear", "cleanup"].includes(words[0] ?? "")
      ? nodeNames(cib)
      : ["set", "delete", "show"];
  }
  if (level === "node") {
    if (n === 0) return [...NODE_VERBS, ...COMMON];
    return n === 1 ? [...nodeNames(cib), "--all"] : ["set", "delete", "show"];
  }
  if (n === 0) return [...CONFIGURE_COMMANDS];
  const cmd = words[0] ?? "";
  if (cmd === "primitive" || cmd === "rsc_template") return primitiveCandidates(session, words);
  if (OBJECT_ARG_COMMANDS.has(cmd)) return [...objectIds(cib), ...(cmd === "show" && n === 1 ? ["xml"] : [])];
  if (RESOURCE_ARG_COMMANDS.has(cmd) && n >= 2)
    return cmd === "location" && n >= 4 ? nodeNames(cib) : resourceIds(cib);
  return [];
}

async function primitiveCandidates(session: Session, words: string[]): Promise<string[]> {
  const agents = session.agentCatalog;
  if (words.length === 2) {
    const cib = await session.cib().catch(() => undefined);
    const templates = cib
      ? allResources(cib)
          .filter((r) => r.name === "template")
          .map((r) => `@${r.attrs["id"] ?? ""}`)
      : [];
    return [...agents.list(), ...templates];
  }
  const lastKeyword = [...words].reverse().find((w) => PRIMITIVE_KEYWORDS.includes(w));
  if (lastKeyword === "params") {
    const agent = words[2] ?? "";
    const full = agent.includes(":") ? agent : agents.resolveType(agent);
    const params = full ? await agents.parameters(full) : undefined;
    const given = new Set(words.map((w) => w.split("=")[0]));
    return [...(params ?? [])]
      .filter((p) => !given.has(p))
      .map((p) => `${p}=`)
      .concat(PRIMITIVE_KEYWORDS);
  }
  if (lastKeyword === "op") {
    if (words[words.length - 1] === "op") return OP_NAMES;
    return [...OP_ATTRIBUTES].map((a) => `${a}=`).concat(PRIMITIVE_KEYWORDS);
  }
  return PRIMITIVE_KEYWORDS;
}

/** Readline completer: complete the last word of the line. */
export async function complete(
  session: Session,
  line: string,
  others: CommandTable = {},
): Promise<[string[], string]> {
  const words = line.trimStart().split(/\s+/);
  const current = words.pop() ?? "";
  const all = await candidates(session, session.level, words, others);
  const hits = [...new Set(all)].filter((c) => c.startsWith(current)).sort();
  return [hits.map((h) => (h.endsWith("=") ? h : `${h} `)), current];
}

function historyFile(env: NodeJS.ProcessEnv): string | undefined {
  return env["HACRM_HISTORY"] ?? (env["HOME"] ? join(env["HOME"], ".hacrm_history") : undefined);
}

function loadHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-historyLinesMax)
      .reverse();
  } catch {
    return [];
  }
}

/** `$EDITOR` on a text, synchronously (the terminal belongs to the editor meanwhile). */
function editWithEditor(env: NodeJS.ProcessEnv, rl: Interface, text: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "hacrm-edit-"));
  const file = join(dir, "configuration.crm");
  try {
    writeFileSync(file, text);
    rl.pause();
    const editor = env["EDITOR"] ?? env["VISUAL"] ?? "vi";
    const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "editor", file], { stdio: "inherit", env });
    rl.resume();
    if (r.status !== 0)
      return Promise.reject(new Error(`${editor} exited with status ${r.status ?? "?"}; nothing changed`));
    return Promise.resolve(readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lineReader(rl: Interface): (p: string) => Promise<string | null> {
  const queue: string[] = [];
  let waiting: ((l: string | null) => void) | undefined;
  let closed = false;
  rl.on("line", (l) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(l);
    } else queue.push(l);
  });
  rl.on("close", () => {
    closed = true;
    waiting?.(null);
    waiting = undefined;
  });
  return (p) => {
    if (queue.length > 0) return Promise.resolve(queue.shift() as string);
    if (closed) return Promise.resolve(null);
    rl.setPrompt(p);
    rl.prompt();
    return new Promise((res) => (waiting = res));
  };
}

/** The interactive shell: a prompt per level, history, tab completion; errors do not end it. */
export async function runInteractive(
  io: CommandIo,
  level: Level,
  others: CommandTable = {},
): Promise<number> {
  const hist = historyFile(io.env);
  const holder: { rl?: Interface } = {};
  const holderRead: { read?: (p: string) => Promise<string | null> } = {};
  const deps = {
    ...sessionDeps(io, false),
    others,
    editText: (t: string) => editWithEditor(io.env, holder.rl as Interface, t),
    ask: async (question: string): Promise<boolean> => {
      for (;;) {
        const a = (await (holderRead.read as (p: string) => Promise<string | null>)(question))
          ?.trim()
          .toLowerCase();
        if (a === undefined || a.startsWith("n")) return false;
        if (a.startsWith("y")) return true;
      }
    },
  };
  const session = new Session(deps);
  session.level = level;
  const rl = createInterface({
    input: io.stdin,
    output: io.stdout,
    terminal: true,
    history: loadHistory(hist),
    historySize: historyLinesMax,
    completer: (line: string, cb: (err: Error | null, r?: [string[], string]) => void) => {
      complete(session, line, others).then(
        (r) => cb(null, r),
        () => cb(null, [[], line]),
      );
    },
  });
  holder.rl = rl;
  // Ctrl-C drops the line being typed, as in a shell; Ctrl-D (end of input) leaves.
  rl.on("SIGINT", () => {
    rl.write(null, { ctrl: true, name: "u" });
    io.stdout.write("^C\n");
    rl.prompt();
  });
  const read = lineReader(rl);
  holderRead.read = read;
  let pendingQuit = false;
  for (;;) {
    let text = await read(prompt(session.label, session.level));
    if (text === null) break;
    while (text.endsWith("\\")) {
      const more = await read("> ");
      if (more === null) break;
      text = `${text}\n${more}`;
    }
    if (hist && text.trim() !== "") {
      try {
        appendFileSync(hist, `${text.replace(/\\\n/g, " ")}\n`);
      } catch {
        /* history is a convenience */
      }
    }
    const outcome = await runLine(session, io, text, pendingQuit);
    if (outcome === "quit") break;
    pendingQuit = outcome === "pending";
  }
  rl.close();
  return 0;
}

async function runLine(
  session: Session,
  io: CommandIo,
  text: string,
  pendingQuit: boolean,
): Promise<"continue" | "quit" | "pending"> {
  try {
    const words = text.trim().split(/\s+/);
    if (words[0] === "ls" && session.level !== "configure") {
      io.stdout.write(`${(await candidates(session, session.level, [])).join(" ")}\n`);
      return "continue";
    }
    for (const line of splitCommands(text, "<input>")) {
      if ((await session.execute(line, "<input>")) === "quit") {
        if (session.dirty && !pendingQuit) {
          io.stderr.write(
            "There are changes that are not committed: 'commit' to keep them, or 'quit' again to drop them.\n",
          );
          return "pending";
        }
        return "quit";
      }
    }
  } catch (err) {
    if (!isHacrmError(err) && !(err instanceof Error)) throw err;
    io.stderr.write(`ERROR: ${isHacrmError(err) ? err.toLine() : err.message}\n`);
  }
  return "continue";
}
