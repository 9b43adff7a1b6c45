import type { HacrmError } from "@hacrm/common";
import {
  changeKind,
  cloneElement,
  parseXml,
  problemLine,
  walk,
  type CibProblem,
  type XmlElement,
} from "@hacrm/cib";
import type { AgentCatalog } from "../lang/agent-catalog.js";
import { applyCommand } from "../lang/apply.js";
import type * as A from "../lang/ast.js";
import { refKey, type BuildContext } from "../lang/build.js";
import { checkConfiguration } from "../lang/check.js";
import {
  RESOURCE_ELEMENTS,
  configuration,
  findResource,
  sameConfiguration,
  semanticError,
} from "../lang/doc.js";
import type { EditContext } from "../lang/edit.js";
import { splitCommands, syntaxError, type CommandLine, type Pos } from "../lang/lexer.js";
import { parseConfigure } from "../lang/parser.js";
import { showJson, showObjects, showXml } from "../lang/printer.js";
import { nodeCommand } from "./node.js";
import type { TopContext } from "./nvsets.js";
import { resourceCommand } from "./resource.js";
import type { CibStore } from "./store.js";

export type Level = "top" | "configure" | "resource" | "node";

export interface SessionDeps {
  store: CibStore;
  agents: AgentCatalog;
  /** Data for the user (show output, lists). */
  out: (text: string) => void;
  /** Notes and warnings. */
  info: (text: string) => void;
  /** Wall clock, only for the CIB's cib-last-written stamp. */
  now: () => Date;
  /** Read a file named in a `load` command ("-" is standard input). */
  readText?: (path: string) => Promise<string>;
  /** Let the user edit a text ($EDITOR); absent when there is no terminal. */
  editText?: (text: string) => Promise<string>;
  json?: boolean;
}

/**
 * A crm shell session on one CIB: the configure level keeps a working copy
 * that `commit` writes back all at once; top-level `resource` and `node`
 * commands write at once, as crmsh does.
 */
export class Session {
  level: Level = "top";
  private original: XmlElement | undefined;
  private working: XmlElement | undefined;
  private readonly refPos = new Map<string, Pos>();
  private readonly objPos = new Map<string, Pos>();

  constructor(private readonly deps: SessionDeps) {}

  get agentCatalog(): AgentCatalog {
    return this.deps.agents;
  }

  get label(): string {
    return this.deps.store.label;
  }

  /** The working CIB (loaded on first use). */
  async cib(): Promise<XmlElement> {
    if (!this.working) {
      this.original = await this.deps.store.read();
      this.working = cloneElement(this.original);
    }
    return this.working;
  }

  /** The configuration differs from what was read or last committed. */
  get dirty(): boolean {
    if (!this.working || !this.original) return false;
    return changeKind(this.original, this.working) === "configuration";
  }

  /** Run a whole script (batch mode). Stops at the first error: nothing after the last commit is written. */
  async runScript(text: string, source: string): Promise<void> {
    for (const line of splitCommands(text, source)) {
      if ((await this.execute(line, source)) === "quit") break;
    }
    if (this.dirty) await this.commit(source);
  }

  /** Run one command line at the current level. */
  async execute(line: CommandLine, source: string): Promise<"continue" | "quit"> {
    const head = line.tokens[0];
    if (!head) return "continue";
    const w = (k: number): A.Word[] => line.tokens.slice(k).map((t) => ({ text: t.text, pos: t.pos }));
    if (head.text === "quit" || head.text === "exit" || head.text === "bye") return "quit";
    switch (this.level) {
      case "configure":
        return this.configure(line, source);
      case "resource":
      case "node":
        if (head.text === "up" || head.text === "end" || head.text === "cd") {
          this.level = "top";
          return "continue";
        }
        await this.topCommand(this.level, w(0), source);
        return "continue";
      default:
        return this.top(line, source, w);
    }
  }

  private async top(
    line: CommandLine,
    source: string,
    w: (k: number) => A.Word[],
  ): Promise<"continue" | "quit"> {
    const head = line.tokens[0] as { text: string; pos: Pos };
    switch (head.text) {
      case "configure":
        if (line.tokens.length === 1) this.level = "configure";
        else {
          const rest: CommandLine = { ...line, tokens: line.tokens.slice(1) };
          await this.configure(rest, source);
          if (this.dirty) await this.commit(source);
        }
        return "continue";
      case "resource":
      case "node":
        if (line.tokens.length === 1) this.level = head.text;
        else await this.topCommand(head.text, w(1), source);
        return "continue";
      case "cd": {
        const to = line.tokens[1]?.text;
        if (to === "configure" || to === "resource" || to === "node") this.level = to;
        else if (to !== undefined && to !== ".." && to !== "/")
          throw syntaxError(
            source,
            line.tokens[1]?.pos ?? head.pos,
            `cd: no level '${to}'`,
            "levels: configure, resource, node",
          );
        return "continue";
      }
      case "up":
      case "end":
        return "continue";
      default:
        throw syntaxError(
          source,
          head.pos,
          `${head.text}: No such command`,
          "top-level commands: configure, resource, node, quit",
        );
    }
  }

