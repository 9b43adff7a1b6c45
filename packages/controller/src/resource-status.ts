/**
 * The `resources` and `failures` of `hacrm status --json`, read from a CIB
 * (configuration + status section) by the scheduler's own unpacking, so the
 * status shows what `hacrm simulate` would see: one entry per primitive
 * (clone instances each), per node it is active on, or one `Stopped` entry.
 */
import { child, childrenNamed, scoreOr, type XmlElement } from "@hacrm/cib";
import { schedule, type Rsc } from "@hacrm/policy";

export interface ResourceEntry {
  id: string;
  agent: string;
  /** The group or clone it belongs to (the outermost), null for a top-level primitive. */
  parent: string | null;
  role: "Started" | "Stopped" | "Promoted" | "Unpromoted" | "Failed";
  node: string | null;
  managed: boolean;
  failed: boolean;
}

export interface FailureEntry {
  resource: string;
  node: string;
  /** `task_interval`, e.g. `monitor_10000`. */
  operation: string;
  /** INFINITY is 1000000. */
  failCount: number;
  /** Epoch seconds of the last failure, null when not recorded. */
  lastFailure: number | null;
}

function outermost(r: Rsc): Rsc | undefined {
  let p = r.parent;
  while (p?.parent) p = p.parent;
  return p;
}

export function resourceEntries(cib: XmlElement, nowSec: number): ResourceEntry[] {
  const ws = schedule(cib, nowSec).workingSet;
  const out: ResourceEntry[] = [];
  for (const p of ws.primitives) {
    if (p.orphan && p.runningOn.length === 0) continue;
    const parent = outermost(p)?.id ?? null;
    const base = { id: p.id, agent: p.agent, parent, managed: p.managed };
    if (p.runningOn.length === 0) {
      out.push({ ...base, role: "Stopped", node: null, failed: false });
      continue;
    }
    for (const n of p.runningOn) {
      const failed = p.failedOn.has(n.id);
      const role = failed
        ? "Failed"
        : p.role === "Promoted"
          ? "Promoted"
          : p.role === "Unpromoted"
            ? "Unpromoted"
            : "Started";
      out.push({ ...base, role, node: n.uname, failed });
    }
  }
  return out;
}

export function failureEntries(cib: XmlElement): FailureEntry[] {
  const out: FailureEntry[] = [];
  const status = child(cib, "status");
  for (const ns of status ? childrenNamed(status, "node_state") : []) {
    const node = ns.attrs["uname"] ?? ns.attrs["id"] ?? "";
    const attrs = new Map<string, string>();
    const ta = child(ns, "transient_attributes");
    for (const set of ta ? childrenNamed(ta, "instance_attributes") : [])
      for (const nv of childrenNamed(set, "nvpair"))
        attrs.set(nv.attrs["name"] ?? "", nv.attrs["value"] ?? "");
    for (const [name, value] of attrs) {
      const m = /^fail-count-(.+)#(.+)$/.exec(name);
      if (!m) continue;
      const last = attrs.get(`last-failure-${m[1]}#${m[2]}`);
      out.push({
        resource: m[1] ?? "",
        node,
        operation: m[2] ?? "",
        failCount: scoreOr(value, 0),
        lastFailure: last === undefined ? null : Number(last) || null,
      });
    }
  }
  return out;
}
