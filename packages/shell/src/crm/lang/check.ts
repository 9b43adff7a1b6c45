import { walk, type XmlElement } from "@hacrm/cib";
import { CONSTRAINT_ELEMENTS, RESOURCE_ELEMENTS, configuration, findSection, section } from "./doc.js";
import { ROLES } from "./parser.js";

/** A problem found in the whole configuration before a commit. */
export interface ConfigProblem {
  /** The top-level object at fault (constraint, resource, tag...). */
  owner: string;
  /** The id it names, when the problem is a reference. */
  ref?: string;
  message: string;
  hint?: string;
}

const CRM_NAMES: Record<string, string> = {
  rsc_location: "location",
  rsc_colocation: "colocation",
  rsc_order: "order",
};

/** Ids a constraint may name: resources outside clones/bundles, and tags. */
function constraintTargets(cib: XmlElement): { ok: Set<string>; inside: Map<string, string> } {
  const ok = new Set<string>();
  const inside = new Map<string, string>();
  const visit = (el: XmlElement, container: string | undefined): void => {
    for (const c of el.children) {
      if (!RESOURCE_ELEMENTS.has(c.name)) continue;
      const id = c.attrs["id"] ?? "";
      if (container !== undefined) inside.set(id, container);
      else ok.add(id);
      const isClone = c.name === "clone" || c.name === "master" || c.name === "bundle";
      visit(c, container ?? (isClone ? id : undefined));
    }
  };
  visit(section(cib, "resources"), undefined);
  for (const t of findSection(cib, "tags")?.children ?? []) if (t.attrs["id"]) ok.add(t.attrs["id"]);
  return { ok, inside };
}

function constraintRefs(c: XmlElement): Array<{ attr: string; id: string }> {
  const out: Array<{ attr: string; id: string }> = [];
  for (const a of ["rsc", "with-rsc", "first", "then"])
    if (c.attrs[a] !== undefined) out.push({ attr: a, id: c.attrs[a] });
  for (const s of c.children) {
    if (s.name !== "resource_set") continue;
    for (const r of s.children)
      if (r.name === "resource_ref" && r.attrs["id"] !== undefined)
        out.push({ attr: "resource_ref", id: r.attrs["id"] });
  }
  return out;
}

function checkConstraints(cib: XmlElement, problems: ConfigProblem[]): void {
  const { ok, inside } = constraintTargets(cib);
  for (const c of section(cib, "constraints").children) {
    if (!CONSTRAINT_ELEMENTS.has(c.name)) continue;
    const owner = c.attrs["id"] ?? "";
    const kind = CRM_NAMES[c.name] ?? c.name;
    for (const r of constraintRefs(c)) {
      if (ok.has(r.id)) continue;
      const parent = inside.get(r.id);
      if (parent !== undefined) {
        problems.push({
          owner,
          ref: r.id,
          message: `${kind} ${owner}: '${r.id}' is not a valid resource or tag (it lives inside ${parent})`,
          hint: `constraints must name ${parent}`,
        });
      } else {
        problems.push({
          owner,
          ref: r.id,
          message: `${kind} ${owner}: ${r.attr} references an unknown ID "${r.id}"`,
          hint: "create the resource first, or fix the id",
        });
      }
    }
  }
}

function checkRoles(cib: XmlElement, problems: ConfigProblem[]): void {
  const lower = new Set(ROLES.map((r) => r.toLowerCase()));
  const visit = (el: XmlElement, owner: string): void => {
    for (const c of el.children) {
      const o = RESOURCE_ELEMENTS.has(c.name) ? (c.attrs["id"] ?? owner) : owner;
      if (c.name === "meta_attributes") {
        for (const nv of c.children) {
          if (
            nv.name === "nvpair" &&
            nv.attrs["name"] === "target-role" &&
            !lower.has((nv.attrs["value"] ?? "").toLowerCase())
          ) {
            problems.push({
              owner: o,
              message: `${o}: Unknown role: ${nv.attrs["value"] ?? ""} (target-role)`,
              hint: `roles: ${ROLES.join(", ")}`,
            });
          }
        }
      }
      visit(c, o);
    }
  };
  visit(section(cib, "resources"), "resources");
}

function checkReferences(cib: XmlElement, problems: ConfigProblem[]): void {
  const conf = configuration(cib);
  const defined = new Set<string>();
  for (const el of walk(conf)) {
    if (
      el.attrs["id"] !== undefined &&
      el.name !== "resource_ref" &&
      el.name !== "obj_ref" &&
      el.name !== "role"
    )
      defined.add(el.attrs["id"]);
  }
  for (const t of findSection(cib, "tags")?.children ?? []) {
    for (const r of t.children) {
      if (r.attrs["id"] !== undefined && !defined.has(r.attrs["id"]))
        problems.push({
          owner: t.attrs["id"] ?? "",
          ref: r.attrs["id"],
          message: `tag ${t.attrs["id"] ?? ""} refers to missing object ${r.attrs["id"]}`,
        });
    }
  }
  for (const a of findSection(cib, "acls")?.children ?? []) {
    for (const r of a.children) {
      if (r.name === "role" && r.attrs["id"] !== undefined && !defined.has(r.attrs["id"]))
        problems.push({
          owner: a.attrs["id"] ?? "",
          ref: r.attrs["id"],
          message: `${a.name} ${a.attrs["id"] ?? ""} refers to missing role ${r.attrs["id"]}`,
        });
    }
  }
  for (const el of walk(conf)) {
    const ref = el.attrs["id-ref"];
    if (ref !== undefined && !defined.has(ref))
      problems.push({ owner: ref, message: `${el.name} id-ref="${ref}" names nothing` });
  }
  for (const lvl of findSection(cib, "fencing-topology")?.children ?? []) {
    for (const d of (lvl.attrs["devices"] ?? "").split(",")) {
      if (d && !defined.has(d))
        problems.push({
          owner: "fencing",
          ref: d,
          message: `fencing_topology: device ${d} does not exist`,
          hint: "create the stonith resource first",
        });
    }
  }
}

function checkDuplicates(cib: XmlElement, problems: ConfigProblem[]): void {
  const seen = new Set<string>();
  for (const el of walk(configuration(cib))) {
    const id = el.attrs["id"];
    if (id === undefined || el.name === "resource_ref" || el.name === "obj_ref" || el.name === "role")
      continue;
    if (seen.has(id)) problems.push({ owner: id, message: `id '${id}' is used twice (${el.name})` });
    seen.add(id);
  }
}

/** Every problem that must stop a commit (hacrm's own checks, with crm words). */
export function checkConfiguration(cib: XmlElement): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkDuplicates(cib, problems);
  checkConstraints(cib, problems);
  checkRoles(cib, problems);
  checkReferences(cib, problems);
  return problems;
}
