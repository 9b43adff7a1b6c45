import type { XmlElement } from "../xml.js";

/** What kind of problem a CIB has; stable codes for tests and tools. */
export type CibProblemCode =
  | "XML_MALFORMED"
  | "TOO_LARGE"
  | "TOO_DEEP"
  | "SCHEMA"
  | "DUPLICATE_ID"
  | "DANGLING_REF"
  | "BAD_SCORE"
  | "UNKNOWN_CLASS"
  | "BAD_ROLE"
  | "BAD_RULE"
  | "BAD_VALUE";

/** One problem: where (element and id), what is wrong, why it is wrong. */
export interface CibProblem {
  code: CibProblemCode;
  /** Element name, e.g. "rsc_location". */
  element: string;
  /** The element's id, when it has one. */
  id?: string;
  /** Printable location: `rsc_location[id=loc1]`, or `op in primitive[id=r]` when the element has no id. */
  where: string;
  /** What is wrong, e.g. `rsc="ghost"`. */
  what: string;
  /** Why it is wrong, e.g. `no resource or tag has id ghost`. */
  why: string;
}

/** The one line `hacrm verify` prints for a problem. */
export function problemLine(p: CibProblem): string {
  return `${p.where}: ${p.what}: ${p.why}`;
}

/** `name[id=x]` for an element with an id, else `name`. */
export function describeElement(el: XmlElement): string {
  const id = el.attrs["id"] ?? el.attrs["id-ref"];
  if (id === undefined) return el.name;
  return el.attrs["id"] !== undefined ? `${el.name}[id=${id}]` : `${el.name}[id-ref=${id}]`;
}

/**
 * Where an element is, for a problem line: itself when it has an id,
 * otherwise itself "in" its nearest ancestor that has one.
 */
export function locate(chain: readonly XmlElement[]): string {
  const self = chain[chain.length - 1];
  if (!self) return "document";
  if (self.attrs["id"] !== undefined || self.attrs["id-ref"] !== undefined) return describeElement(self);
  for (let i = chain.length - 2; i >= 0; i--) {
    const a = chain[i];
    if (a && (a.attrs["id"] !== undefined || a.name === "cib")) return `${self.name} in ${describeElement(a)}`;
  }
  return self.name;
}

export function problem(
  code: CibProblemCode,
  chain: readonly XmlElement[],
  what: string,
  why: string,
): CibProblem {
  const self = chain[chain.length - 1];
  const p: CibProblem = { code, element: self?.name ?? "document", where: locate(chain), what, why };
  const id = self?.attrs["id"];
  if (id !== undefined) p.id = id;
  return p;
}
