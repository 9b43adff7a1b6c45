import { durationMs, element, type XmlElement } from "@hacrm/cib";
import type * as A from "./ast.js";
import { buildSet, claimId, nvpair, reserveSetIds, type BuildContext } from "./build.js";
import { IdAllocator, crmKind, findById, findResource, section, semanticError } from "./doc.js";
import { META_ATTRIBUTES, unknownNames } from "./names.js";
import { closest } from "./suggest.js";

/** Resources to CIB XML: primitive, rsc_template, group, clone, ms, bundle, monitor. */
async function resolveAgent(
  ctx: BuildContext,
  agent: A.Agent,
): Promise<{ attrs: Record<string, string>; name: string }> {
  let { cls, provider, type } = agent;
  if (cls === "") {
    let found = ctx.agents.resolveType(type);
    if (!found && ctx.force) {
      // crmsh's default for a bare name it cannot find; accepted with a warning under -F.
      found = `ocf:heartbeat:${type}`;
    }
    if (!found) {
      const near = closest(
        type,
        ctx.agents.list().map((x) => x.split(":").pop() ?? x),
      );
      throw semanticError(
        ctx.source,
        agent.pos,
        `no resource agent '${type}' is installed`,
        near
          ? `did you mean '${near}'?`
          : "write the full name, CLASS:PROVIDER:TYPE (e.g. ocf:heartbeat:IPaddr2)",
      );
    }
    const parts = found.split(":");
    cls = parts[0] ?? "";
    provider = parts.length === 3 ? parts[1] : undefined;
    type = parts[parts.length - 1] ?? type;
  }
  const full = provider !== undefined ? `${cls}:${provider}:${type}` : `${cls}:${type}`;
  if (ctx.agents.installed(full) === false) {
    // crmsh refuses an agent it cannot find unless forced; so does hacrm.
    if (!ctx.force)
      throw semanticError(
        ctx.source,
        agent.pos,
        `${full}: no such resource agent is installed`,
        "install it on every node first, or use 'hacrm -F' to accept it anyway",
      );
    ctx.warn(
      `WARNING: ${ctx.source}:${agent.pos.line}:${agent.pos.col}: ${full}: no such resource agent is installed (accepted: -F)`,
    );
  }
  const attrs: Record<string, string> = { class: cls };
  if (provider !== undefined) attrs["provider"] = provider;
  attrs["type"] = type;
  return { attrs, name: provider !== undefined ? `${cls}:${provider}:${type}` : `${cls}:${type}` };
}

async function checkParams(ctx: BuildContext, id: string, agent: string, sets: A.AttrSet[]): Promise<void> {
  const params = await ctx.agents.parameters(agent);
  if (!params) return;
  for (const s of sets) {
    if (s.element !== "instance_attributes") continue;
    for (const p of s.pairs) {
      if (params.has(p.name) || ctx.agents.implicit(agent, p.name)) continue;
      const known = [...params];
      const close = closest(p.name, known);
      throw semanticError(
        ctx.source,
        p.pos,
        `${id}: parameter "${p.name}" is not known to ${agent}`,
        close ? `did you mean '${close}'?` : `its parameters: ${known.join(", ")}`,
      );
    }
  }
}

function adviseMeta(ctx: BuildContext, id: string, sets: A.AttrSet[]): void {
  for (const s of sets) {
    if (s.element !== "meta_attributes") continue;
    for (const w of unknownNames(s, META_ATTRIBUTES, "meta attribute", id))
      ctx.warn(`WARNING: ${ctx.source}:${w}`);
  }
}

/** A required parameter left out is a warning: it may come from a rule-based set or be given later. */
async function adviseRequired(ctx: BuildContext, p: A.PrimitiveCmd, agent: string): Promise<void> {
  const required = await ctx.agents.requiredParameters(agent);
  const given = new Set(
    p.sets.filter((s) => s.element === "instance_attributes").flatMap((s) => s.pairs.map((x) => x.name)),
  );
  const refs = p.sets.some((s) => s.element === "instance_attributes" && s.idRef !== undefined);
  for (const name of required ?? []) {
    if (!given.has(name) && !refs) {
      ctx.warn(
        `WARNING: ${ctx.source}:${p.id.pos.line}:${p.id.pos.col}: ${p.id.text}: required parameter ${name} of ${agent} is not set`,
      );
    }
  }
}

/** crmsh's advice: an op timeout below the agent's advised one is allowed, with a warning. */
async function adviseTimeouts(ctx: BuildContext, id: string, agent: string, ops: A.Op[]): Promise<void> {
  for (const op of ops) {
    const t = op.attrs.find((a) => a.name === "timeout");
    if (!t) continue;
    const advised = await ctx.agents.advisedTimeoutMs(agent, op.name.text);
    let given: number;
    try {
      given = durationMs(t.value);
    } catch {
      throw semanticError(
        ctx.source,
        t.valuePos,
        `${id}: timeout '${t.value}' is not a duration`,
        "e.g. 20s, 2min, 1h",
      );
    }
    if (advised !== undefined && given < advised) {
      ctx.warn(
        `WARNING: ${ctx.source}:${t.pos.line}:${t.pos.col}: ${id}: specified timeout ${t.value} for ${op.name.text} is smaller than the advised ${advised / 1000}s`,
      );
    }
  }
}

