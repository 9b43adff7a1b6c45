import { XMLParser, XMLValidator } from "fast-xml-parser";
import { HacrmError } from "@hacrm/common";
import type { XmlElement } from "./xml.js";

/*
 * The reference reader: the same tree built with fast-xml-parser. hacrm reads
 * CIBs with its own single-pass scanner (xml-scan.ts, about ten times faster
 * and bounded in depth); tests use this one as the oracle it must agree with.
 */

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

/** Parse with fast-xml-parser (validator + ordered parser); no limits. */
export function parseXmlReference(text: string, source = "<input>"): XmlElement {
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
