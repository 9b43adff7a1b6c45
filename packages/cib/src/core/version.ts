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
  const ownAttrs = (cib: XmlElement) => JSON.stringify(Object.entries(cib.attrs).filter(([k]) => !counters.has(k)));
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
export function nextVersionOf(current: XmlElement, proposed: XmlElement): { cib: XmlElement; kind: ChangeKind } {
  const now = versionOf(current);
  const asked = versionOf(proposed);
  const kind = changeKind(current, proposed);
  const next: CibVersion =
    asked.admin_epoch > now.admin_epoch
      ? { admin_epoch: asked.admin_epoch, epoch: 0, num_updates: 0 }
      : kind === "configuration"
        ? { admin_epoch: now.admin_epoch, epoch: now.epoch + 1, num_updates: 0 }
        : kind === "status"
          ? { ...now, num_updates: now.num_updates + 1 }
          : now;
  const cib = cloneElement(proposed);
  setVersion(cib, next);
  return { cib, kind: asked.admin_epoch > now.admin_epoch ? "configuration" : kind };
}