function buildOp(ctx: BuildContext, ids: IdAllocator, op: A.Op, base: string): XmlElement {
  const interval = op.attrs.find((a) => a.name === "interval")?.value ?? "0";
  const id = op.id ? op.id.text : ids.fresh(`${base}-${op.name.text}-${interval}`);
  const el = element("op", { id, name: op.name.text, interval });
  for (const a of op.attrs) if (a.name !== "interval") el.attrs[a.name] = a.value;
  if (op.extra.length > 0) {
    const set = element("instance_attributes", { id: ids.fresh(`${id}-instance_attributes`) });
    for (const p of op.extra) set.children.push(nvpair(ids, set.attrs["id"] as string, p.name, p.value));
    el.children.push(set);
  }
  for (const s of op.sets) el.children.push(buildSet(ctx, ids, s, id));
  return el;
}

function buildOperations(ctx: BuildContext, ids: IdAllocator, p: A.PrimitiveCmd): XmlElement | undefined {
  if (p.opsIdRef) {
    if (p.ops.length > 0)
      throw semanticError(ctx.source, p.opsIdRef.pos, "operations $id-ref= cannot be combined with op");
    const found = findById(ctx.cib, p.opsIdRef.text);
    let ref: string | undefined;
    if (found?.el.name === "operations") ref = p.opsIdRef.text;
    else ref = found?.el.children.find((c) => c.name === "operations")?.attrs["id"];
    if (ref === undefined)
      throw semanticError(
        ctx.source,
        p.opsIdRef.pos,
        `operations $id-ref: no operations set '${p.opsIdRef.text}'`,
      );
    return element("operations", { "id-ref": ref });
  }
  if (p.ops.length === 0 && !p.opsId) return undefined;
  const ops = element("operations", p.opsId ? { id: p.opsId.text } : {});
  for (const op of p.ops) if (op.id) claimId(ctx, ids, op.id, "op");
  for (const op of p.ops) ops.children.push(buildOp(ctx, ids, op, p.opsId?.text ?? p.id.text));
  return ops;
}

export async function applyPrimitive(ctx: BuildContext, p: A.PrimitiveCmd): Promise<void> {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, p.id, p.cmd);
  const el = element(p.cmd === "rsc_template" ? "template" : "primitive", { id: p.id.text });
  if (p.template) {
    const t = findResource(ctx.cib, p.template.text);
    if (!t || t.el.name !== "template")
      throw semanticError(
        ctx.source,
        p.template.pos,
        `no rsc_template '${p.template.text}'`,
        "define it with rsc_template first",
      );
    el.attrs["template"] = p.template.text;
    const t2 = t.el.attrs;
    if (t2["class"] !== undefined && t2["type"] !== undefined) {
      const name =
        t2["provider"] !== undefined
          ? `${t2["class"]}:${t2["provider"]}:${t2["type"]}`
          : `${t2["class"]}:${t2["type"]}`;
      await checkParams(ctx, p.id.text, name, p.sets);
    }
  } else if (p.agent) {
    const agent = await resolveAgent(ctx, p.agent);
    Object.assign(el.attrs, agent.attrs);
    await checkParams(ctx, p.id.text, agent.name, p.sets);
    await adviseTimeouts(ctx, p.id.text, agent.name, p.ops);
    if (p.cmd === "primitive" && agent.name.startsWith("ocf:")) await adviseRequired(ctx, p, agent.name);
  }
  if (p.description !== undefined) el.attrs["description"] = p.description;
  if (p.opsId) claimId(ctx, ids, p.opsId, "operations");
  reserveSetIds(ctx, ids, p.sets);
  for (const s of p.sets) el.children.push(buildSet(ctx, ids, s, p.id.text));
  adviseMeta(ctx, p.id.text, p.sets);
  const ops = buildOperations(ctx, ids, p);
  if (ops) el.children.push(ops);
  section(ctx.cib, "resources").children.push(el);
}

