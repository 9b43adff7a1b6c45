import type { PNode, Rsc, WorkingSet } from "./model.js";
import type { Action, ActionSet } from "./actions.js";
import { isTrue } from "./scores.js";
import { allPrimitives } from "./unpack-resources.js";
import { canHost } from "./unpack-nodes.js";

/**
 * Clone notifications (`notify=true`): around each kind of instance action
 * the transition holds (demote, stop, start, promote, in that order), a
 * pre-notification to the instances active before and a post-notification
 * to the instances active after, each a `notify` action on the instance's
 * node, framed by pseudo actions (`pre_notify_start`,
 * `confirmed-pre_notify_start`, `post_notify_running`,
 * `confirmed-post_notify_running`, ...). Every notify carries
 * CRM_meta_notify_type/operation and the lists agents such as DRBD read:
 * CRM_meta_notify_{start,stop,promote,demote,active,inactive,promoted,
 * unpromoted,master,slave}_{resource,uname}, all_uname and available_uname
 * (an empty list is one space, as Pacemaker writes it).
 */

const PHASES: { task: string; done: string }[] = [
  { task: "demote", done: "demoted" },
  { task: "stop", done: "stopped" },
  { task: "start", done: "running" },
  { task: "promote", done: "promoted" },
];

function runs(a: Action | undefined): a is Action {
  return !!a && !a.optional && a.runnable;
}

interface Member {
  p: Rsc;
  before: PNode | undefined;
  after: PNode | undefined;
  roleBefore: string;
}

/** Each instance primitive, where it is before and after the transition. */
function members(set: ActionSet, clone: Rsc): Member[] {
  const out: Member[] = [];
  for (const inst of clone.children) {
    for (const p of allPrimitives(inst)) {
      const before = p.runningOn[0];
      const stop = before ? set.get(p, "stop", before) : undefined;
      const start = p.allocatedTo ? set.get(p, "start", p.allocatedTo) : undefined;
      const stays = !!before && !runs(stop) && p.nextRole !== "Stopped";
      const after = stays
        ? before
        : start && start.runnable && p.nextRole !== "Stopped"
          ? p.allocatedTo
          : undefined;
      out.push({ p, before, after, roleBefore: p.role });
    }
  }
  return out;
}

function list(ms: Member[], pick: (m: Member) => PNode | undefined): { resource: string; uname: string } {
  const chosen = ms.filter((m) => pick(m) !== undefined);
  // Pacemaker writes an empty list as one space; agents parse it that way.
  return {
    resource: chosen.map((m) => m.p.id).join(" ") || " ",
    uname: chosen.map((m) => pick(m)!.uname).join(" ") || " ",
  };
}

function notifyParams(
  ws: WorkingSet,
  set: ActionSet,
  ms: Member[],
  type: "pre" | "post",
  task: string,
  clone: Rsc,
): Map<string, string> {
  const promotable = clone.promotable;
  const done = PHASES.find((ph) => ph.task === task)?.done ?? task;
  const params = new Map<string, string>([
    ["CRM_meta_notify_type", type],
    ["CRM_meta_notify_operation", task],
    ["CRM_meta_notify_key_type", type],
    ["CRM_meta_notify_key_operation", type === "pre" ? task : done],
  ]);
  const add = (name: string, l: { resource: string; uname: string }): void => {
    params.set(`CRM_meta_notify_${name}_resource`, l.resource);
    params.set(`CRM_meta_notify_${name}_uname`, l.uname);
  };
  for (const { task: t } of PHASES) {
    add(
      t,
      list(ms, (m) => {
        const node = t === "start" || t === "promote" ? m.p.allocatedTo : m.before;
        return node && runs(set.get(m.p, t, node)) ? node : undefined;
      }),
    );
  }
  add(
    "active",
    list(ms, (m) => m.before),
  );
  params.set(
    "CRM_meta_notify_inactive_resource",
    ms
      .filter((m) => !m.before)
      .map((m) => m.p.id)
      .join(" ") || " ",
  );
  // Roles are listed for promotable clones only.
  const promoted = list(ms, (m) => (promotable && m.roleBefore === "Promoted" ? m.before : undefined));
  const unpromoted = list(ms, (m) => (promotable && m.roleBefore !== "Promoted" ? m.before : undefined));
  add("promoted", promoted);
  add("master", promoted);
  add("unpromoted", unpromoted);
  add("slave", unpromoted);
  params.set("CRM_meta_notify_all_uname", ws.nodes.map((n) => n.uname).join(" "));
  params.set(
    "CRM_meta_notify_available_uname",
    ws.nodes
      .filter((n) => canHost(n) && (clone.allowed.get(n.id)?.score ?? -1) >= 0)
      .map((n) => n.uname)
      .join(" ") || " ",
  );
  return params;
}

function opTimeout(p: Rsc): number {
  return p.ops.find((o) => o.name === "notify" && o.intervalMs === 0)?.timeoutMs ?? 20_000;
}

/** Create the notifications of every clone with notify=true; run once the actions are settled. */
export function createNotifications(ws: WorkingSet, set: ActionSet): void {
  for (const clone of ws.resources) {
    if (clone.kind !== "clone" || !isTrue(clone.meta.get("notify"))) continue;
    const ms = members(set, clone);
    let previous: Action | undefined;
    for (const { task, done } of PHASES) {
      const acting = ms
        .map((m) => {
          const node = task === "start" || task === "promote" ? m.p.allocatedTo : m.before;
          return node ? set.get(m.p, task, node) : undefined;
        })
        .filter(runs);
      if (acting.length === 0) continue;
      const pseudo = (name: string): Action =>
        set.create(clone, name, undefined, { optional: false, pseudo: true });
      const pre = pseudo(`pre_notify_${task}`);
      const preDone = pseudo(`confirmed-pre_notify_${task}`);
      const post = pseudo(`post_notify_${done}`);
      const postDone = pseudo(`confirmed-post_notify_${done}`);
      if (previous) set.order(previous, pre, 0, `${clone.id} notifications in order`);
      set.order(pre, preDone, 0, `${clone.id} pre-notify`);
      for (const a of acting) {
        set.order(preDone, a, 0, `${clone.id} pre-notified`);
        set.order(a, post, 0, `${clone.id} ${task} done`);
      }
      set.order(post, postDone, 0, `${clone.id} post-notify`);
      const preParams = notifyParams(ws, set, ms, "pre", task, clone);
      const postParams = notifyParams(ws, set, ms, "post", task, clone);
      for (const m of ms) {
        // Who is told: the instances active at that moment. Demotes and stops come first, so before them
        // every active instance; between stops and starts those that did not stop; after, those active then.
        const stops = !!m.before && runs(set.get(m.p, "stop", m.before));
        const alive = stops ? undefined : m.before;
        const preNode = task === "demote" || task === "stop" ? m.before : task === "start" ? alive : m.after;
        const postNode = task === "demote" ? m.before : task === "stop" ? alive : m.after;
        for (const [type, node, from, to, params] of [
          ["pre", preNode, pre, preDone, preParams],
          ["post", postNode, post, postDone, postParams],
        ] as const) {
          if (!node || !node.online || node.unclean) continue;
          const n = set.create(m.p, "notify", node, {
            optional: false,
            timeoutMs: opTimeout(m.p),
            tag: `${type}-${task}`,
          });
          n.params = params;
          set.order(from, n, 0, `${clone.id} ${type}-notify ${task}`);
          set.order(n, to, 0, `${clone.id} ${type}-notify ${task} confirmed`);
        }
      }
      previous = postDone;
    }
  }
}
