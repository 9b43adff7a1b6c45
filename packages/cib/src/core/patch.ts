import { HacrmError } from "@hacrm/common";
import type { CibVersion } from "../types.js";
import { cloneElement, serializeXml, type XmlElement } from "../xml.js";
import { compareVersions, documentDigest, formatVersion, versionOf } from "./version.js";

/**
 * A patch: the difference between two CIB documents. It applies only on top
 * of the exact document it was made from (same version and digest); the
 * result must have the recorded target digest. Anything else is refused and
 * the input is left untouched: patches are applied to a copy, never half-way.
 *
 * Element paths are XPath-like: `/cib/configuration/resources/primitive[@id='r1']`,
 * or `lrm[1]` (1-based, among same-name siblings without id) for elements
 * without an id.
 */
export interface CibPatch {
  from: { version: CibVersion; digest: string };
  to: { version: CibVersion; digest: string };
  ops: PatchOp[];
}

export type PatchOp =
  /** New attributes (all of them, in order) of the element at `path`. */
  | { op: "attrs"; path: string; attrs: Record<string, string> }
  /** Remove the element at `path`. */
  | { op: "delete"; path: string }
  /** Insert `element` as child number `position` (0-based) of `parent`. */
  | { op: "insert"; parent: string; position: number; element: XmlElement }
  /** Replace the element at `path` (used when children are reordered). */
  | { op: "replace"; path: string; element: XmlElement }
  /** Set or clear the text of the element at `path`. */
  | { op: "text"; path: string; text: string | null };

/** The patch that turns `from` into `to`. */
export function diffCib(from: XmlElement, to: XmlElement): CibPatch {
  const ops: PatchOp[] = [];
  diffElement(from, to, `/${from.name}`, ops);
  return {
    from: { version: versionOf(from), digest: documentDigest(from) },
    to: { version: versionOf(to), digest: documentDigest(to) },
    ops,
  };
}

/** Sibling keys: `name[@id='x']`, or `name[n]` among id-less same-name siblings. */
function childKeys(el: XmlElement): string[] {
  const counts = new Map<string, number>();
  return el.children.map((c) => {
    const id = c.attrs["id"];
    if (id !== undefined) return `${c.name}[@id=${quote(id)}]`;
    const n = (counts.get(c.name) ?? 0) + 1;
    counts.set(c.name, n);
    return `${c.name}[${n}]`;
  });
}

function quote(id: string): string {
  return id.includes("'") ? `"${id}"` : `'${id}'`;
}

function diffElement(a: XmlElement, b: XmlElement, path: string, ops: PatchOp[]): void {
  // Attributes are compared in order: serialization (and so the digest)
  // depends on it.
  const same = JSON.stringify(Object.entries(a.attrs)) === JSON.stringify(Object.entries(b.attrs));
  if (!same) ops.push({ op: "attrs", path, attrs: { ...b.attrs } });
  if (a.text !== b.text) ops.push({ op: "text", path, text: b.text ?? null });
  diffChildren(a, b, path, ops);
}