/** Take a top-level resource out of <resources> to put it in a container. */
function detachTopLevel(ctx: BuildContext, w: A.Word, owner: string, allowed: string[]): XmlElement {
  const resources = section(ctx.cib, "resources");
  const found = findResource(ctx.cib, w.text);
  if (!found)
    throw semanticError(
      ctx.source,
      w.pos,
      `${owner} refers to missing object ${w.text}`,
      "create the resource first",
    );
  if (found.parent !== resources) {
    throw semanticError(
      ctx.source,
      w.pos,
      `${w.text} is already in ${crmKind(found.parent)} ${found.parent.attrs["id"] ?? ""}`,
      "a resource belongs to one container",
    );
  }
  if (!allowed.includes(found.el.name))
    throw semanticError(
      ctx.source,
      w.pos,
      `${w.text} is a ${crmKind(found.el)}; ${owner} takes ${allowed.join(" or ")}`,
    );
  resources.children.splice(resources.children.indexOf(found.el), 1);
  return found.el;
}

export function applyContainer(ctx: BuildContext, c: A.ContainerCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, c.id, c.cmd);
  const name = c.cmd === "ms" ? "master" : c.cmd;
  if (c.cmd === "ms") {
    ctx.warn(
      `WARNING: ${ctx.source}:${c.id.pos.line}:${c.id.pos.col}: "ms" is deprecated; write "clone ${c.id.text} ${c.members[0]?.text ?? "RSC"} meta promotable=true ..."`,
    );
  }
  const el = element(name, { id: c.id.text });
  if (c.description !== undefined) el.attrs["description"] = c.description;
  reserveSetIds(ctx, ids, c.sets);
  for (const s of c.sets) el.children.push(buildSet(ctx, ids, s, c.id.text));
  adviseMeta(ctx, c.id.text, c.sets);
  const seen = new Set<string>();
  for (const m of c.members) {
    if (seen.has(m.text)) throw semanticError(ctx.source, m.pos, `${m.text} is listed twice`);
    seen.add(m.text);
  }
  const allowed = c.cmd === "group" ? ["primitive"] : ["primitive", "group"];
  for (const m of c.members) el.children.push(detachTopLevel(ctx, m, c.id.text, allowed));
  section(ctx.cib, "resources").children.push(el);
}

export function applyBundle(ctx: BuildContext, b: A.BundleCmd): void {
  const ids = new IdAllocator(ctx.cib);
  claimId(ctx, ids, b.id, "bundle");
  const el = element("bundle", { id: b.id.text });
  reserveSetIds(ctx, ids, b.sets);
  for (const s of b.sets) el.children.push(buildSet(ctx, ids, s, b.id.text));
  const attrs = (pairs: A.NvPair[]): Record<string, string> => {
    for (const p of pairs) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(p.name))
        throw semanticError(ctx.source, p.pos, `bundle ${b.id.text}: bad attribute name '${p.name}'`);
    }
    return Object.fromEntries(pairs.map((p) => [p.name, p.value]));
  };
  el.children.push(element(b.runtime.name, attrs(b.runtime.attrs)));
  let k = 0;
  const mapping = (name: string, pairs: A.NvPair[]): XmlElement =>
    element(name, { id: ids.fresh(`${b.id.text}-${k++}`), ...attrs(pairs) });
  if (b.network || b.portMappings.length > 0) {
    const net = element("network", attrs(b.network ?? []));
    for (const m of b.portMappings) net.children.push(mapping("port-mapping", m));
    el.children.push(net);
  }
  if (b.storage || b.storageMappings.length > 0) {
    const st = element("storage");
    for (const m of b.storageMappings) st.children.push(mapping("storage-mapping", m));
    el.children.push(st);
  }
  if (b.primitive) el.children.push(detachTopLevel(ctx, b.primitive, b.id.text, ["primitive"]));
  section(ctx.cib, "resources").children.push(el);
}

export function applyMonitor(ctx: BuildContext, m: A.MonitorCmd): void {
  const found = findResource(ctx.cib, m.rsc.text);
  if (!found || (found.el.name !== "primitive" && found.el.name !== "template")) {
    throw semanticError(ctx.source, m.rsc.pos, `no primitive '${m.rsc.text}'`);
  }
  const ids = new IdAllocator(ctx.cib);
  let ops = found.el.children.find((c) => c.name === "operations");
  if (ops?.attrs["id-ref"] !== undefined)
    throw semanticError(ctx.source, m.rsc.pos, `${m.rsc.text} uses shared operations ${ops.attrs["id-ref"]}`);
  if (!ops) {
    ops = element("operations");
    found.el.children.push(ops);
  }
  const op = element("op", {
    id: ids.fresh(`${m.rsc.text}-monitor-${m.interval}`),
    name: "monitor",
    interval: m.interval,
  });
  if (m.role !== undefined) op.attrs["role"] = m.role;
  if (m.timeout !== undefined) {
    try {
      durationMs(m.timeout);
    } catch {
      throw semanticError(
        ctx.source,
        m.rsc.pos,
        `${m.rsc.text}: timeout '${m.timeout}' is not a duration`,
        "e.g. 20s, 2min, 1h",
      );
    }
    op.attrs["timeout"] = m.timeout;
  }
  ops.children.push(op);
}