  private async topCommand(level: "resource" | "node", args: A.Word[], source: string): Promise<void> {
    if (this.dirty) {
      throw semanticError(
        source,
        args[0]?.pos,
        "there are configuration changes that are not committed",
        "go back to configure and commit them first",
      );
    }
    const cib = await this.cib();
    const ctx: TopContext = {
      cib,
      source,
      json: this.deps.json ?? false,
      out: this.deps.out,
      info: this.deps.info,
    };
    if (level === "resource") resourceCommand(ctx, args);
    else nodeCommand(ctx, args);
    await this.commit(source);
  }

  private async configure(line: CommandLine, source: string): Promise<"continue" | "quit"> {
    const cmd = parseConfigure(line, source);
    const cib = await this.cib();
    switch (cmd.cmd) {
      case "commit":
        await this.commit(source);
        return "continue";
      case "up":
      case "cd": {
        const to = cmd.cmd === "cd" ? cmd.args[0] : undefined;
        if (to?.text === "configure") return "continue";
        if (to && to.text !== ".." && to.text !== "/" && to.text !== "resource" && to.text !== "node") {
          throw syntaxError(
            source,
            to.pos,
            `cd: no level '${to.text}'`,
            "levels: configure, resource, node, ..",
          );
        }
        if (this.dirty) await this.commit(source);
        this.level = to?.text === "resource" || to?.text === "node" ? to.text : "top";
        return "continue";
      }
      case "quit":
        return "quit";
      case "show":
      case "ls":
        this.show(cib, cmd.args);
        return "continue";
      case "verify":
        await this.verify(cib, source);
        return "continue";
      case "edit":
        await this.edit(cib, cmd.args, source);
        return "continue";
      case "help":
        this.deps.out(
          "configure commands: primitive group clone ms bundle rsc_template location colocation order rsc_ticket property rsc_defaults op_defaults node tag fencing_topology alert role acl_target monitor delete rename modgroup set show verify edit load commit up quit",
        );
        return "continue";
      case "erase":
        erase(cib, cmd.args, source);
        return "continue";
      case "load":
        await this.load(cib, cmd.args, source);
        return "continue";
      default:
        await this.apply(cib, cmd, source);
        return "continue";
    }
  }

  /** Apply one configuration command to the working CIB; on error the working CIB is unchanged. */
  async apply(cib: XmlElement, cmd: A.ConfigureCmd, source: string): Promise<void> {
    const scratch = cloneElement(cib);
    const ctx: BuildContext = {
      cib: scratch,
      source,
      agents: this.deps.agents,
      refPos: this.refPos,
      warn: this.deps.info,
    };
    const edit: EditContext = { cib: scratch, source, info: (l) => this.deps.info(`INFO: ${l}`) };
    await applyCommand(ctx, edit, cmd);
    if ("id" in cmd && cmd.id && typeof cmd.id === "object") this.objPos.set(cmd.id.text, cmd.id.pos);
    cib.children = scratch.children;
    cib.attrs = scratch.attrs;
  }

  private show(cib: XmlElement, args: A.Word[]): void {
    const names = args.map((a) => a.text);
    if (names[0] === "xml") this.deps.out(showXml(cib, names.slice(1)));
    else if (this.deps.json) this.deps.out(JSON.stringify({ objects: showJson(cib, names) }));
    else this.deps.out(showObjects(cib, names));
  }

  /** hacrm's own checks (with positions), then the CIB package's schema and semantic validation. */
  private async verify(cib: XmlElement, source: string): Promise<void> {
    const problems = checkConfiguration(cib);
    if (problems.length > 0) throw this.problemError(problems, source);
    const { validateCib } = await import("@hacrm/cib/validate");
    const deep = validateCib(cib);
    if (deep.length === 0) {
      this.deps.info("configuration is valid");
      return;
    }
    throw this.validationError(cib, deep, source);
  }