function diffChildren(a: XmlElement, b: XmlElement, path: string, ops: PatchOp[]): void {
  const aKeys = childKeys(a);
  const bKeys = childKeys(b);
  const aSet = new Set(aKeys);
  const bSet = new Set(bKeys);
  const kept = aKeys.filter((k) => bSet.has(k));
  const keptInB = bKeys.filter((k) => aSet.has(k));
  const unquotable = (el: XmlElement) =>
    el.children.some((c) => /'/.test(c.attrs["id"] ?? "") && /"/.test(c.attrs["id"] ?? ""));
  const ambiguous =
    aSet.size !== aKeys.length || bSet.size !== bKeys.length || unquotable(a) || unquotable(b);
  if (ambiguous || kept.join("\n") !== keptInB.join("\n")) {
    // Reordered or duplicate ids among siblings: replace this element whole
    // rather than guess. (Id-less siblings are matched by position; that
    // may not be minimal but is exact, and the target digest proves it.)
    ops.push({ op: "replace", path, element: cloneElement(b) });
    return;
  }
  // Deletes last-to-first so earlier positional keys stay valid.
  for (let i = aKeys.length - 1; i >= 0; i--) {
    const k = aKeys[i] as string;
    if (!bSet.has(k)) ops.push({ op: "delete", path: `${path}/${k}` });
  }
  const aIndex = new Map(aKeys.map((k, i) => [k, i]));
  bKeys.forEach((k, i) => {
    const bc = b.children[i] as XmlElement;
    const ai = aIndex.get(k);
    if (ai === undefined) {
      ops.push({ op: "insert", parent: path, position: i, element: cloneElement(bc) });
      return;
    }
    const ac = a.children[ai] as XmlElement;
    diffElement(ac, bc, `${path}/${k}`, ops);
  });
}

/**
 * Apply a patch to `base` and return the new document. Refused (HacrmError
 * PATCH_REFUSED, `base` untouched) unless `base` is exactly the document the
 * patch was made from and the result is exactly the document it leads to.
 */
export function applyPatch(base: XmlElement, patch: CibPatch): XmlElement {
  const version = versionOf(base);
  if (compareVersions(version, patch.from.version) !== 0) {
    refuse(
      `patch is for version ${formatVersion(patch.from.version)}, this CIB is ${formatVersion(version)}`,
    );
  }
  if (documentDigest(base) !== patch.from.digest) {
    refuse(
      `this CIB differs from the one the patch was made from (same version ${formatVersion(version)}, other digest)`,
    );
  }
  const doc = applyPatchOps(base, patch.ops);
  if (documentDigest(doc) !== patch.to.digest) refuse("the result does not match the patch's target digest");
  return doc;
}

/**
 * Apply a patch's operations to a copy of `base` without the version and
 * digest checks: a client's edit rebased onto a CIB whose status moved since
 * the client read it. Refused (PATCH_REFUSED, `base` untouched) when a path
 * does not resolve.
 */
export function applyPatchOps(base: XmlElement, ops: PatchOp[]): XmlElement {
  let doc = cloneElement(base);
  for (const op of ops) doc = applyOp(doc, op);
  return doc;
}

function refuse(message: string): never {
  throw new HacrmError({
    code: "PATCH_REFUSED",
    where: "cib",
    message,
    hint: "fetch the full CIB instead of applying this patch",
  });
}

/** Apply one operation in place; returns the (possibly replaced) root. */
function applyOp(doc: XmlElement, op: PatchOp): XmlElement {
  switch (op.op) {
    case "attrs": {
      resolve(doc, op.path).attrs = { ...op.attrs };
      return doc;
    }
    case "text": {
      const el = resolve(doc, op.path);
      if (op.text === null) delete el.text;
      else el.text = op.text;
      return doc;
    }
    case "delete":
    case "replace": {
      if (op.op === "replace" && op.path === `/${doc.name}`) return cloneElement(op.element);
      const { parent, index } = locateChild(doc, op.path);
      if (op.op === "delete") parent.children.splice(index, 1);
      else parent.children[index] = cloneElement(op.element);
      return doc;
    }
    case "insert": {
      const parent = resolve(doc, op.parent);
      if (op.position > parent.children.length) refuse(`insert position ${op.position} beyond ${op.parent}`);
      parent.children.splice(op.position, 0, cloneElement(op.element));
      return doc;
    }
  }
}

const stepPattern = /^([^[\]/]+)(?:\[@id=(?:'([^']*)'|"([^"]*)")\]|\[(\d+)\])?$/;

function splitPath(path: string): string[] {
  const steps: string[] = [];
  let current = "";
  let quoteChar = "";
  for (const ch of path.slice(1)) {
    if (quoteChar) {
      if (ch === quoteChar) quoteChar = "";
    } else if (ch === "'" || ch === '"') quoteChar = ch;
    else if (ch === "/") {
      steps.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  steps.push(current);
  return steps;
}

function findChild(parent: XmlElement, step: string, path: string): number {
  const m = stepPattern.exec(step);
  if (!m) refuse(`bad path step '${step}' in ${path}`);
  const [, name, id1, id2, nth] = m;
  const id = id1 ?? id2;
  if (id !== undefined) {
    const i = parent.children.findIndex((c) => c.name === name && c.attrs["id"] === id);
    if (i < 0) refuse(`no element ${path}`);
    return i;
  }
  let seen = 0;
  const want = nth === undefined ? 1 : Number(nth);
  for (let i = 0; i < parent.children.length; i++) {
    const c = parent.children[i] as XmlElement;
    if (c.name === name && c.attrs["id"] === undefined && ++seen === want) return i;
  }
  return refuse(`no element ${path}`);
}

function resolve(doc: XmlElement, path: string): XmlElement {
  const steps = splitPath(path);
  if (steps[0] !== doc.name) refuse(`path ${path} does not start at <${doc.name}>`);
  let el = doc;
  for (const step of steps.slice(1)) el = el.children[findChild(el, step, path)] as XmlElement;
  return el;
}

function locateChild(doc: XmlElement, path: string): { parent: XmlElement; index: number } {
  const steps = splitPath(path);
  const last = steps.pop();
  if (last === undefined || steps.length === 0) refuse("cannot delete the root element");
  const parent = resolve(doc, `/${steps.join("/")}`);
  return { parent, index: findChild(parent, last, path) };
}

/**
 * Three-way merge for writers that read the CIB, edited a copy and find,
 * when they come to write, that someone else wrote first: the changes from
 * `base` to `mine`, applied on `theirs` (a later version of `base`).
 * Attributes merge key by key; an element both sides changed, or an id both
 * sides added with different content, is a conflict (HacrmError
 * CIB_CONFLICT, nothing returned). Pure.
 */
export function rebaseChanges(base: XmlElement, mine: XmlElement, theirs: XmlElement): XmlElement {
  let doc = cloneElement(theirs);
  for (const op of diffCib(base, mine).ops) doc = rebaseOp(base, doc, op);
  return doc;
}

function conflict(path: string, why: string): never {
  throw new HacrmError({
    code: "CIB_CONFLICT",
    where: path,
    message: `the CIB changed since it was read: ${why}`,
    hint: "read the CIB again and redo the change",
  });
}

function tryResolve(doc: XmlElement, path: string): XmlElement | undefined {
  try {
    return resolve(doc, path);
  } catch {
    return undefined;
  }
}

const flat = (el: XmlElement | undefined): string => (el ? serializeXml(el, { indent: "" }) : "");

function rebaseOp(base: XmlElement, doc: XmlElement, op: PatchOp): XmlElement {
  switch (op.op) {
    case "attrs": {
      const was = resolve(base, op.path).attrs;
      const el = tryResolve(doc, op.path) ?? conflict(op.path, "another writer removed this element");
      for (const k of new Set([...Object.keys(was), ...Object.keys(op.attrs)])) {
        if (was[k] === op.attrs[k]) continue;
        if (el.attrs[k] !== was[k] && el.attrs[k] !== op.attrs[k])
          conflict(op.path, `both writers changed ${k}`);
        if (op.attrs[k] === undefined) delete el.attrs[k];
        else el.attrs[k] = op.attrs[k];
      }
      return doc;
    }
    case "text": {
      const el = tryResolve(doc, op.path) ?? conflict(op.path, "another writer removed this element");
      if (el.text !== resolve(base, op.path).text && el.text !== (op.text ?? undefined)) {
        conflict(op.path, "both writers changed its text");
      }
      if (op.text === null) delete el.text;
      else el.text = op.text;
      return doc;
    }
    case "delete":
    case "replace": {
      const now = tryResolve(doc, op.path);
      if (now === undefined && op.op === "delete") return doc;
      if (flat(now) !== flat(tryResolve(base, op.path)))
        conflict(op.path, "another writer changed this element");
      return applyOp(doc, op);
    }
    case "insert": {
      const parent = tryResolve(doc, op.parent) ?? conflict(op.parent, "another writer removed this element");
      const id = op.element.attrs["id"];
      const twin = parent.children.find(
        (c) => c.name === op.element.name && id !== undefined && c.attrs["id"] === id,
      );
      if (twin !== undefined) {
        if (flat(twin) === flat(op.element)) return doc;
        conflict(
          `${op.parent}/${op.element.name}[@id=${quote(id as string)}]`,
          "another writer added the same id",
        );
      }
      parent.children.splice(Math.min(op.position, parent.children.length), 0, cloneElement(op.element));
      return doc;
    }
  }
}
