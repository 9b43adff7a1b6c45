import { HacrmError } from "@hacrm/common";
import {
  changeKind,
  checkWarnings,
  cloneElement,
  parseXml,
  problemLine,
  walk,
  type CibProblem,
  type XmlElement,
} from "@hacrm/cib";
import { formatSimulation, schedule } from "@hacrm/policy";
import type { Command, CommandTable } from "../../command.js";
import type { AgentCatalog } from "../lang/agent-catalog.js";
import { applyCommand } from "../lang/apply.js";
import type * as A from "../lang/ast.js";
import { refKey, type BuildContext } from "../lang/build.js";
import { checkConfiguration } from "../lang/check.js";
import {
  RESOURCE_ELEMENTS,
  attachIdIndex,
  configuration,
  detachIdIndex,
  findResource,
  findSection,
  sameConfiguration,
  semanticError,
} from "../lang/doc.js";
import type { EditContext } from "../lang/edit.js";
import { splitCommands, syntaxError, type CommandLine, type Pos } from "../lang/lexer.js";
import { parseConfigure } from "../lang/parser.js";
import { didYouMean } from "../lang/suggest.js";
import { showJson, showObjects, showXml } from "../lang/printer.js";
import { helpText, levelCommands } from "./help.js";
import { putBack, removeObject, saveConfiguration } from "./load.js";
import { nodeCommand } from "./node.js";
import type { TopContext } from "./nvsets.js";
import { resourceCommand } from "./resource.js";
import { SHADOW_VERBS, shadowCommand, type ShadowContext } from "./shadow.js";
import { clusterStatus } from "./status.js";
import type { CibStore } from "./store.js";

export type Level = "top" | "configure" | "resource" | "node" | "ra" | "cib";
const LEVELS: Level[] = ["configure", "resource", "node", "ra", "cib"];
function isLevel(w: string): w is Level {
  return w === "top" || (LEVELS as string[]).includes(w);
}

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
  /** -F: answer yes to questions, accept agents that are not installed. */
  force?: boolean;
  /** Ask the user a yes/no question; absent without a terminal (a script). */
  ask?: (question: string) => Promise<boolean>;
  /** The other hacrm commands (ra, verify, simulate, ...), and how to run one on the CIB file in use. */
  others?: CommandTable;
  runOther?: (command: Command, args: string[], cibFile: string | undefined) => Promise<number>;
  /** For shadow CIBs (CIB_shadow_dir, CIB_file) and files named in load/save. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A crm shell session on one CIB: the configure level keeps a working copy
 * that `commit` writes back all at once; top-level `resource` and `node`
 * commands write at once, as crmsh does.
 */
/** Commands that only append one new object to a section (the id index can follow them). */
const APPENDED_TO: Partial<Record<A.ConfigureCmd["cmd"], string>> = {
  primitive: "resources",
  rsc_template: "resources",
  location: "constraints",
  colocation: "constraints",
  order: "constraints",
  rsc_ticket: "constraints",
};

export class Session {
  level: Level = "top";
  private original: XmlElement | undefined;
  private working: XmlElement | undefined;
  /** False while a script runs: a failed command ends the script, so it need not be undone. */
  private atomic = true;
  private readonly refPos = new Map<string, Pos>();
  private readonly objPos = new Map<string, Pos>();

  private readonly liveStore: CibStore;

