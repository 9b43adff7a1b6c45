import type { XmlElement } from "@hacrm/cib";

/** Index of every element with an id, for id-ref resolution. */
export type IdIndex = Map<string, XmlElement>;

export function buildIdIndex(root: XmlElement): IdIndex {
  const index: IdIndex = new Map();
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    const id = el.attrs.id;
    if (id !== undefined && !index.has(id)) index.set(id, el);
    for (const c of el.children) stack.push(c);
  }
  return index;
}

/** The element an `id-ref` points to (the element itself when it has none or the target is missing). */
export function resolveRef(el: XmlElement, ids: IdIndex): XmlElement {
  const ref = el.attrs["id-ref"];
  if (ref === undefined) return el;
  return ids.get(ref) ?? el;
}
