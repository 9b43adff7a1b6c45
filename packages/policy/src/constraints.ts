import type { XmlElement } from "@hacrm/cib";
import { HacrmError } from "@hacrm/common";
import {
  parseRole,
  type Colocation,
  type LocationConstraint,
  type OrderConstraint,
  type OrderKind,
  type Role,
  type Rsc,
  type WorkingSet,
} from "./model.js";
import type { IdIndex } from "./id-index.js";
import { evaluateRule } from "./rules.js";
import { INFINITY, isTrue, scoreOr } from "./scores.js";
import { section } from "./unpack-config.js";

/** Resolve a constraint's resource reference (config id) to a resource. */
export function buildConfigLookup(ws: WorkingSet): Map<string, Rsc> {
  const m = new Map<string, Rsc>();
  const visit = (r: Rsc, cloneTop: Rsc | undefined): void => {
    const target = cloneTop ?? r;
    if (!m.has(r.baseId) || !cloneTop) m.set(r.baseId, target);
    for (const c of r.children) visit(c, r.kind === "clone" ? r : cloneTop);
  };
  for (const r of ws.resources) visit(r, undefined);
  return m;
}

function colocRole(v: string | undefined): Role {
  const r = parseRole(v);
  return r === "Started" ? "Unknown" : r;
}

function refuseSets(el: XmlElement): void {
  if (el.children.some((c) => c.name === "resource_set")) {
    throw new HacrmError({
      code: "RESOURCE_SET_UNSUPPORTED",
      where: `${el.name} ${el.attrs.id ?? ""}`,
      message: "resource sets are not supported by hacrm's policy engine yet",
    });
  }
}

function missing(el: XmlElement, what: string): HacrmError {
  return new HacrmError({
    code: "CONSTRAINT_INVALID",
    where: `${el.name} ${el.attrs.id ?? ""}`,
    message: `${what} does not name a configured resource`,
  });
}

function unpackLocation(el: XmlElement, ws: WorkingSet, lookup: Map<string, Rsc>, ids: IdIndex): void {
  refuseSets(el);
  const targets: Rsc[] = [];
  if (el.attrs.rsc !== undefined) {
    const r = lookup.get(el.attrs.rsc);
    if (!r) return;
    targets.push(r);
  } else if (el.attrs["rsc-pattern"] !== undefined) {
    const re = new RegExp(el.attrs["rsc-pattern"]);
    for (const [id, r] of lookup) if (re.test(id) && !targets.includes(r) && r.baseId === id) targets.push(r);
  }
  const discovery = el.attrs["resource-discovery"] ?? "always";
  for (const rsc of targets) {
    const rules = el.children.filter((c) => c.name === "rule");
    if (el.attrs.node !== undefined) {
      const node = ws.nodesByName.get(el.attrs.node) ?? ws.nodesById.get(el.attrs.node);
      const score = scoreOr(el.attrs.score, 0);
      const scores = new Map<string, number>();
      if (node) scores.set(node.id, score);
      ws.locations.push({ id: el.attrs.id ?? "", rsc, role: parseRole(el.attrs.role), scores, discovery });
      continue;
    }
    for (const rule of rules) {
      const r = rule.attrs["id-ref"] !== undefined ? (ids.get(rule.attrs["id-ref"]!) ?? rule) : rule;
      const scores = new Map<string, number>();
      for (const node of ws.nodes) {
        if (
          !evaluateRule(
            r,
            { nodeAttrs: node.attrs, now: ws.now, rscMeta: rsc.meta, rscParams: rsc.params },
            ids,
          )
        )
          continue;
        let score: number;
        if (r.attrs["score-attribute"] !== undefined) {
          const v = node.attrs.get(r.attrs["score-attribute"]);
          if (v === undefined) continue;
          score = scoreOr(v, 0);
        } else score = scoreOr(r.attrs.score ?? "0", 0);
        scores.set(node.id, score);
      }
      const role = parseRole(r.attrs.role ?? el.attrs.role);
      ws.locations.push({ id: el.attrs.id ?? "", rsc, role, scores, discovery });
    }
  }
}

