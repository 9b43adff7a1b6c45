import { element, type XmlElement } from "@hacrm/cib";
import type { Word } from "../lang/ast.js";
import { IdAllocator, semanticError } from "../lang/doc.js";

/**
 * What a top-level `resource` or `node` command may touch (the whole CIB, changed
 * in place; the session commits it); `out` prints data, `info` prints notes.
 */
export interface TopContext {
  cib: XmlElement;
  source: string;
  json: boolean;
  out: (line: string) => void;
  info: (line: string) => void;
  /** The wall clock (for the views the scheduler computes). */
  now: Date;
  /** Live mode: the node this shell runs on (`node standby` without a name means it). */
  localNode?: string;
  /** Live mode (the running cluster), not a CIB file. */
  live?: boolean;
}

/** Word `k` of the command, or an error saying what was expected there. */
export function need(ctx: TopContext, args: Word[], k: number, what: string): Word {
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

export function getNvpair(owner: XmlElement, setName: string, name: string): string | undefined {
  for (const s of owner.children) {
    if (s.name !== setName) continue;
    const nv = s.children.find((c) => c.name === "nvpair" && c.attrs["name"] === name);
    if (nv) return nv.attrs["value"];
  }
  return undefined;
}

/** `... set|delete|show NAME [VALUE]` on one kind of attribute set of `owner`. */
export function attributeVerb(
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
