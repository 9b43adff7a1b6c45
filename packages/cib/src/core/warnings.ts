import { parseBoolean } from "../vocabulary.js";
import type { XmlElement } from "../xml.js";
import { findOrderLoops } from "./order-loops.js";
import { problem, type CibProblem } from "./problems.js";
import { chainLookup, indexConfiguration } from "./semantic.js";

export interface WarningOptions {
  /**
   * Whether an agent is installed where the check runs (`class`, `provider`
   * or undefined, `type`). Left out, agents are not checked: the CIB may be
   * checked on a machine that is not a node.
   */
  agentInstalled?: (cls: string, provider: string | undefined, type: string) => boolean;
}

/**
 * What a valid CIB may still get wrong, where crmsh warns: a location on a
 * node the CIB does not know, fencing enabled without a fencing device (no
 * resource will start), an agent not installed here, a loop that needs an
 * optional order. Pure; the document is valid (run after `checkSemantics`).
 */
export function checkWarnings(tree: XmlElement, opts: WarningOptions = {}): CibProblem[] {
  const configuration = tree.children.find((c) => c.name === "configuration");
  if (!configuration) return [];
  const index = indexConfiguration(tree, configuration);
  const chainOf = chainLookup(index);
  const out: CibProblem[] = [];
  const nodes = new Set<string>();
  let fencingDevice = false;
  let stonithEnabled = true;
  for (const chain of index.chains) {
    const el = chain[chain.length - 1] as XmlElement;
    const parent = chain[chain.length - 2];
    if (el.name === "node" && parent?.name === "nodes" && el.attrs["uname"]) nodes.add(el.attrs["uname"]);
    if (el.name === "primitive" && el.attrs["class"] === "stonith") fencingDevice = true;
    if (
      el.name === "nvpair" &&
      parent?.name === "cluster_property_set" &&
      el.attrs["name"] === "stonith-enabled"
    ) {
      const b = parseBoolean(el.attrs["value"] ?? "");
      if (b.ok) stonithEnabled = b.value;
    }
  }
  for (const chain of index.chains) {
    const el = chain[chain.length - 1] as XmlElement;
    const node = el.attrs["node"];
    if (el.name === "rsc_location" && node !== undefined && !nodes.has(node))
      out.push(
        problem(
          "UNKNOWN_NODE",
          chain,
          `node="${node}"`,
          `no node ${node} in the nodes section; it applies only if one joins`,
        ),
      );
    if (opts.agentInstalled && el.name === "primitive") checkAgent(chain, el, opts.agentInstalled, out);
  }
  if (stonithEnabled && !fencingDevice && index.resources.size > 0)
    out.push(
      problem(
        "NO_FENCING_DEVICE",
        [tree, configuration],
        "stonith-enabled is true and no fencing device is configured",
        "no resource will start; add a stonith resource, or set stonith-enabled=false where nodes share no data",
      ),
    );
  out.push(...findOrderLoops(configuration, chainOf).warnings);
  return out;
}

function checkAgent(
  chain: XmlElement[],
  el: XmlElement,
  installed: NonNullable<WarningOptions["agentInstalled"]>,
  out: CibProblem[],
): void {
  const { class: cls, provider, type } = el.attrs;
  if (cls === undefined || type === undefined || installed(cls, provider, type)) return;
  const name = [cls, provider, type].filter((x) => x !== undefined).join(":");
  out.push(problem("UNKNOWN_AGENT", chain, name, "no such agent is installed on this machine"));
}