interface SetInfo {
  members: Rsc[];
  sequential: boolean;
  role: string | undefined;
  action: string | undefined;
  requireAll: boolean;
}

function readSets(el: XmlElement, lookup: Map<string, Rsc>, ids: IdIndex): SetInfo[] {
  const out: SetInfo[] = [];
  for (const raw of el.children) {
    if (raw.name !== "resource_set") continue;
    const set = raw.attrs["id-ref"] !== undefined ? (ids.get(raw.attrs["id-ref"]!) ?? raw) : raw;
    const members: Rsc[] = [];
    for (const ref of set.children) {
      if (ref.name !== "resource_ref") continue;
      const r = lookup.get(ref.attrs.id ?? "");
      if (!r) throw missing(el, `resource_ref "${ref.attrs.id ?? ""}"`);
      members.push(r);
    }
    out.push({
      members,
      sequential: set.attrs.sequential === undefined ? true : isTrue(set.attrs.sequential),
      role: set.attrs.role,
      action: set.attrs.action,
      requireAll: set.attrs["require-all"] === undefined ? true : isTrue(set.attrs["require-all"]),
    });
  }
  return out;
}

/** Colocation sets: members of a sequential set follow their predecessor; each set follows the next one. */
function unpackColocationSets(el: XmlElement, ws: WorkingSet, lookup: Map<string, Rsc>, ids: IdIndex): void {
  const sets = readSets(el, lookup, ids);
  const score = scoreOr(el.attrs.score, 0);
  if (score === 0) return;
  const id = el.attrs.id ?? "";
  const add = (dependent: Rsc, primary: Rsc, dRole: string | undefined, pRole: string | undefined): void => {
    if (dependent === primary) return;
    ws.colocations.push({
      id,
      dependent,
      primary,
      score,
      dependentRole: colocRole(dRole),
      primaryRole: colocRole(pRole),
      influence: el.attrs.influence === undefined ? dependent.critical : isTrue(el.attrs.influence),
      nodeAttribute: el.attrs["node-attribute"] ?? "#uname",
    });
  };
  for (const set of sets) {
    if (!set.sequential) continue;
    for (let i = 1; i < set.members.length; i++)
      add(set.members[i]!, set.members[i - 1]!, set.role, set.role);
  }
  for (let i = 0; i + 1 < sets.length; i++) {
    const a = sets[i]!;
    const b = sets[i + 1]!;
    const deps = a.sequential ? a.members.slice(-1) : a.members;
    const prims = b.sequential ? b.members.slice(0, 1) : b.members;
    for (const d of deps) for (const pr of prims) add(d, pr, a.role, b.role);
  }
}

function unpackColocation(el: XmlElement, ws: WorkingSet, lookup: Map<string, Rsc>, ids: IdIndex): void {
  if (el.children.some((c) => c.name === "resource_set")) return unpackColocationSets(el, ws, lookup, ids);
  const dep = lookup.get(el.attrs.rsc ?? "");
  const pri = lookup.get(el.attrs["with-rsc"] ?? "");
  if (!dep) throw missing(el, `rsc "${el.attrs.rsc ?? ""}"`);
  if (!pri) throw missing(el, `with-rsc "${el.attrs["with-rsc"] ?? ""}"`);
  const score = scoreOr(el.attrs.score, 0);
  if (score === 0) return;
  const influence = el.attrs.influence === undefined ? dep.critical : isTrue(el.attrs.influence);
  ws.colocations.push({
    id: el.attrs.id ?? "",
    dependent: dep,
    primary: pri,
    score,
    dependentRole: colocRole(el.attrs["rsc-role"]),
    primaryRole: colocRole(el.attrs["with-rsc-role"]),
    influence,
    nodeAttribute: el.attrs["node-attribute"] ?? "#uname",
  });
}

