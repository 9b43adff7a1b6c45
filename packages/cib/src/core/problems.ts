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
  | "BAD_VALUE"
  | "DUPLICATE_OP"
  | "ORDER_LOOP"
  /** Warnings (`checkWarnings`): valid, but likely not what was meant. */
  | "UNKNOWN_NODE"
  | "UNKNOWN_AGENT"
  | "NO_FENCING_DEVICE";

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
 * otherwise its path from the nearest ancestor that has one (or from the
 * root), with a position among same-name siblings when there are several:
 * `primitive[id=r1]/operations`, `cib/configuration/resources/primitive[3]`.
 */
export function locate(chain: readonly XmlElement[]): string {
  const self = chain[chain.length - 1];
  if (!self) return "document";
  if (self.attrs["id"] !== undefined || self.attrs["id-ref"] !== undefined) return describeElement(self);
  const steps: string[] = [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const el = chain[i] as XmlElement;
    const parent = chain[i - 1];
    if (i < chain.length - 1 && (el.attrs["id"] !== undefined || el.attrs["id-ref"] !== undefined)) {
      steps.unshift(describeElement(el));
      break;
    }
    steps.unshift(parent ? positioned(parent, el) : el.name);
  }
  return steps.join("/");
}

function positioned(parent: XmlElement, el: XmlElement): string {
  const same = parent.children.filter((c) => c.name === el.name);
  return same.length > 1 ? `${el.name}[${same.indexOf(el) + 1}]` : el.name;
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
