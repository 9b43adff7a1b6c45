import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { cloneElement, serializeXml, type XmlElement } from "@hacrm/cib";
import type { Word } from "../lang/ast.js";
import { configuration, findById, semanticError } from "../lang/doc.js";
import { showObjects } from "../lang/printer.js";

/** configure `load update` (objects replaced in place) and `save`. */

/** Where an object was, so that `load update` puts its new version in the same place. */
export interface Place {
  section: string;
  index: number;
}

/** Remove one object (by id, or a node by name) before `load update` builds it anew. */
export function removeObject(cib: XmlElement, id: string): Place | undefined {
  const found =
    findById(cib, id) ??
    (() => {
      const nodes = configuration(cib).children.find((c) => c.name === "nodes");
      const el = nodes?.children.find((n) => n.attrs["uname"] === id);
      return el && nodes ? { el, parent: nodes } : undefined;
    })();
  if (!found) return undefined;
  const index = found.parent.children.indexOf(found.el);
  found.parent.children = found.parent.children.filter((c) => c !== found.el);
  return { section: found.parent.name, index };
}

/** Move the object `id`, just built at the end of its section, back to where its old version was. */
export function putBack(cib: XmlElement, id: string, place: Place): void {
  const sec = configuration(cib).children.find((c) => c.name === place.section);
  if (!sec) return;
  const k = sec.children.findIndex((c) => c.attrs["id"] === id || c.attrs["uname"] === id);
  if (k < 0) return;
  const [el] = sec.children.splice(k, 1);
  if (el) sec.children.splice(Math.min(place.index, sec.children.length), 0, el);
}

/** `save [xml] FILE`: the working configuration as crm commands (what `show` prints) or XML. */
export async function saveConfiguration(
  cib: XmlElement,
  args: Word[],
  source: string,
  cwd: string,
): Promise<void> {
  const xml = args[0]?.text === "xml";
  const f = args[xml ? 1 : 0];
  if (!f) throw semanticError(source, args[0]?.pos, "save: expected a file name", "save [xml] FILE");
  const text = xml ? serializeXml(cloneElement(cib)) : showObjects(cib);
  try {
    await writeFile(resolve(cwd, f.text), text.endsWith("\n") ? text : `${text}\n`);
  } catch (err) {
    throw semanticError(source, f.pos, `save: cannot write ${f.text}: ${(err as Error).message}`);
  }
}