/** Order sets: a sequential set is a chain; each set comes before the next one. */
function unpackOrderSets(el: XmlElement, ws: WorkingSet, lookup: Map<string, Rsc>, ids: IdIndex): void {
  const sets = readSets(el, lookup, ids);
  const kind = orderKind(el);
  const symmetrical =
    el.attrs.symmetrical === undefined ? kind !== "Serialize" : isTrue(el.attrs.symmetrical);
  const id = el.attrs.id ?? "";
  const add = (
    first: Rsc,
    then: Rsc,
    fa: string | undefined,
    ta: string | undefined,
    requireAll: boolean,
    anyOf?: string,
  ): void => {
    if (first === then) return;
    const firstAction = fa ?? "start";
    ws.orders.push({
      id,
      first,
      then,
      firstAction,
      thenAction: ta ?? firstAction,
      kind,
      symmetrical,
      requireAll,
      ...(anyOf !== undefined ? { anyOf } : {}),
    });
  };
  for (const set of sets) {
    if (!set.sequential) continue;
    for (let i = 1; i < set.members.length; i++)
      add(set.members[i - 1]!, set.members[i]!, set.action, set.action, true);
  }
  for (let i = 0; i + 1 < sets.length; i++) {
    const a = sets[i]!;
    const b = sets[i + 1]!;
    const firsts = a.sequential ? a.members.slice(-1) : a.members;
    const thens = b.sequential ? b.members.slice(0, 1) : b.members;
    const anyOf = a.requireAll ? undefined : `${id}:${i}`;
    for (const f of firsts) for (const t of thens) add(f, t, a.action, b.action, a.requireAll, anyOf);
  }
}

function orderKind(el: XmlElement): OrderKind {
  const k = el.attrs.kind?.toLowerCase();
  if (k === "optional") return "Optional";
  if (k === "serialize") return "Serialize";
  if (k === "mandatory") return "Mandatory";
  return scoreOr(el.attrs.score ?? "INFINITY", INFINITY) === 0 ? "Optional" : "Mandatory";
}

function unpackOrder(el: XmlElement, ws: WorkingSet, lookup: Map<string, Rsc>, ids: IdIndex): void {
  if (el.children.some((c) => c.name === "resource_set")) return unpackOrderSets(el, ws, lookup, ids);
  const first = lookup.get(el.attrs.first ?? "");
  const then = lookup.get(el.attrs.then ?? "");
  if (!first) throw missing(el, `first "${el.attrs.first ?? ""}"`);
  if (!then) throw missing(el, `then "${el.attrs.then ?? ""}"`);
  const kind = orderKind(el);
  const firstAction = el.attrs["first-action"] ?? "start";
  const thenAction = el.attrs["then-action"] ?? firstAction;
  const symmetrical =
    el.attrs.symmetrical === undefined ? kind !== "Serialize" : isTrue(el.attrs.symmetrical);
  const requireAll = el.attrs["require-all"] === undefined ? true : isTrue(el.attrs["require-all"]);
  ws.orders.push({
    id: el.attrs.id ?? "",
    first,
    then,
    firstAction,
    thenAction,
    kind,
    symmetrical,
    requireAll,
  });
}

/** Unpack every constraint into the working set. */
export function unpackConstraints(cib: XmlElement, ws: WorkingSet, ids: IdIndex): void {
  const lookup = buildConfigLookup(ws);
  const el = section(cib, "configuration", "constraints");
  for (const c of el?.children ?? []) {
    switch (c.name) {
      case "rsc_location":
        unpackLocation(c, ws, lookup, ids);
        break;
      case "rsc_colocation":
        unpackColocation(c, ws, lookup, ids);
        break;
      case "rsc_order":
        unpackOrder(c, ws, lookup, ids);
        break;
      case "rsc_ticket":
        throw new HacrmError({
          code: "TICKET_UNSUPPORTED",
          where: `rsc_ticket ${c.attrs.id ?? ""}`,
          message: "tickets are not supported by hacrm's policy engine yet",
        });
      default:
        break;
    }
  }
}

export type { Colocation, LocationConstraint, OrderConstraint };
