import { F_IMPLIES_THEN, type Action, type ActionSet } from "./actions.js";
import type { PNode, Rsc, WorkingSet } from "./model.js";

/** Whether a fencing device is configured at all (a primitive of class stonith). */
export function isFencingDevice(r: Rsc): boolean {
  return r.kind === "primitive" && r.agent.startsWith("stonith:");
}

/**
 * Whether the cluster can fence `node` now: fencing is enabled, a fencing
 * device is configured, and the partition has quorum (or ignores its loss).
 */
export function canFence(ws: WorkingSet, node: PNode): boolean {
  if (!ws.options.stonithEnabled) return false;
  if (!ws.primitives.some(isFencingDevice)) return false;
  if (ws.options.haveQuorum || ws.options.noQuorumPolicy === "ignore") return true;
  return node.online;
}

/**
 * Fencing actions for unclean nodes, and what they imply: a resource active
 * on a fenced node is stopped by the fencing itself (its stop and demote
 * become pseudo actions that follow the fence, and so does everything
 * ordered after them: a recovery elsewhere waits for the fence). On an
 * unclean node that cannot be fenced they cannot run, so nothing that ran
 * there is recovered elsewhere. Starts and promotions of resources that
 * require fencing wait for every fencing action.
 */
export function scheduleFencing(ws: WorkingSet, set: ActionSet): Action[] {
  const fences: Action[] = [];
  const fenceOf = new Map<PNode, Action>();
  for (const node of ws.nodes) {
    if (!node.unclean || !canFence(ws, node)) continue;
    const fence = set.create(undefined, "fence", node, { optional: false });
    fence.fenceAction = ws.options.stonithAction;
    fence.reason = node.fenceReason ?? "node is unclean";
    fences.push(fence);
    fenceOf.set(node, fence);
  }
  for (const p of ws.primitives) {
    for (const a of set.ofRsc(p)) {
      if (!a.node?.unclean || (a.task !== "stop" && a.task !== "demote")) continue;
      const fence = fenceOf.get(a.node);
      if (fence) {
        a.pseudo = true;
        set.order(fence, a, F_IMPLIES_THEN, `fencing of ${a.node.uname} stops ${p.id}`);
      } else {
        a.runnable = false;
        a.reason = `${a.node.uname} is unclean and cannot be fenced`;
      }
    }
  }
  if (fences.length > 0) {
    for (const p of ws.primitives) {
      if (requires(ws, p) !== "fencing") continue;
      for (const a of set.ofRsc(p)) {
        if (a.task !== "start" && a.task !== "promote") continue;
        for (const f of fences) set.order(f, a, 0, `${p.id} requires fencing`);
      }
    }
  }
  if (!ws.options.concurrentFencing)
    for (let i = 1; i < fences.length; i++) set.order(fences[i - 1]!, fences[i]!, 0, "fencing one at a time");
  return fences;
}

/**
 * Fencing is enabled but nothing can fence: no fencing device is configured
 * and the nodes cannot fence themselves (no watchdog). Pacemaker then
 * disables resource start-up; hacrm leaves every resource as it is (as if
 * unmanaged): nothing starts, is promoted, moved or stopped, and probes
 * still run. Returns whether it did.
 */
export function disableStartupWithoutFencing(ws: WorkingSet): boolean {
  if (!ws.options.stonithEnabled || ws.options.haveWatchdog || ws.primitives.some(isFencingDevice))
    return false;
  if (ws.primitives.length === 0) return false;
  for (const p of ws.primitives) p.managed = false;
  ws.warnings.push(
    "resource start-up disabled: stonith-enabled=true but no fencing device is configured (add one, or set stonith-enabled=false)",
  );
  return true;
}

/** A fencing device that provides unfencing (fence_scsi and the like): nodes are unfenced before use. */
function unfencingInUse(ws: WorkingSet): boolean {
  return (
    ws.options.stonithEnabled &&
    ws.primitives.some(
      (p) => isFencingDevice(p) && (p.meta.get("provides") ?? p.params.get("provides")) === "unfencing",
    )
  );
}

/** What a resource needs before it may start: nothing, quorum, fencing of unclean nodes, or unfencing. */
export function requires(ws: WorkingSet, p: Rsc): "nothing" | "quorum" | "fencing" | "unfencing" {
  const v = p.meta.get("requires")?.toLowerCase();
  if (v === "nothing" || v === "quorum") return v;
  if (isFencingDevice(p)) return "quorum";
  if (!ws.options.stonithEnabled) return "quorum";
  if (v === "unfencing" || (v === undefined && unfencingInUse(ws))) return "unfencing";
  return "fencing";
}

/**
 * With a device that provides unfencing, a node that has not been unfenced
 * (no #node-unfenced attribute) is unfenced ("on") before anything probes
 * or starts there.
 */
export function scheduleUnfencing(ws: WorkingSet, set: ActionSet): void {
  if (!unfencingInUse(ws)) return;
  for (const node of ws.nodes) {
    if (!node.online || node.unclean || node.attrs.get("#node-unfenced") !== undefined) continue;
    const here = set.list.filter(
      (a) => a.node === node && a.rsc && (a.task === "start" || (a.task === "monitor" && a.intervalMs === 0)),
    );
    if (here.length === 0) continue;
    const first = here[0]!;
    const unfence = set.create(undefined, "fence", node, { optional: false });
    unfence.fenceAction = "on";
    unfence.reason = `required by ${first.rsc!.id} ${first.task}`;
    for (const a of here) set.order(unfence, a, 0, `unfencing of ${node.uname}`);
  }
}
