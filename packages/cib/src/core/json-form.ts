import type { XmlElement } from "../xml.js";

/**
 * The JSON form of an XML tree that the JSON Schemas in cib-schemas/ check:
 * attributes become "@name" string properties, child elements are grouped
 * into arrays under their element name (document order within a name), text
 * is "#text". `origin` maps every produced object back to its element chain
 * so schema errors can name the element and its id. `shallow` elements
 * keep their attributes but not their children (the status section, which
 * the schema accepts whatever it holds, is most of a big CIB).
 */
export interface JsonForm {
  root: JsonObject;
  origin: WeakMap<object, XmlElement>;
}

export type JsonObject = { [key: string]: string | JsonObject[] };

export function toJsonForm(tree: XmlElement, opts: { shallow?: (el: XmlElement) => boolean } = {}): JsonForm {
  const origin = new WeakMap<object, XmlElement>();
  const convert = (el: XmlElement): JsonObject => {
    const out: JsonObject = {};
    origin.set(out, el);
    for (const [k, v] of Object.entries(el.attrs)) out[`@${k}`] = v;
    if (el.text !== undefined) out["#text"] = el.text;
    if (opts.shallow?.(el)) return out;
    for (const c of el.children) {
      const list = out[c.name];
      const converted = convert(c);
      if (Array.isArray(list)) list.push(converted);
      else out[c.name] = [converted];
    }
    return out;
  };
  return { root: convert(tree), origin };
}

/**
 * Resolve a JSON pointer (ajv's instancePath) in a JSON form to the chain of
 * elements it goes through, and the attribute it ends on, if any.
 */
export function resolvePointer(
  form: JsonForm,
  pointer: string,
): { chain: XmlElement[]; attribute?: string; childName?: string } {
  const tokens = pointer
    .split("/")
    .slice(1)
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  const chain: XmlElement[] = [];
  let node: unknown = form.root;
  const rootEl = form.origin.get(form.root);
  if (rootEl) chain.push(rootEl);
  let childName: string | undefined;
  for (const token of tokens) {
    if (token.startsWith("@")) return { chain, attribute: token.slice(1) };
    if (Array.isArray(node)) {
      node = node[Number(token)];
      const el = node && typeof node === "object" ? form.origin.get(node) : undefined;
      if (el) chain.push(el);
      childName = undefined;
    } else if (node && typeof node === "object") {
      node = (node as Record<string, unknown>)[token];
      childName = token;
    }
  }
  return childName === undefined ? { chain } : { chain, childName };
}
