import type { XmlElement } from "@hacrm/cib";
import { resolveRef, type IdIndex } from "./id-index.js";
import { evaluateRule, type RuleContext } from "./rules.js";

/**
 * Read the name/value pairs of every child set named `setName` of `parent`,
 * in precedence order (score attribute, then document order). Earlier sets
 * win. Sets with a rule are included only when the rule passes.
 */
export function readNvsets(
  parent: XmlElement | undefined,
  setName: string,
  ids: IdIndex,
  ctx: RuleContext | undefined,
  into: Map<string, string> = new Map(),
): Map<string, string> {
  if (!parent) return into;
  const sets = parent.children
    .filter((c) => c.name === setName)
    .map((c, i) => ({ el: resolveRef(c, ids), i }))
    .sort((a, b) => {
      const sa = Number.parseInt(a.el.attrs.score ?? "0", 10) || 0;
      const sb = Number.parseInt(b.el.attrs.score ?? "0", 10) || 0;
      return sb - sa || a.i - b.i;
    });
  for (const { el } of sets) {
    const rules = el.children.filter((c) => c.name === "rule");
    if (rules.length > 0 && !rules.every((r) => evaluateRule(r, ctx ?? {}, ids))) continue;
    for (const pair of el.children) {
      if (pair.name !== "nvpair") continue;
      const p = resolveRef(pair, ids);
      const name = p.attrs.name;
      if (name === undefined || into.has(name)) continue;
      const value = p.attrs.value ?? pair.attrs.value;
      if (value !== undefined) into.set(name, value);
    }
  }
  return into;
}
