import { readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { element, problemLine, serializeXml, type XmlElement } from "@hacrm/cib";
import { writeFileDurably } from "@hacrm/cib/file";
import type { Word } from "../lang/ast.js";
import { semanticError } from "../lang/doc.js";
import type { Pos } from "../lang/lexer.js";
import { showObjects } from "../lang/printer.js";
import { fileCibStore, type CibStore } from "./store.js";

/**
 * Shadow CIBs (`cib new|use|diff|commit|delete|list`): copies of the CIB in
 * CIB_shadow_dir (default: the folder of CIB_file) named shadow.NAME, as
 * crm_shadow keeps them. Edit one with `configure`, look at it with
 * `configure simulate`, then `cib commit NAME` writes it over the real CIB.
 */
export interface ShadowContext {
  source: string;
  env: NodeJS.ProcessEnv;
  /** The real CIB (CIB_file now; the cluster later). */
  liveStore: CibStore;
  current: () => CibStore;
  use: (store: CibStore, pos?: Pos) => Promise<void>;
  out: (text: string) => void;
  info: (text: string) => void;
  now: () => Date;
  force: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;
/** The cib level's own commands (the others are the `hacrm cib` command's: show, query, ...). */
export const SHADOW_VERBS: ReadonlySet<string> = new Set(["new", "use", "diff", "commit", "delete", "list"]);

function shadowDir(ctx: ShadowContext, pos?: Pos): string {
  const dir = ctx.env["CIB_shadow_dir"] ?? (ctx.liveStore.path ? dirname(ctx.liveStore.path) : undefined);
  if (!dir)
    throw semanticError(
      ctx.source,
      pos,
      "shadow CIBs need a folder to live in",
      "set CIB_shadow_dir=DIR (or CIB_file=PATH: shadows then go beside it)",
    );
  return dir;
}

function shadowStore(ctx: ShadowContext, name: Word): CibStore {
  if (!NAME_RE.test(name.text))
    throw semanticError(
      ctx.source,
      name.pos,
      `'${name.text}' is not a shadow name`,
      "letters, digits, _ . -",
    );
  const store = fileCibStore(join(shadowDir(ctx, name.pos), `shadow.${name.text}`));
  return { ...store, label: name.text };
}

async function exists(path: string | undefined): Promise<boolean> {
  return (
    path !== undefined &&
    (await stat(path).then(
      () => true,
      () => false,
    ))
  );
}

function need(ctx: ShadowContext, args: Word[], k: number, what: string): Word {
  const w = args[k];
  if (!w) throw semanticError(ctx.source, args[k - 1]?.pos, `expected ${what}`);
  return w;
}

/** The shadow named, else the one in use. */
function namedOrCurrent(ctx: ShadowContext, w: Word | undefined, verb: Word): CibStore {
  if (w) return shadowStore(ctx, w);
  const cur = ctx.current();
  if (cur === ctx.liveStore)
    throw semanticError(
      ctx.source,
      verb.pos,
      `cib ${verb.text}: no shadow is in use`,
      `cib ${verb.text} NAME`,
    );
  return cur;
}

function emptyCib(): XmlElement {
  return element(
    "cib",
    { admin_epoch: "0", epoch: "0", num_updates: "0", "validate-with": "pacemaker-3.9" },
    [
      element("configuration", {}, [
        element("crm_config"),
        element("nodes"),
        element("resources"),
        element("constraints"),
      ]),
      element("status"),
    ],
  );
}

/** `cib VERB ...` at the cib level (or `hacrm cib VERB ...`). */
export async function shadowCommand(ctx: ShadowContext, args: Word[]): Promise<void> {
  const verb = need(ctx, args, 0, "a cib command (new, use, diff, commit, delete, list)");
  switch (verb.text) {
    case "new": {
      const name = need(ctx, args, 1, "a shadow name");
      const rest = args.slice(2).map((a) => a.text);
      const store = shadowStore(ctx, name);
      if ((await exists(store.path)) && !rest.includes("--force") && !ctx.force)
        throw semanticError(
          ctx.source,
          name.pos,
          `shadow ${name.text} exists`,
          `cib new ${name.text} --force replaces it`,
        );
      // A copy, not a commit: the shadow starts as the CIB is (crm_shadow --create).
      const copy = rest.includes("empty") ? emptyCib() : await ctx.liveStore.read();
      await writeFileDurably(store.path as string, `${serializeXml(copy)}\n`);
      ctx.info(`INFO: ${name.text}: new shadow CIB (${store.path ?? ""}); it is in use now`);
      await ctx.use(store, name.pos);
      return;
    }
    case "use": {
      const name = args[1];
      if (!name || name.text === "live") {
        await ctx.use(ctx.liveStore, verb.pos);
        return;
      }
      const store = shadowStore(ctx, name);
      if (!(await exists(store.path)))
        throw semanticError(
          ctx.source,
          name.pos,
          `no shadow CIB called ${name.text}`,
          `cib new ${name.text}`,
        );
      await ctx.use(store, name.pos);
      return;
    }
    case "diff": {
      const store = namedOrCurrent(ctx, args[1], verb);
      const live = showObjects(await ctx.liveStore.read()).split("\n");
      const shadow = showObjects(await store.read()).split("\n");
      const liveSet = new Set(live);
      const shadowSet = new Set(shadow);
      for (const l of live) if (l !== "" && !shadowSet.has(l)) ctx.out(`- ${l}`);
      for (const l of shadow) if (l !== "" && !liveSet.has(l)) ctx.out(`+ ${l}`);
      return;
    }
    case "commit": {
      const store = namedOrCurrent(ctx, args[1], verb);
      const shadow = await store.read();
      const base = await ctx.liveStore.read();
      // The running cluster's status is its own: a shadow's old copy of it is not written back.
      const cib = ctx.liveStore.socket === undefined ? shadow : withStatusOf(shadow, base);
      const conf = (d: XmlElement): string =>
        serializeXml(d.children.find((c) => c.name === "configuration") ?? element("configuration"), {
          indent: "",
        });
      // Through the CIB's one write path: verify's checks, the version rule, a durable write.
      const outcome = await ctx.liveStore.commit(base, cib, {
        kind: conf(base) === conf(cib) ? "status" : "configuration",
        stamp: { "cib-last-written": ctx.now().toUTCString(), "update-client": "hacrm" },
      });
      if (!outcome.ok) {
        const first = outcome.problems[0];
        throw semanticError(
          ctx.source,
          verb.pos,
          `shadow ${store.label} cannot be committed: ${first ? problemLine(first) : "invalid"}`,
          outcome.problems.length > 1
            ? `${outcome.problems.length} problems; fix them in the shadow`
            : undefined,
        );
      }
      ctx.info(`INFO: committed shadow ${store.label} to the CIB (${ctx.liveStore.label})`);
      return;
    }
    case "delete": {
      const name = need(ctx, args, 1, "a shadow name");
      const store = shadowStore(ctx, name);
      if (ctx.current().path === store.path)
        throw semanticError(ctx.source, name.pos, `shadow ${name.text} is in use`, "cib use live first");
      if (!(await exists(store.path)))
        throw semanticError(ctx.source, name.pos, `no shadow CIB called ${name.text}`);
      await rm(store.path as string);
      return;
    }
    case "list": {
      const dir = shadowDir(ctx, verb.pos);
      const names = (await readdir(dir).catch(() => [] as string[]))
        .filter((f) => f.startsWith("shadow.") && !f.endsWith(".tmp"))
        .map((f) => f.slice("shadow.".length))
        .sort();
      for (const n of names) ctx.out(n);
      return;
    }
    default:
      throw semanticError(
        ctx.source,
        verb.pos,
        `cib: unknown command '${verb.text}'`,
        "commands: new, use, diff, commit, delete, list",
      );
  }
}

/** `doc` with the status section of `from`. */
function withStatusOf(doc: XmlElement, from: XmlElement): XmlElement {
  return {
    ...doc,
    children: [
      ...doc.children.filter((c) => c.name !== "status"),
      ...from.children.filter((c) => c.name === "status"),
    ],
  };
}
