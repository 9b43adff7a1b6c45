import { createHash } from "node:crypto";
import { assert } from "@hacrm/common";
import type { CibVersion } from "../types.js";
import { cloneElement, serializeXml, type XmlElement } from "../xml.js";

/**
 * CIB versions: (admin_epoch, epoch, num_updates), compared in that order.
 * Configuration edits move epoch (and reset num_updates); status updates move
 * num_updates only; admin_epoch moves only when an operator says so. Pure.
 */
export function compareVersions(a: CibVersion, b: CibVersion): number {
  return Math.sign(a.admin_epoch - b.admin_epoch || a.epoch - b.epoch || a.num_updates - b.num_updates);
}

export function formatVersion(v: CibVersion): string {
  return `${v.admin_epoch}.${v.epoch}.${v.num_updates}`;
}

/** The version counters of a `cib` element (absent counters are 0). */
export function versionOf(cib: XmlElement): CibVersion {
  const n = (name: string): number => {
    const v = Number(cib.attrs[name] ?? "0");
    assert(Number.isSafeInteger(v) && v >= 0, `${name} of the CIB is a non-negative integer`);
    return v;
  };
  return { admin_epoch: n("admin_epoch"), epoch: n("epoch"), num_updates: n("num_updates") };
}

/** Set the version counters on a `cib` element (mutates it). */
export function setVersion(cib: XmlElement, v: CibVersion): void {
  cib.attrs["admin_epoch"] = String(v.admin_epoch);
  cib.attrs["epoch"] = String(v.epoch);
  cib.attrs["num_updates"] = String(v.num_updates);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Digest of the configuration section (what an operator changes). */
export function configurationDigest(cib: XmlElement): string {
  const configuration = cib.children.find((c) => c.name === "configuration");
  return sha256(configuration ? serializeXml(configuration, { indent: "" }) : "");
}

/**
 * Digest of the whole document, version counters included: two copies with
 * the same digest are byte-identical when serialized.
 */
export function documentDigest(cib: XmlElement): string {
  return sha256(serializeXml(cib, { indent: "" }));
}

export type ChangeKind = "none" | "status" | "configuration";

/** What changed between two documents, in terms of which counter must move. */
export function changeKind(before: XmlElement, after: XmlElement): ChangeKind {
  const conf = (cib: XmlElement) => cib.children.find((c) => c.name === "configuration");
  const confBefore = conf(before);
  const confAfter = conf(after);
  const flat = (el: XmlElement | undefined): string => (el ? serializeXml(el, { indent: "" }) : "");
  if (flat(confBefore) !== flat(confAfter)) return "configuration";
  // Everything else: the cib element's own attributes (counters aside) and
  // the other children (status, unknown elements).
  const counters = new Set(["admin_epoch", "epoch", "num_updates"]);
  const ownAttrs = (cib: XmlElement) =>
    JSON.stringify(Object.entries(cib.attrs).filter(([k]) => !counters.has(k)));
  const rest = (cib: XmlElement) => cib.children.filter((c) => c.name !== "configuration");
  const restBefore = rest(before);
  const restAfter = rest(after);
  const same =
    ownAttrs(before) === ownAttrs(after) &&
    before.text === after.text &&
    restBefore.length === restAfter.length &&
    restBefore.every((c, i) => flat(c) === flat(restAfter[i]));
  return same ? "none" : "status";
}

/**
 * The document to commit when `proposed` replaces `current`: a copy of
 * `proposed` carrying the next version. A configuration change moves epoch and
 * resets num_updates; anything else moves num_updates; no change keeps the
 * version. Counters written in `proposed` itself are ignored (the store owns
 * them) except a higher admin_epoch, which an operator may set on purpose.
 */
export function nextVersionOf(
  current: XmlElement,
  proposed: XmlElement,
): { cib: XmlElement; kind: ChangeKind } {
  const next = nextVersion(versionOf(current), versionOf(proposed), changeKind(current, proposed));
  const cib = cloneElement(proposed);
  setVersion(cib, next.version);
  return { cib, kind: next.kind };
}

/**
 * The version rule on its own: `now` is the stored version, `asked` the
 * counters the proposed document carries, `kind` what changed.
 */
export function nextVersion(
  now: CibVersion,
  asked: CibVersion,
  kind: ChangeKind,
): { version: CibVersion; kind: ChangeKind } {
  if (asked.admin_epoch > now.admin_epoch) {
    return { version: { admin_epoch: asked.admin_epoch, epoch: 0, num_updates: 0 }, kind: "configuration" };
  }
  if (kind === "configuration") return { version: { ...now, epoch: now.epoch + 1, num_updates: 0 }, kind };
  if (kind === "status") return { version: { ...now, num_updates: now.num_updates + 1 }, kind };
  return { version: now, kind };
}

/**
 * A document serialized once, in parts, so a store can detect what changed
 * and digest the result without serializing again. `xml` equals
 * `serializeXml(cib, { indent: "" })`.
 */
export interface FlatCib {
  /** The configuration section, serialized (indent ""); "" when absent. */
  configuration: string;
  /** Everything else that is not a version counter: cib attributes and the other sections. */
  rest: string;
  /** Serialized content of the root (text and children), without its tags. */
  body: string;
  xml: string;
  digest: string;
  configDigest: string;
}

const counterNames = new Set(["admin_epoch", "epoch", "num_updates"]);

export function flattenCib(cib: XmlElement): FlatCib {
  const flat = { indent: "" };
  const parts = cib.children.map((c) => serializeXml(c, flat));
  const configIndex = cib.children.findIndex((c) => c.name === "configuration");
  const configuration = configIndex >= 0 ? (parts[configIndex] as string) : "";
  const ownAttrs = JSON.stringify(Object.entries(cib.attrs).filter(([k]) => !counterNames.has(k)));
  const restParts = parts.filter((_, i) => i !== configIndex);
  const rest = `${ownAttrs}\n${cib.text ?? ""}\n${restParts.join("\n")}`;
  const body = `${cib.text === undefined ? "" : escapeTextForFlat(cib.text)}${parts.join("")}`;
  return withRoot(cib, {
    configuration,
    rest,
    body,
    xml: "",
    digest: "",
    configDigest: sha256(configuration),
  });
}

/**
 * The same flattened document after the root's attributes (the version
 * counters) changed: only the start tag is serialized again.
 */
export function withRoot(cib: XmlElement, flat: FlatCib): FlatCib {
  const close = `</${cib.name}>`;
  const xml =
    flat.body === ""
      ? serializeXml({ name: cib.name, attrs: cib.attrs, children: [] }, { indent: "" })
      : `${serializeXml({ name: cib.name, attrs: cib.attrs, children: [], text: "x" }, { indent: "" }).slice(0, -(close.length + 1))}${flat.body}${close}`;
  return { ...flat, xml, digest: sha256(xml) };
}

function escapeTextForFlat(text: string): string {
  return serializeXml({ name: "t", attrs: {}, children: [], text }, { indent: "" }).slice(3, -4);
}

/** Like changeKind, on flattened documents. */
export function changeKindFlat(before: FlatCib, after: FlatCib): ChangeKind {
  if (before.configuration !== after.configuration) return "configuration";
  return before.rest === after.rest ? "none" : "status";
}
