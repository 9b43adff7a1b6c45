import { XMLParser, XMLValidator } from "fast-xml-parser";
import { HacrmError } from "@hacrm/common";

/**
 * The lossless document tree every layer shares. A CIB is Pacemaker's XML:
 * elements with string attributes and child elements, in order. Unknown
 * elements and attributes are kept as they are, so a round trip never drops
 * what hacrm does not understand.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Text content, when an element has any (rare in a CIB). */
  text?: string;
}

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseAttributeValue: false,
  parseTagValue: false,
  // Attribute values are kept exactly (a resource parameter " x " is not
  // "x": Pacemaker's operation digests would change). Text is trimmed below.
  trimValues: false,
  processEntities: true,
  htmlEntities: true, // decodes numeric character references (&#10;) too
  commentPropName: "#comment",
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Bounds on what `parseXml` accepts (style.md habit 7). */
export interface ParseLimits {
  /** Longest text accepted, in UTF-16 code units (about bytes for CIBs). Default 512 Mi. */
  textCharsMax?: number;
  /** Deepest element nesting accepted. Default 256 (real CIBs stay under 15). */
  depthMax?: number;
}

export const defaultParseLimits: Required<ParseLimits> = { textCharsMax: 512 * 1024 * 1024, depthMax: 256 };

/**
 * Parse XML text into a tree; malformed input is a HacrmError naming line and
 * column (code XML_MALFORMED), input over the limits is XML_TOO_LARGE or
 * XML_TOO_DEEP (checked before any tree is built).
 */
export function parseXml(text: string, source = "<input>", limits: ParseLimits = {}): XmlElement {
  const { textCharsMax, depthMax } = { ...defaultParseLimits, ...limits };
  if (text.length > textCharsMax) {
    throw new HacrmError({
      code: "XML_TOO_LARGE",
      where: source,
      message: `document is ${text.length} characters, over the limit of ${textCharsMax}`,
      hint: "raise textCharsMax if this CIB is really that large",
    });
  }
  checkDepth(text, depthMax, source);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    throw new HacrmError({
      code: "XML_MALFORMED",
      where: `${source}:${line}:${col}`,
      message: `malformed XML: ${msg}`,
    });
  }
  const nodes = parser.parse(text) as OrderedNode[];
  const roots = nodes.map(toElement).filter((e): e is XmlElement => e !== undefined);
  if (roots.length !== 1 || !roots[0]) {
    throw new HacrmError({
      code: "XML_MALFORMED",
      where: source,
      message: `expected exactly one root element, found ${roots.length}`,
    });
  }
  return roots[0];
}

/**
 * Reject nesting deeper than depthMax before the recursive parsers see it.
 * A light scan: tags, quoted attribute values, comments, CDATA and PIs.
 */
function checkDepth(text: string, depthMax: number, source: string): void {
  let depth = 0;
  let i = text.indexOf("<");
  while (i !== -1) {
    const next = text.charCodeAt(i + 1);
    if (next === 33 /* ! */ || next === 63 /* ? */) {
      const close = text.startsWith("<!--", i) ? "-->" : text.startsWith("<![CDATA[", i) ? "]]>" : ">";
      const end = text.indexOf(close, i + 2);
      if (end === -1) return; // unterminated: the validator reports it
      i = text.indexOf("<", end + close.length);
      continue;
    }
    const end = tagEnd(text, i + 1);
    if (end === -1) return;
    if (next === 47 /* / */) depth--;
    else if (text.charCodeAt(end - 1) !== 47) depth++;
    if (depth > depthMax) {
      throw new HacrmError({
        code: "XML_TOO_DEEP",
        where: `${source}:${lineOf(text, i)}`,
        message: `elements nested deeper than ${depthMax} levels`,
        hint: "a CIB is at most a few levels deep; this input is not a CIB",
      });
    }
    i = text.indexOf("<", end + 1);
  }
}

/** Index of the `>` that closes the tag starting before `from`, skipping quoted values. */
function tagEnd(text: string, from: number): number {
  let quote = 0;
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return j;
  }
  return -1;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function toElement(node: OrderedNode): XmlElement | undefined {
  for (const key of Object.keys(node)) {
    if (key === ":@" || key === "#comment" || key === "#text") continue;
    const body = node[key] as OrderedNode[];
    const element: XmlElement = { name: key, attrs: { ...(node[":@"] ?? {}) }, children: [] };
    for (const child of body) {
      if ("#text" in child) {
        const text = String(child["#text"]).trim();
        if (text === "") continue;
        element.text = element.text === undefined ? text : element.text + text;
        continue;
      }
      const c = toElement(child);
      if (c) element.children.push(c);
    }
    return element;
  }
  return undefined;
}

export interface SerializeOptions {
  /** Indentation per level; "" writes everything on one line. Default two spaces. */
  indent?: string;
}

/** Serialize a tree to XML text (no declaration). Deterministic: same tree, same bytes. */
export function serializeXml(root: XmlElement, opts: SerializeOptions = {}): string {
  const indent = opts.indent ?? "  ";
  const out: string[] = [];
  writeElement(root, 0, indent, out);
  return out.join(indent === "" ? "" : "\n") + (indent === "" ? "" : "\n");
}

function writeElement(el: XmlElement, depth: number, indent: string, out: string[]): void {
  const pad = indent.repeat(depth);
  let open = `${pad}<${el.name}`;
  for (const [k, v] of Object.entries(el.attrs)) open += ` ${k}="${escapeAttr(v)}"`;
  if (el.children.length === 0 && el.text === undefined) {
    out.push(`${open}/>`);
    return;
  }
  if (el.children.length === 0) {
    out.push(`${open}>${escapeText(el.text ?? "")}</${el.name}>`);
    return;
  }
  out.push(`${open}>${el.text !== undefined ? escapeText(el.text) : ""}`);
  for (const child of el.children) writeElement(child, depth + 1, indent, out);
  out.push(`${pad}</${el.name}>`);
}

export function escapeAttr(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// ---- small tree helpers used across layers -------------------------------

export function element(
  name: string,
  attrs: Record<string, string> = {},
  children: XmlElement[] = [],
): XmlElement {
  return { name, attrs, children };
}

/** First child with this element name. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** All children with this element name. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Depth-first walk over an element and all its descendants. */
export function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

/** Deep copy: trees are mutable, so copy before editing a shared one. */
export function cloneElement(el: XmlElement): XmlElement {
  const copy: XmlElement = { name: el.name, attrs: { ...el.attrs }, children: el.children.map(cloneElement) };
  if (el.text !== undefined) copy.text = el.text;
  return copy;
}