  /** Verify's problems as one error at the line that made the first of them (the others printed before). */
  private validationError(cib: XmlElement, deep: CibProblem[], source: string): HacrmError {
    for (const p of deep.slice(1)) this.deps.info(`ERROR: ${problemLine(p)}`);
    const first = deep[0] as CibProblem;
    return semanticError(
      source,
      this.positionOf(cib, first.id),
      problemLine(first),
      deep.length > 1 ? `${deep.length} problems` : undefined,
    );
  }

  /** Where the object holding the element with `id` was written (the element itself or its nearest ancestor). */
  private positionOf(cib: XmlElement, id: string | undefined): Pos | undefined {
    if (id === undefined) return undefined;
    const find = (el: XmlElement, chain: XmlElement[]): XmlElement[] | undefined => {
      if (el.attrs["id"] === id) return [...chain, el];
      for (const c of el.children) {
        const found = find(c, [...chain, el]);
        if (found) return found;
      }
      return undefined;
    };
    const chain = find(cib, []) ?? [];
    for (const el of chain.reverse()) {
      const pos = this.objPos.get(el.attrs["id"] ?? "");
      if (pos) return pos;
    }
    return undefined;
  }

  private problemError(problems: ReturnType<typeof checkConfiguration>, source: string): HacrmError {
    const p = problems[0] as (typeof problems)[number];
    const pos =
      p.ref !== undefined
        ? (this.refPos.get(refKey(p.owner, p.ref)) ?? this.objPos.get(p.owner))
        : this.objPos.get(p.owner);
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more: ${problems
            .slice(1, 4)
            .map((q) => q.message)
            .join("; ")})`
        : "";
    return semanticError(source, pos, `${p.message}${more}`, p.hint);
  }

  /**
   * Check the working CIB and write it through the CIB's one write path
   * (verify's checks, the version rule, a durable write under the file's
   * lock); nothing is written when a check fails.
   */
  async commit(source: string): Promise<void> {
    const cib = await this.cib();
    const original = this.original as XmlElement;
    const kind = changeKind(original, cib);
    if (kind === "none") return;
    const configChanged = kind === "configuration";
    const problems = checkConfiguration(cib);
    if (problems.length > 0) throw this.problemError(problems, source);
    const stamp = { "cib-last-written": this.deps.now().toUTCString(), "update-client": "hacrm" };
    const outcome = await this.deps.store.commit(original, cib, {
      kind,
      ...(configChanged ? { stamp } : {}),
    });
    if (!outcome.ok) throw this.validationError(cib, outcome.problems, source);
    this.original = outcome.cib;
    this.working = cloneElement(outcome.cib);
  }

  private async edit(cib: XmlElement, args: A.Word[], source: string): Promise<void> {
    if (!this.deps.editText) throw semanticError(source, args[0]?.pos, "edit needs a terminal and $EDITOR");
    for (const a of args) {
      const r = findResource(cib, a.text);
      if (r && RESOURCE_ELEMENTS.has(r.parent.name)) {
        throw semanticError(
          source,
          a.pos,
          `${a.text} is inside ${r.parent.attrs["id"] ?? "a container"}`,
          `edit ${r.parent.attrs["id"] ?? "the container"} instead`,
        );
      }
    }
    const names = withMembers(
      cib,
      args.map((a) => a.text),
    );
    const before = showObjects(cib, names);
    const unchanged = await this.reapply(cib, names, before);
    if (!sameConfiguration(unchanged, cib)) {
      throw semanticError(
        source,
        args[0]?.pos,
        "edit would lose parts of the configuration that crm syntax cannot express",
        "use 'show xml' and edit the CIB file instead",
      );
    }
    const after = await this.deps.editText(before);
    if (after === before) return;
    const work = await this.reapply(cib, names, after);
    cib.children = work.children;
  }

  /**
   * `load [xml] replace|update PATH` (crmsh's): crm commands from a file, or
   * a CIB document. `xml replace` proposes that document (its configuration
   * and root attributes; the status stays); `xml update` replaces or adds
   * its objects by id. Like any change it is committed through the write
   * path, so a document `verify` refuses is never written.
   */
  private async load(cib: XmlElement, args: A.Word[], source: string): Promise<void> {
    const xml = args[0]?.text === "xml";
    const [how, file, extra] = xml ? args.slice(1) : args;
    const usage = "load [xml] replace|update PATH";
    if (!how || !file || extra || (how.text !== "replace" && how.text !== "update")) {
      throw semanticError(source, (extra ?? how ?? args[0])?.pos, `load: expected ${usage}`, usage);
    }
    if (!this.deps.readText) throw semanticError(source, file.pos, "load: cannot read files here");
    let text: string;
    try {
      text = await this.deps.readText(file.text);
    } catch (err) {
      throw semanticError(source, file.pos, `load: cannot read ${file.text}: ${(err as Error).message}`);
    }
    if (xml) return this.loadXml(cib, parseXml(text, file.text), how.text, file, source);
    if (how.text === "replace") erase(cib, [], source);
    for (const line of splitCommands(text, file.text))
      await this.apply(cib, parseConfigure(line, file.text), file.text);
  }

  private loadXml(cib: XmlElement, doc: XmlElement, how: string, file: A.Word, source: string): void {
    if (doc.name !== "cib") {
      throw semanticError(
        source,
        file.pos,
        `load xml: ${file.text} has root <${doc.name}>, not <cib>`,
        "load a CIB document",
      );
    }
    const loaded = doc.children.find((c) => c.name === "configuration");
    for (const el of loaded?.children.flatMap((sec) => sec.children) ?? []) {
      if (el.attrs["id"] !== undefined) this.objPos.set(el.attrs["id"], file.pos);
    }
    if (how === "replace") {
      const status = cib.children.find((c) => c.name === "status");
      cib.attrs = { ...doc.attrs };
      cib.children = [...doc.children.filter((c) => c.name !== "status"), ...(status ? [status] : [])];
      return;
    }
    const mine = configuration(cib);
    for (const sec of loaded?.children ?? []) {
      const target = mine.children.find((c) => c.name === sec.name);
      if (!target) {
        mine.children.push(sec);
        continue;
      }
      for (const el of sec.children) {
        const i = target.children.findIndex(
          (c) => c.attrs["id"] !== undefined && c.attrs["id"] === el.attrs["id"],
        );
        if (i >= 0) target.children[i] = el;
        else target.children.push(el);
      }
    }
  }

  /** The CIB with the named objects (all when none) replaced by what `text` builds. */
  private async reapply(cib: XmlElement, names: string[], text: string): Promise<XmlElement> {
    const scratch = new Session({
      ...this.deps,
      info: () => undefined,
      store: {
        label: "edit",
        read: () => Promise.resolve(emptied(cib, names)),
        commit: () => Promise.reject(new Error("an edit's scratch session never commits")),
      },
    });
    const work = await scratch.cib();
    for (const line of splitCommands(text, "edit"))
      await scratch.apply(work, parseConfigure(line, "edit"), "edit");
    keepOrder(cib, work);
    return work;
  }
}

/** `erase [nodes]`: everything but the cluster properties (and the nodes, unless named). */
function erase(cib: XmlElement, args: A.Word[], source: string): void {
  const bad = args.find((a) => a.text !== "nodes");
  if (bad) throw semanticError(source, bad.pos, `erase: unexpected '${bad.text}'`, "erase [nodes]");
  for (const sec of configuration(cib).children) {
    if (sec.name === "crm_config" || (sec.name === "nodes" && args.length === 0)) continue;
    sec.children = [];
  }
}

/** A container is edited with its members (they are printed before it). */
function withMembers(cib: XmlElement, names: string[]): string[] {
  const out = new Set(names);
  for (const n of names) {
    const r = findResource(cib, n);
    if (r)
      for (const el of walk(r.el))
        if (RESOURCE_ELEMENTS.has(el.name) && el.attrs["id"]) out.add(el.attrs["id"]);
  }
  return [...out];
}

/** Objects that were there before the edit stay where they were; new ones go last. */
function keepOrder(before: XmlElement, after: XmlElement): void {
  for (const sec of configuration(after).children) {
    const old = configuration(before).children.find((c) => c.name === sec.name);
    if (!old) continue;
    const rank = new Map(old.children.map((c, k) => [c.attrs["id"] ?? `#${k}`, k]));
    const r = (c: XmlElement): number => rank.get(c.attrs["id"] ?? "") ?? Number.MAX_SAFE_INTEGER;
    sec.children = sec.children
      .map((c, k) => ({ c, k }))
      .sort((x, y) => r(x.c) - r(y.c) || x.k - y.k)
      .map((x) => x.c);
  }
}

/** The CIB without the objects shown for editing (all of them when `names` is empty). */
function emptied(cib: XmlElement, names: string[]): XmlElement {
  const copy = cloneElement(cib);
  const conf = configuration(copy);
  for (const sec of conf.children) {
    if (names.length === 0) sec.children = [];
    else
      sec.children = sec.children.filter(
        (c) => !names.includes(c.attrs["id"] ?? "") && !names.includes(c.attrs["uname"] ?? ""),
      );
  }
  return copy;
}