  constructor(private readonly deps: SessionDeps) {
    this.liveStore = deps.store;
  }

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
    // A script stops at its first error and writes nothing after its last
    // commit, so a command need not be undone: no copy of the CIB per
    // command, and an id index kept across commands (linear, not quadratic,
    // in the length of the script).
    this.atomic = false;
    try {
      for (const line of splitCommands(text, source)) {
        if ((await this.execute(line, source)) === "quit") break;
      }
      if (this.dirty) await this.commit(source);
    } finally {
      this.atomic = true;
      if (this.working) detachIdIndex(this.working);
    }
  }

  /** Run one command line at the current level. */
  async execute(line: CommandLine, source: string): Promise<"continue" | "quit"> {
    const head = line.tokens[0];
    if (!head) return "continue";
    const w = (k: number): A.Word[] => line.tokens.slice(k).map((t) => ({ text: t.text, pos: t.pos }));
    const word = head.text;
    if (word === "quit" || word === "exit" || word === "bye") return "quit";
    // What every level has: help, status, moving between levels.
    if (word === "help" || word === "?") {
      await this.help(w(1), source);
      return "continue";
    }
    if (
      word === "status" &&
      this.level !== "resource" &&
      (this.level !== "node" || line.tokens.length === 1)
    ) {
      if (this.cibFile === undefined && this.deps.others?.["status"]) {
        // Live: the running cluster's view (hacrm status asks hacrmd).
        await this.runOther("status", []);
        return "continue";
      }
      const cib = await this.cib();
      this.deps.out(clusterStatus(cib, this.deps.now(), this.label));
      return "continue";
    }
    if (word === "up" || word === "end" || word === "back") {
      await this.goTo("top", source);
      return "continue";
    }
    if (word === "cd") {
      const to = line.tokens[1];
      const target = to === undefined || to.text === ".." || to.text === "/" ? "top" : to.text;
      if (!isLevel(target))
        throw syntaxError(
          source,
          to?.pos ?? head.pos,
          `cd: no level '${target}'`,
          `levels: ${LEVELS.join(", ")}`,
        );
      await this.goTo(target, source);
      return "continue";
    }
    if (this.level === "top" && isLevel(word) && word !== "top") {
      if (line.tokens.length === 1) await this.goTo(word, source);
      else await this.levelCommand(word, { ...line, tokens: line.tokens.slice(1) }, source, true);
      return "continue";
    }
    if (this.level === "top") {
      if (this.deps.others?.[word]) {
        await this.runOther(
          word,
          w(1).map((x) => x.text),
        );
        return "continue";
      }
      throw syntaxError(
        source,
        head.pos,
        `${word}: No such command`,
        didYouMean(word, [...LEVELS, "status", "help", "quit", ...Object.keys(this.deps.others ?? {})]) ??
          "type 'help' for the commands",
      );
    }
    return this.levelCommand(this.level, line, source, false);
  }

  /** One command of a level; `once`: typed from the top (`configure show`), so configure commits at once. */
  private async levelCommand(
    level: Level,
    line: CommandLine,
    source: string,
    once: boolean,
  ): Promise<"continue" | "quit"> {
    const args = line.tokens.map((t) => ({ text: t.text, pos: t.pos }));
    // Only configure's appending commands keep the id index (see apply); anything else may change the CIB.
    if (level !== "configure" && this.working) detachIdIndex(this.working);
    switch (level) {
      case "configure": {
        const r = await this.configure(line, source);
        if (once && this.dirty) await this.commit(source);
        return r;
      }
      case "resource":
      case "node":
        await this.topCommand(level, args, source);
        return "continue";
      case "ra":
        await this.runOther(
          "ra",
          args.map((a) => a.text),
        );
        return "continue";
      case "cib":
        // Shadow CIBs here; show, query, replace, patch are the cib command's.
        if (args[0] && !SHADOW_VERBS.has(args[0].text) && this.deps.others?.["cib"])
          await this.runOther(
            "cib",
            args.map((a) => a.text),
          );
        else await shadowCommand(this.shadowContext(source), args);
        return "continue";
      default:
        return "continue";
    }
  }

  /** Change level; leaving configure with changes asks (terminal) or commits (script), as crmsh does. */
  async goTo(level: Level, source: string): Promise<void> {
    if (this.level === "configure" && level !== "configure" && this.dirty) {
      const yes = this.deps.force
        ? true
        : this.deps.ask
          ? await this.deps.ask("There are changes pending. Do you want to commit them (y/n)? ")
          : true;
      if (yes) await this.commit(source);
      else this.drop();
    }
    this.level = level;
  }

  /** Forget the changes that are not committed. */
  drop(): void {
    if (this.original) this.working = cloneElement(this.original);
  }

  /** The CIB file in use (a shadow's, when one is used), for the other hacrm commands. */
  get cibFile(): string | undefined {
    return this.deps.store.path;
  }

  /** Switch to another CIB (a shadow, or back to the real one); refused with changes pending. */
  async useStore(store: CibStore, source: string, pos?: Pos): Promise<void> {
    if (this.dirty)
      throw semanticError(
        source,
        pos,
        "there are changes that are not committed",
        "commit them (or quit) first",
      );
    this.deps.store = store;
    this.original = undefined;
    this.working = undefined;
    await this.cib();
  }

  private shadowContext(source: string): ShadowContext {
    return {
      source,
      env: this.deps.env ?? {},
      liveStore: this.liveStore,
      current: () => this.deps.store,
      use: (store, pos) => this.useStore(store, source, pos),
      out: this.deps.out,
      info: this.deps.info,
      now: this.deps.now,
      force: this.deps.force ?? false,
    };
  }

  private async runOther(name: string, args: string[]): Promise<void> {
    const load = this.deps.others?.[name];
    if (!load || !this.deps.runOther)
      throw semanticError(
        "<input>",
        undefined,
        `${name}: not available here`,
        "run it as 'hacrm " + name + "'",
      );
    const status = await this.deps.runOther(await load(), args, this.cibFile);
    if (status !== 0)
      throw new HacrmError({ code: "COMMAND_FAILED", message: `${name} exited with status ${status}` });
  }

  private async help(args: A.Word[], source: string): Promise<void> {
    const topic = args[0]?.text;
    const summaries: Record<string, string> = {};
    if (this.level === "top" || topic !== undefined)
      for (const [n, load] of Object.entries(this.deps.others ?? {})) summaries[n] = (await load()).summary;
    const text = helpText(this.level, topic, summaries);
    if (text === undefined)
      throw semanticError(
        source,
        args[0]?.pos,
        `help: no command or level called '${topic ?? ""}'`,
        didYouMean(topic ?? "", [
          ...levelCommands(this.level),
          ...LEVELS,
          ...LEVELS.flatMap((l) => levelCommands(l)),
        ]) ?? "type 'help' for the list",
      );
    this.deps.out(text);
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
    const store = this.deps.store;
    const localNode = store.localNode ? await store.localNode() : undefined;
    const ctx: TopContext = {
      cib,
      source,
      json: this.deps.json ?? false,
      out: this.deps.out,
      info: this.deps.info,
      now: this.deps.now(),
      live: store.socket !== undefined,
      ...(localNode !== undefined ? { localNode } : {}),
    };
    if (level === "resource") resourceCommand(ctx, args);
    else nodeCommand(ctx, args);
    await this.commit(source);
  }

  private async configure(line: CommandLine, source: string): Promise<"continue" | "quit"> {
    const cmd = parseConfigure(line, source);
    const cib = await this.cib();
    if (!APPENDED_TO[cmd.cmd]) detachIdIndex(cib);
    switch (cmd.cmd) {
      case "commit": {
        // crmsh's `commit [force] [replace]`: force writes over a configuration changed since it was read.
        const bad = cmd.args.find((a) => a.text !== "force" && a.text !== "replace");
        if (bad)
          throw semanticError(
            source,
            bad.pos,
            `commit: unexpected '${bad.text}'`,
            "commit [force] [replace]",
          );
        await this.commit(
          source,
          cmd.args.some((a) => a.text === "force"),
        );
        return "continue";
      }
      case "up":
      case "cd":
      case "help":
        // Handled for every level in execute().
        return "continue";
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
      case "erase":
        erase(cib, cmd.args, source);
        return "continue";
      case "load":
        await this.load(cib, cmd.args, source);
        return "continue";
      case "save":
        await saveConfiguration(cib, cmd.args, source, this.deps.cwd ?? ".");
        return "continue";
      case "simulate":
        this.deps.out(formatSimulation(schedule(cib, Math.floor(this.deps.now().getTime() / 1000))));
        return "continue";
      default:
        await this.apply(cib, cmd, source);
        return "continue";
    }
  }

  /** Apply one configuration command to the working CIB; on error the working CIB is unchanged. */
  async apply(cib: XmlElement, cmd: A.ConfigureCmd, source: string): Promise<void> {
    // The id index follows the session's own working CIB only (load and edit work on copies they change in between).
    const appends = !this.atomic && cib === this.working ? APPENDED_TO[cmd.cmd] : undefined;
    if (appends) attachIdIndex(cib);
    else detachIdIndex(cib);
    const scratch = this.atomic ? cloneElement(cib) : cib;
    const ctx: BuildContext = {
      cib: scratch,
      source,
      agents: this.deps.agents,
      refPos: this.refPos,
      warn: this.deps.info,
      force: this.deps.force ?? false,
    };
    const edit: EditContext = { cib: scratch, source, info: (l) => this.deps.info(`INFO: ${l}`) };
    await applyCommand(ctx, edit, cmd);
    if ("id" in cmd && cmd.id && typeof cmd.id === "object") this.objPos.set(cmd.id.text, cmd.id.pos);
    if (appends) this.indexAppended(cib, appends, cmd);
    if (scratch === cib) return;
    cib.children = scratch.children;
    cib.attrs = scratch.attrs;
  }

  /** Add the object a command appended to the index, or drop the index if it is not where expected. */
  private indexAppended(cib: XmlElement, sectionName: string, cmd: A.ConfigureCmd): void {
    const sec = findSection(cib, sectionName);
    const last = sec?.children[sec.children.length - 1];
    const id = "id" in cmd && cmd.id && typeof cmd.id === "object" ? cmd.id.text : undefined;
    if (sec && last && id !== undefined && last.attrs["id"] === id) attachIdIndex(cib).add(last, sec);
    else detachIdIndex(cib);
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
    if (deep.length > 0) throw this.validationError(cib, deep, source);
    // crmsh's verify refuses an agent that is not installed; the rest are warnings.
    const warnings = this.warnings(cib);
    const missing = warnings.filter((w) => w.code === "UNKNOWN_AGENT");
    if (missing.length > 0) throw this.validationError(cib, missing, source);
    for (const w of warnings) this.deps.info(`WARNING: ${problemLine(w)}`);
    this.deps.info("configuration is valid");
  }

  /** Verify's warnings (crmsh's): nodes the CIB does not list, no fencing device, agents not installed, optional order loops. */
  private warnings(cib: XmlElement): CibProblem[] {
    const agents = this.deps.agents;
    return checkWarnings(cib, {
      agentInstalled: (cls, provider, type) =>
        agents.installed([cls, provider, type].filter((x) => x !== undefined).join(":")) ?? true,
    });
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
  async commit(source: string, force = false): Promise<void> {
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
      force: force || (this.deps.force ?? false),
    });
    if (!outcome.ok) throw this.validationError(cib, outcome.problems, source);
    // An agent that is not installed was already warned about where it was written (accepted with -F).
    if (configChanged)
      for (const w of this.warnings(outcome.cib))
        if (w.code !== "UNKNOWN_AGENT") this.deps.info(`WARNING: ${problemLine(w)}`);
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
   * `load [xml] replace|update|push PATH` (crmsh's): crm commands from a file,
   * or a CIB document (`xml`, or a file that starts with `<`). `replace` (and
   * `push`) makes the file the configuration; `update` replaces objects with
   * the same id where they are and adds the others. `xml replace` proposes the
   * document (its configuration and root attributes; the status stays). All or
   * nothing, and like any change it is committed through the write path, so a
   * document `verify` refuses is never written.
   */
  private async load(cib: XmlElement, args: A.Word[], source: string): Promise<void> {
    const xmlWord = args[0]?.text === "xml";
    const [how, file, extra] = xmlWord ? args.slice(1) : args;
    const usage = "load [xml] replace|update|push PATH";
    if (!how || !file || extra || !["replace", "update", "push"].includes(how.text)) {
      throw semanticError(source, (extra ?? how ?? args[0])?.pos, `load: expected ${usage}`, usage);
    }
    const method = how.text === "update" ? "update" : "replace";
    if (!this.deps.readText) throw semanticError(source, file.pos, "load: cannot read files here");
    let text: string;
    try {
      text = await this.deps.readText(file.text);
    } catch (err) {
      throw semanticError(source, file.pos, `load: cannot read ${file.text}: ${(err as Error).message}`);
    }
    if (xmlWord || text.trimStart().startsWith("<"))
      return this.loadXml(cib, parseXml(text, file.text), method, file, source);
    const scratch = cloneElement(cib);
    if (method === "replace") for (const sec of configuration(scratch).children) sec.children = [];
    for (const line of splitCommands(text, file.text)) {
      const cmd = parseConfigure(line, file.text);
      const id = "id" in cmd && cmd.id && typeof cmd.id === "object" ? cmd.id.text : undefined;
      const place = method === "update" && id !== undefined ? removeObject(scratch, id) : undefined;
      await this.apply(scratch, cmd, file.text);
      if (place && id !== undefined) putBack(scratch, id, place);
    }
    cib.children = scratch.children;
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

/** `erase [nodes]`: the whole configuration but the nodes (those too when named), as crmsh does. */
function erase(cib: XmlElement, args: A.Word[], source: string): void {
  const bad = args.find((a) => a.text !== "nodes");
  if (bad) throw semanticError(source, bad.pos, `erase: unexpected '${bad.text}'`, "erase [nodes]");
  for (const sec of configuration(cib).children) {
    if (sec.name === "nodes" && args.length === 0) continue;
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
