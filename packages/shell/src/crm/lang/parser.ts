import type { HacrmError } from "@hacrm/common";
import { agentClassNames, dateSpecFields, isScore as isCibScore, legacyRoleNames, roles } from "@hacrm/cib";
import type * as A from "./ast.js";
import { isPunct, syntaxError, type CommandLine, type Pos, type Token } from "./lexer.js";
import { didYouMean } from "./suggest.js";

/** Role names a user may type: the CIB vocabulary's, then the legacy ones it reads. */
export const ROLES: readonly string[] = [...roles, ...Object.keys(legacyRoleNames)];
export const ACTIONS = ["start", "stop", "promote", "demote"];
export const ORDER_KINDS = ["Mandatory", "Optional", "Serialize"];
/** Attributes of `<op>` itself; other op NAME=VALUE go to the op's instance_attributes. */
export const OP_ATTRIBUTES = new Set([
  "interval",
  "timeout",
  "description",
  "start-delay",
  "interval-origin",
  "enabled",
  "record-pending",
  "role",
  "requires",
  "on-fail",
]);
const DATE_SPEC_FIELDS = new Set<string>(dateSpecFields);
const DURATION_FIELDS = new Set(["years", "months", "weeks", "days", "hours", "minutes", "seconds"]);
const RULE_OPS = new Set(["lt", "gt", "lte", "gte", "eq", "ne"]);
const AGENT_CLASSES = new Set(agentClassNames);
const ID_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A score as crmsh writes it: the CIB's, or `inf`/`-inf`/`+inf` (written as INFINITY). */
export function isScore(text: string): boolean {
  return isCibScore(cibScore(text));
}

/** crmsh score text to the CIB's: inf -> INFINITY, -inf -> -INFINITY, +inf -> +INFINITY. */
export function cibScore(text: string): string {
  const m = /^([-+]?)(inf|infinity)$/i.exec(text);
  return m ? `${m[1]}INFINITY` : text;
}

/** Words printed back without quotes (op names, agents, node names, tickets) must be plain. */
const PLAIN_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@:+-]*$/;

function plain(c: Cursor, t: { text: string; pos: Pos }, what: string): string {
  if (!PLAIN_RE.test(t.text))
    throw c.error(t.pos, `invalid ${what} '${t.text}'`, "letters, digits and _ . @ : + - only");
  return t.text;
}

export function isValidId(text: string): boolean {
  return ID_RE.test(text);
}

/** A cursor over the words of one command. */
export class Cursor {
  i = 1;
  constructor(
    readonly line: CommandLine,
    readonly source: string,
  ) {}

  get cmd(): string {
    return this.line.tokens[0]?.text ?? "";
  }
  peek(k = 0): Token | undefined {
    return this.line.tokens[this.i + k];
  }
  next(): Token | undefined {
    return this.line.tokens[this.i++];
  }
  atEnd(): boolean {
    return this.i >= this.line.tokens.length;
  }
  /** Where the next word is, or just past the last one. */
  here(): Pos {
    const t = this.peek();
    if (t) return t.pos;
    const last = this.line.tokens[this.line.tokens.length - 1];
    return last ? { line: last.pos.line, col: last.pos.col + last.text.length } : this.line.pos;
  }
  error(pos: Pos, message: string, hint?: string): HacrmError {
    return syntaxError(this.source, pos, `${this.cmd}: ${message}`, hint);
  }
  /** Fail on the next word, naming what was expected. */
  expected(what: string, hint?: string): HacrmError {
    const t = this.peek();
    const found = t ? `'${t.text}'` : "end of line";
    return this.error(this.here(), `expected ${what}, found ${found}`, hint);
  }
  isWord(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && !t.quoted && t.text === text;
  }
  isPair(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.eq > 0 && !t.text.startsWith("$");
  }
  /** `$name=VALUE` */
  isDollar(name: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.eq > 0 && t.text.slice(0, t.eq) === name;
  }
  dollarValue(): A.Word {
    const t = this.next() as Token;
    return { text: t.text.slice(t.eq + 1), pos: { line: t.pos.line, col: t.pos.col + t.eq + 1 } };
  }
  /** A word ending with an unquoted `:`, such as `inf:` or `node1:`. */
  isColonWord(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.eq < 0 && t.colons.includes(t.text.length - 1) && t.text.length > 1;
  }
  id(what: string): A.Word {
    const t = this.peek();
    if (!t || isPunct(t)) throw this.expected(what);
    this.i++;
    if (!isValidId(t.text)) {
      throw this.error(
        t.pos,
        `${t.text}: invalid ${what}`,
        "an id starts with a letter or '_' and holds letters, digits, '.', '-', '_'",
      );
    }
    return { text: t.text, pos: t.pos };
  }
  pair(): A.NvPair {
    const t = this.next() as Token;
    return {
      name: t.text.slice(0, t.eq),
      value: t.text.slice(t.eq + 1),
      pos: t.pos,
      valuePos: { line: t.pos.line, col: t.pos.col + t.eq + 1 },
    };
  }
  pairs(): A.NvPair[] {
    const out: A.NvPair[] = [];
    while (this.isPair()) out.push(this.pair());
    return out;
  }
  done(): void {
    if (!this.atEnd()) {
      const t = this.peek() as Token;
      const hint = t.text.startsWith("#") ? "comments go on a line of their own" : undefined;
      throw this.error(t.pos, `unexpected '${t.text}'`, hint);
    }
  }
}

// ---------------------------------------------------------------- rules

function parseScoreWord(c: Cursor): { score?: string; scoreAttribute?: string } {
  if (!c.isColonWord()) return {};
  const t = c.next() as Token;
  const text = t.text.slice(0, -1);
  if (isScore(text)) return { score: cibScore(text) };
  return { scoreAttribute: plain(c, { text, pos: t.pos }, "score attribute") };
}

export function parseRule(c: Cursor): A.Rule {
  const pos = c.here();
  c.next(); // "rule"
  const rule: A.Rule = { pos, exprs: [] };
  for (;;) {
    if (c.isDollar("$id")) rule.id = c.dollarValue();
    else if (c.isDollar("$role") || c.isDollar("role")) {
      const w = c.dollarValue();
      rule.role = checkRole(c, w, "rule");
    } else break;
  }
  Object.assign(rule, parseScoreWord(c));
  rule.exprs.push(parseExpr(c));
  while (c.isWord("and") || c.isWord("or")) {
    const op = (c.next() as Token).text as "and" | "or";
    if (rule.booleanOp && rule.booleanOp !== op) {
      throw c.error(c.here(), "cannot mix 'and' and 'or' in one rule", "split it into several rules");
    }
    rule.booleanOp = op;
    rule.exprs.push(parseExpr(c));
  }
  return rule;
}

function fields(c: Cursor, allowed: Set<string>): A.NvPair[] {
  const out: A.NvPair[] = [];
  while (c.isPair() && allowed.has((c.peek() as Token).text.slice(0, (c.peek() as Token).eq)))
    out.push(c.pair());
  return out;
}

function parseDateExpr(c: Cursor, pos: Pos): A.Expr {
  const op = c.next();
  if (!op) throw c.expected("a date operation (lt, gt, in, spec)");
  if (op.text === "lt" || op.text === "gt") {
    const v = c.next();
    if (!v) throw c.expected("a date");
    return { kind: "date", operation: op.text, value: v.text, pos };
  }
  if (op.text === "spec" || op.text === "date_spec") {
    const f = fields(c, DATE_SPEC_FIELDS);
    if (f.length === 0) throw c.expected(`a date spec field (${[...DATE_SPEC_FIELDS].join(", ")})`);
    return { kind: "date_spec", fields: f, pos };
  }
  if (op.text === "in" || op.text === "in_range") {
    const e: A.Expr = { kind: "in_range", duration: [], pos };
    while (c.isPair()) {
      const t = c.peek() as Token;
      const name = t.text.slice(0, t.eq);
      if (name === "start" || name === "end") e[name] = c.pair().value;
      else if (DURATION_FIELDS.has(name)) e.duration.push(c.pair());
      else break;
    }
    if (e.start === undefined && e.end === undefined) throw c.expected("start=DATE or end=DATE");
    return e;
  }
  throw c.error(
    op.pos,
    `unknown date operation '${op.text}'`,
    didYouMean(op.text, ["lt", "gt", "in", "spec"]) ?? "use lt, gt, in or spec",
  );
}

function parseExpr(c: Cursor): A.Expr {
  const pos = c.here();
  const t = c.next();
  if (!t) throw c.expected("an expression (ATTR OP VALUE, defined ATTR, date ...)");
  if (t.text === "defined" || t.text === "not_defined") {
    const a = c.next();
    if (!a) throw c.expected("an attribute name");
    return { kind: t.text, attribute: a.text, pos };
  }
  if (t.text === "date" && !t.quoted) return parseDateExpr(c, pos);
  const opTok = c.next();
  if (!opTok) throw c.expected("an operator (lt, gt, lte, gte, eq, ne)");
  let op = opTok.text;
  let type: string | undefined;
  const colon = op.indexOf(":");
  if (colon > 0) {
    type = op.slice(0, colon);
    op = op.slice(colon + 1);
    if (!["string", "number", "version", "integer"].includes(type)) {
      throw c.error(opTok.pos, `unknown value type '${type}'`, "use string:, number: or version:");
    }
  }
  if (!RULE_OPS.has(op)) {
    throw c.error(
      opTok.pos,
      `expected an operator (lt, gt, lte, gte, eq, ne), found '${opTok.text}'`,
      didYouMean(op, [...RULE_OPS]),
    );
  }
  const v = c.next();
  if (!v) throw c.expected("a value");
  const e: A.Expr = { kind: "attr", attribute: t.text, operation: op, value: v.text, pos };
  if (type !== undefined) e.type = type;
  return e;
}

// ---------------------------------------------------------------- sets

/** After the set keyword: `[$id=ID] [SCORE:] [rule ...] NAME=VALUE ...` or `$id-ref=ID`. */
export function parseSet(c: Cursor, element: A.SetElement, pos: Pos, allowName = false): A.AttrSet {
  const set: A.AttrSet = { element, pos, rules: [], pairs: [] };
  if (c.isDollar("$id-ref")) {
    set.idRef = c.dollarValue();
    return set;
  }
  if (c.isDollar("$id")) set.id = c.dollarValue();
  if (c.isColonWord()) {
    const t = c.peek() as Token;
    const text = t.text.slice(0, -1);
    if (isScore(text)) {
      c.next();
      set.score = cibScore(text);
    } else if (allowName && set.id === undefined) {
      c.next();
      set.id = { text, pos: t.pos };
    }
  }
  while (c.isWord("rule")) set.rules.push(parseRule(c));
  set.pairs = c.pairs();
  return set;
}

const SET_KEYWORDS: Record<string, A.SetElement> = {
  params: "instance_attributes",
  meta: "meta_attributes",
  utilization: "utilization",
};

function parseOp(c: Cursor): A.Op {
  c.next(); // "op"
  const nameTok = c.next();
  if (!nameTok || nameTok.eq >= 0)
    throw c.error(
      nameTok?.pos ?? c.here(),
      "expected an operation name after 'op' (monitor, start, stop, ...)",
    );
  plain(c, nameTok, "operation name");
  const op: A.Op = { name: { text: nameTok.text, pos: nameTok.pos }, attrs: [], extra: [], sets: [] };
  for (;;) {
    if (c.isPair()) {
      const p = c.pair();
      if (p.name === "id") op.id = { text: p.value, pos: p.valuePos };
      else if (p.name === "name") continue;
      else if (OP_ATTRIBUTES.has(p.name)) {
        if (p.name === "role") p.value = checkRole(c, { text: p.value, pos: p.valuePos }, op.name.text);
        op.attrs.push(p);
      } else op.extra.push(p);
    } else if (c.isWord("op_params") || c.isWord("op_meta")) {
      const t = c.next() as Token;
      op.sets.push(parseSet(c, t.text === "op_params" ? "instance_attributes" : "meta_attributes", t.pos));
    } else return op;
  }
}

function parseAgent(c: Cursor): Pick<A.PrimitiveCmd, "agent" | "template"> {
  const t = c.peek();
  if (!t || t.eq >= 0 || isPunct(t) || SET_KEYWORDS[t.text] !== undefined || t.text === "op") {
    throw c.expected(
      "a resource agent (CLASS:PROVIDER:TYPE, TYPE or @TEMPLATE)",
      "e.g. ocf:heartbeat:IPaddr2",
    );
  }
  c.next();
  if (t.text.startsWith("@")) return { template: { text: t.text.slice(1), pos: t.pos } };
  plain(c, t, "resource agent");
  const parts = t.text.split(":");
  if (parts.length === 1) return { agent: { cls: "", type: t.text, pos: t.pos } };
  const [cls = "", ...rest] = parts;
  if (!AGENT_CLASSES.has(cls)) {
    throw c.error(
      t.pos,
      `unknown agent class '${cls}'`,
      didYouMean(cls, [...AGENT_CLASSES]) ?? `classes: ${[...AGENT_CLASSES].join(", ")}`,
    );
  }
  if (cls === "ocf") {
    if (rest.length === 1) return { agent: { cls, provider: "heartbeat", type: rest[0] ?? "", pos: t.pos } };
    if (rest.length !== 2 || !rest[0] || !rest[1])
      throw c.error(t.pos, `bad agent '${t.text}'`, "ocf agents are ocf:PROVIDER:TYPE");
    return { agent: { cls, provider: rest[0], type: rest[1], pos: t.pos } };
  }
  const type = rest.join(":");
  if (!type) throw c.error(t.pos, `bad agent '${t.text}': no type`);
  return { agent: { cls, type, pos: t.pos } };
}

const PRIMITIVE_WORDS = ["params", "meta", "utilization", "op", "operations", "description="];

function parsePrimitive(c: Cursor, cmd: "primitive" | "rsc_template"): A.PrimitiveCmd {
  const id = c.id("id");
  const p: A.PrimitiveCmd = { cmd, id, ...parseAgent(c), sets: [], ops: [] };
  while (!c.atEnd()) {
    const t = c.peek() as Token;
    const setEl = t.quoted ? undefined : SET_KEYWORDS[t.text];
    if (setEl) {
      c.next();
      p.sets.push(parseSet(c, setEl, t.pos));
    } else if (c.isWord("op")) p.ops.push(parseOp(c));
    else if (c.isWord("operations")) {
      c.next();
      if (c.isDollar("$id-ref")) p.opsIdRef = c.dollarValue();
      else if (c.isDollar("$id")) p.opsId = c.dollarValue();
      else throw c.expected("$id=ID or $id-ref=ID after 'operations'");
    } else if (t.eq > 0 && t.text.slice(0, t.eq) === "description") p.description = c.pair().value;
    else
      throw c.expected(
        "params, meta, utilization, op or operations",
        didYouMean(t.text.split("=")[0] ?? "", PRIMITIVE_WORDS),
      );
  }
  return p;
}

/** `description=`, `meta ...`, `params ...` after a container's members. */
function parseContainerTail(c: Cursor, out: { description?: string; sets: A.AttrSet[] }): void {
  while (!c.atEnd()) {
    const t = c.peek() as Token;
    const setEl = t.quoted ? undefined : SET_KEYWORDS[t.text];
    if (setEl && setEl !== "utilization") {
      c.next();
      out.sets.push(parseSet(c, setEl, t.pos));
    } else if (t.eq > 0 && t.text.slice(0, t.eq) === "description") out.description = c.pair().value;
    else throw c.expected("meta, params or description=", didYouMean(t.text, ["meta", "params"]));
  }
}

function parseContainer(c: Cursor, cmd: "group" | "clone" | "ms"): A.ContainerCmd {
  const id = c.id("id");
  const out: A.ContainerCmd = { cmd, id, members: [], sets: [] };
  while (!c.atEnd() && !c.isPair() && !c.isWord("meta") && !c.isWord("params"))
    out.members.push(c.id("resource id"));
  if (out.members.length === 0)
    throw c.expected(cmd === "group" ? "the group's members" : "the resource to clone");
  if (cmd !== "group" && out.members.length > 1) {
    const m = out.members[1] as A.Word;
    throw c.error(
      m.pos,
      `a ${cmd} holds one resource, found '${m.text}' too`,
      "put several resources in a group and clone the group",
    );
  }
  parseContainerTail(c, out);
  return out;
}

function parseBundle(c: Cursor): A.BundleCmd {
  const id = c.id("id");
  const rt = c.next();
  if (!rt || !["docker", "rkt", "podman"].includes(rt.text)) {
    throw c.error(
      rt?.pos ?? c.here(),
      "expected a container runtime (docker, rkt, podman)",
      rt ? didYouMean(rt.text, ["docker", "rkt", "podman"]) : undefined,
    );
  }
  const b: A.BundleCmd = {
    cmd: "bundle",
    id,
    runtime: { name: rt.text, attrs: c.pairs() },
    portMappings: [],
    storageMappings: [],
    storage: false,
    sets: [],
  };
  while (!c.atEnd()) {
    const t = c.next() as Token;
    if (t.text === "network") b.network = c.pairs();
    else if (t.text === "port-mapping") b.portMappings.push(c.pairs());
    else if (t.text === "storage") b.storage = true;
    else if (t.text === "storage-mapping") b.storageMappings.push(c.pairs());
    else if (t.text === "primitive") b.primitive = c.id("primitive id");
    else if (t.text === "meta" || t.text === "params")
      b.sets.push(parseSet(c, SET_KEYWORDS[t.text] as A.SetElement, t.pos));
    else {
      c.i--;
      throw c.expected("network, port-mapping, storage, storage-mapping, primitive or meta");
    }
  }
  return b;
}

// ---------------------------------------------------------------- constraints

export function checkRole(c: Cursor, w: A.Word, owner: string): string {
  const r = ROLES.find((x) => x.toLowerCase() === w.text.toLowerCase());
  if (r) return r;
  throw c.error(
    w.pos,
    `invalid role '${w.text}' for '${owner}'`,
    didYouMean(w.text, ROLES) ?? `roles: ${ROLES.join(", ")}`,
  );
}

function checkAction(c: Cursor, w: A.Word, owner: string): string {
  const a = ACTIONS.find((x) => x === w.text.toLowerCase());
  if (a) return a;
  throw c.error(
    w.pos,
    `invalid action '${w.text}' for '${owner}'`,
    didYouMean(w.text, ACTIONS) ?? `actions: ${ACTIONS.join(", ")}`,
  );
}

function parseRef(c: Cursor, qual: "role" | "action" | "none"): A.RscRef {
  const t = c.next() as Token;
  const colon = t.text.indexOf(":");
  const idText = colon < 0 ? t.text : t.text.slice(0, colon);
  if (!isValidId(idText)) throw c.error(t.pos, `${idText}: invalid resource id`);
  const ref: A.RscRef = { id: { text: idText, pos: t.pos } };
  if (colon >= 0) {
    const q: A.Word = {
      text: t.text.slice(colon + 1),
      pos: { line: t.pos.line, col: t.pos.col + colon + 1 },
    };
    if (qual === "none") throw c.error(q.pos, `unexpected ':${q.text}' after '${idText}'`);
    q.text = qual === "role" ? checkRole(c, q, idText) : checkAction(c, q, idText);
    ref.qualifier = q;
  }
  return ref;
}

function parseBracket(c: Cursor, qual: "role" | "action" | "none"): A.BracketSet {
  const open = c.next() as Token;
  const close = open.text === "(" ? ")" : open.text === "[" ? "]" : "}";
  const set: A.BracketSet = { open: open.text as A.BracketSet["open"], pos: open.pos, refs: [], attrs: [] };
  for (;;) {
    const t = c.peek();
    if (!t) throw c.expected(`'${close}' to close the set opened at ${open.pos.line}:${open.pos.col}`);
    if (isPunct(t, close)) {
      c.next();
      break;
    }
    if (isPunct(t)) throw c.error(t.pos, `unexpected '${t.text}' inside a set`, "sets do not nest");
    if (c.isPair()) set.attrs.push(c.pair());
    else set.refs.push(parseRef(c, qual));
  }
  if (set.refs.length === 0) throw c.error(open.pos, "empty resource set");
  return set;
}

function parseItems(c: Cursor, qual: "role" | "action"): { items: A.SetItem[]; attrs: A.NvPair[] } {
  const items: A.SetItem[] = [];
  const attrs: A.NvPair[] = [];
  while (!c.atEnd()) {
    const t = c.peek() as Token;
    if (c.isPair()) attrs.push(c.pair());
    else if (attrs.length > 0)
      throw c.error(t.pos, `unexpected '${t.text}' after the constraint's attributes`);
    else if (isPunct(t, "(") || isPunct(t, "[")) items.push({ kind: "set", set: parseBracket(c, qual) });
    else if (isPunct(t)) throw c.error(t.pos, `unexpected '${t.text}'`);
    else items.push({ kind: "ref", ref: parseRef(c, qual) });
  }
  return { items, attrs };
}

function countRefs(items: A.SetItem[]): number {
  return items.reduce((n, it) => n + (it.kind === "ref" ? 1 : it.set.refs.length), 0);
}

function requireScore(c: Cursor, what: string): Token {
  if (c.isColonWord()) return c.next() as Token;
  const t = c.peek();
  const hint =
    t && (isScore(t.text) || ORDER_KINDS.includes(t.text))
      ? `did you mean '${t.text}:'?`
      : "a score is a number, inf or -inf followed by ':'";
  throw c.error(c.here(), `expected <${what}>: ${t ? `near '${t.text}'` : "at end of line"}`, hint);
}

function parseLocation(c: Cursor): A.LocationCmd {
  const id = c.id("constraint id");
  const loc: A.LocationCmd = { cmd: "location", id, rules: [] };
  const t = c.peek();
  if (!t) throw c.expected("a resource, { set }, /pattern/ or tag");
  if (isPunct(t, "{")) loc.set = parseBracket(c, "role");
  else if (!t.quoted && t.text.length > 2 && t.text.startsWith("/") && t.text.endsWith("/")) {
    c.next();
    loc.pattern = { text: t.text.slice(1, -1), pos: t.pos };
  } else loc.rsc = c.id("resource id");
  for (;;) {
    if (c.isDollar("role") || c.isDollar("$role")) {
      const p = c.pair();
      p.value = checkRole(c, { text: p.value, pos: p.valuePos }, id.text);
      loc.role = p;
    } else if (c.isDollar("resource-discovery")) {
      const p = c.pair();
      if (!["always", "never", "exclusive"].includes(p.value)) {
        throw c.error(
          p.valuePos,
          `invalid resource-discovery '${p.value}'`,
          "use always, never or exclusive",
        );
      }
      loc.discovery = p;
    } else break;
  }
  if (c.isWord("rule")) {
    while (c.isWord("rule")) loc.rules.push(parseRule(c));
    return loc;
  }
  const s = requireScore(c, "score");
  const text = s.text.slice(0, -1);
  if (!isScore(text))
    throw c.error(s.pos, `invalid score '${text}'`, "a score is a number, inf, -inf or +inf");
  loc.score = cibScore(text);
  const node = c.next();
  if (!node) throw c.expected("a node name after the score");
  loc.node = { text: node.text, pos: node.pos };
  return loc;
}

function parseColocation(c: Cursor): A.ColocationCmd {
  const id = c.id("constraint id");
  const s = requireScore(c, "score");
  let text = s.text.slice(0, -1);
  if (/^mandatory$/i.test(text)) text = "INFINITY";
  else if (/^(optional|advisory)$/i.test(text)) text = "0";
  else if (!isScore(text))
    throw c.error(s.pos, `invalid score '${text}'`, "a score is a number, inf, -inf or +inf");
  const { items, attrs } = parseItems(c, "role");
  if (countRefs(items) < 2) throw c.expected("at least two resources");
  return { cmd: "colocation", id, score: cibScore(text), items, attrs };
}

function parseOrder(c: Cursor): A.OrderCmd {
  const id = c.id("constraint id");
  const o: A.OrderCmd = { cmd: "order", id, items: [], attrs: [] };
  if (c.isColonWord()) {
    const t = c.next() as Token;
    const text = t.text.slice(0, -1);
    const kind = ORDER_KINDS.find((k) => k.toLowerCase() === text.toLowerCase());
    if (kind) o.kind = kind;
    else if (isScore(text)) o.kind = text === "0" ? "Optional" : "Mandatory";
    else
      throw c.error(
        t.pos,
        `invalid kind: ${text}`,
        didYouMean(text, ORDER_KINDS) ?? "kinds are Mandatory, Optional, Serialize (or a score)",
      );
  }
  Object.assign(o, parseItems(c, "action"));
  if (countRefs(o.items) < 2) throw c.expected("at least two resources");
  return o;
}

function parseTicket(c: Cursor): A.TicketCmd {
  const id = c.id("constraint id");
  const t = requireScore(c, "ticket");
  const { items, attrs } = parseItems(c, "role");
  if (countRefs(items) < 1) throw c.expected("a resource");
  return {
    cmd: "rsc_ticket",
    id,
    ticket: plain(c, { text: t.text.slice(0, -1), pos: t.pos }, "ticket"),
    items,
    attrs,
  };
}

// ---------------------------------------------------------------- other objects

function parseProperty(c: Cursor, cmd: A.PropertyCmd["cmd"]): A.PropertyCmd {
  const pos = c.here();
  const set = parseSet(c, "meta_attributes", pos, true);
  if (set.idRef) throw c.error(set.idRef.pos, "$id-ref is not allowed here");
  if (set.pairs.length === 0) throw c.expected("NAME=VALUE");
  c.done();
  return { cmd, set };
}

function parseNode(c: Cursor): A.NodeCmd {
  let id: A.Word | undefined;
  if (c.isDollar("$id")) id = c.dollarValue();
  const t = c.next();
  if (!t || t.eq >= 0) throw c.error(t?.pos ?? c.here(), "expected a node name");
  const colon = t.text.indexOf(":");
  plain(c, { text: colon < 0 ? t.text : t.text.slice(0, colon), pos: t.pos }, "node name");
  const n: A.NodeCmd = {
    cmd: "node",
    uname: { text: colon < 0 ? t.text : t.text.slice(0, colon), pos: t.pos },
    sets: [],
  };
  if (id) n.id = id;
  if (colon >= 0) {
    n.type = t.text.slice(colon + 1);
    if (!["member", "remote", "ping", "normal"].includes(n.type)) {
      throw c.error(t.pos, `invalid node type '${n.type}'`, "use member, remote or ping");
    }
  }
  while (!c.atEnd()) {
    const w = c.peek() as Token;
    if (w.eq > 0 && w.text.slice(0, w.eq) === "description") n.description = c.pair().value;
    else if (c.isWord("attributes") || c.isWord("utilization")) {
      c.next();
      n.sets.push(parseSet(c, w.text === "attributes" ? "instance_attributes" : "utilization", w.pos));
    } else
      throw c.expected(
        "attributes, utilization or description=",
        didYouMean(w.text, ["attributes", "utilization"]),
      );
  }
  return n;
}

function parseTag(c: Cursor): A.TagCmd {
  const t = c.peek();
  let id: A.Word;
  if (t && c.isColonWord()) {
    c.next();
    id = { text: t.text.slice(0, -1), pos: t.pos };
    if (!isValidId(id.text)) throw c.error(t.pos, `${id.text}: invalid tag id`);
  } else id = c.id("tag id");
  const refs: A.Word[] = [];
  while (!c.atEnd()) refs.push(c.id("resource id"));
  if (refs.length === 0) throw c.expected("the tagged resources");
  return { cmd: "tag", id, refs };
}

function parseFencing(c: Cursor): A.FencingCmd {
  const f: A.FencingCmd = { cmd: "fencing_topology", pos: c.line.pos, levels: [] };
  let target: A.FencingLevel["target"] | undefined;
  while (!c.atEnd()) {
    const t = c.next() as Token;
    if (t.text.startsWith("attr:")) {
      const spec = t.text.slice(5);
      const eq = spec.indexOf("=");
      if (eq <= 0) throw c.error(t.pos, `bad target '${t.text}'`, "use attr:NAME=VALUE");
      target = { kind: "attribute", value: spec.slice(0, eq), attrValue: spec.slice(eq + 1) };
    } else if (t.text.startsWith("pattern:") || t.text.startsWith("regexp:")) {
      target = { kind: "pattern", value: t.text.slice(t.text.indexOf(":") + 1) };
    } else if (t.text.endsWith(":") && !t.quoted) target = { kind: "node", value: t.text.slice(0, -1) };
    else {
      const devices = t.text.split(",").map((d, k, all) => ({
        text: d,
        pos: { line: t.pos.line, col: t.pos.col + all.slice(0, k).join(",").length + (k > 0 ? 1 : 0) },
      }));
      for (const d of devices) if (!isValidId(d.text)) throw c.error(d.pos, `${d.text}: invalid device id`);
      f.levels.push({ ...(target ? { target } : {}), devices });
    }
  }
  if (f.levels.length === 0) throw c.expected("fencing devices");
  return f;
}

function parseAlertSets(c: Cursor, out: { sets: A.AttrSet[]; description?: string }): void {
  for (;;) {
    const t = c.peek();
    if (c.isWord("attributes") || c.isWord("meta")) {
      c.next();
      out.sets.push(
        parseSet(
          c,
          (t as Token).text === "meta" ? "meta_attributes" : "instance_attributes",
          (t as Token).pos,
        ),
      );
    } else if (t && t.eq > 0 && t.text.slice(0, t.eq) === "description") out.description = c.pair().value;
    else return;
  }
}

function parseAlert(c: Cursor): A.AlertCmd {
  const id = c.id("alert id");
  const path = c.next();
  if (!path) throw c.expected("the alert agent's path");
  const a: A.AlertCmd = { cmd: "alert", id, path: path.text, sets: [], recipients: [] };
  parseAlertSets(c, a);
  if (c.isWord("select")) {
    c.next();
    a.select = [];
    while (!c.atEnd() && ["nodes", "fencing", "resources", "attributes"].includes((c.peek() as Token).text)) {
      const kind = (c.next() as Token).text;
      const sel: { kind: string; attributes?: string[] } = { kind };
      if (kind === "attributes" && isPunct(c.peek(), "{")) {
        c.next();
        sel.attributes = [];
        while (!c.atEnd() && !isPunct(c.peek(), "}")) sel.attributes.push((c.next() as Token).text);
        if (!isPunct(c.next(), "}")) throw c.expected("'}'");
      }
      a.select.push(sel);
    }
    parseAlertSets(c, a);
  }
  while (c.isWord("to")) {
    c.next();
    const braced = isPunct(c.peek(), "{");
    if (braced) c.next();
    const v = c.next();
    if (!v || isPunct(v)) throw c.expected("a recipient");
    const r: A.AlertCmd["recipients"][number] = { value: v.text, sets: [] };
    parseAlertSets(c, r);
    if (braced && !isPunct(c.next(), "}")) throw c.expected("'}' to close the recipient");
    a.recipients.push(r);
  }
  c.done();
  return a;
}

const ACL_SPECS: Record<string, A.AclPermission["specs"][number]["attr"]> = {
  xpath: "xpath",
  ref: "reference",
  reference: "reference",
  tag: "object-type",
  type: "object-type",
  attribute: "attribute",
  attr: "attribute",
};

function parseRole(c: Cursor): A.RoleCmd {
  const id = c.id("role id");
  const r: A.RoleCmd = { cmd: "role", id, permissions: [] };
  while (!c.atEnd()) {
    const t = c.next() as Token;
    if (t.text !== "read" && t.text !== "write" && t.text !== "deny") {
      throw c.error(
        t.pos,
        `expected read, write or deny, found '${t.text}'`,
        didYouMean(t.text, ["read", "write", "deny"]),
      );
    }
    const perm: A.AclPermission = { kind: t.text, specs: [] };
    while (!c.atEnd() && !["read", "write", "deny"].includes((c.peek() as Token).text)) {
      const s = c.next() as Token;
      const colon = s.text.indexOf(":");
      const attr = colon > 0 ? ACL_SPECS[s.text.slice(0, colon)] : undefined;
      if (!attr) throw c.error(s.pos, `expected xpath:, ref:, tag: or attribute:, found '${s.text}'`);
      perm.specs.push({ attr, value: s.text.slice(colon + 1) });
    }
    if (perm.specs.length === 0)
      throw c.expected(`what '${t.text}' applies to (xpath:, ref:, tag:, attribute:)`);
    r.permissions.push(perm);
  }
  return r;
}

function parseAclTarget(c: Cursor, cmd: A.AclTargetCmd["cmd"]): A.AclTargetCmd {
  const id = c.id("id");
  const roles: A.Word[] = [];
  while (!c.atEnd()) roles.push(c.id("role id"));
  return { cmd, id, roles };
}

function parseMonitor(c: Cursor): A.MonitorCmd {
  const r = c.next();
  if (!r) throw c.expected("RSC[:ROLE]");
  const colon = r.text.indexOf(":");
  const m: A.MonitorCmd = {
    cmd: "monitor",
    rsc: { text: colon < 0 ? r.text : r.text.slice(0, colon), pos: r.pos },
    interval: "",
  };
  if (colon >= 0)
    m.role = checkRole(
      c,
      { text: r.text.slice(colon + 1), pos: { line: r.pos.line, col: r.pos.col + colon + 1 } },
      m.rsc.text,
    );
  const iv = c.next();
  if (!iv) throw c.expected("INTERVAL[:TIMEOUT]");
  const [interval = "", timeout] = iv.text.split(":");
  if (!interval) throw c.error(iv.pos, "empty interval");
  m.interval = interval;
  if (timeout !== undefined) m.timeout = timeout;
  c.done();
  return m;
}

function restWords(c: Cursor): A.Word[] {
  const out: A.Word[] = [];
  while (!c.atEnd()) {
    const t = c.next() as Token;
    out.push({ text: t.text, pos: t.pos });
  }
  return out;
}

const ALIASES: Record<string, string> = {
  master: "ms",
  collocation: "colocation",
  end: "up",
  back: "up",
  exit: "quit",
  bye: "quit",
};

/** Parse one configure-level command. */
export function parseConfigure(line: CommandLine, source: string): A.ConfigureCmd {
  const c = new Cursor(line, source);
  const head = line.tokens[0];
  if (!head) throw syntaxError(source, line.pos, "empty command");
  const name = ALIASES[head.text] ?? head.text;
  const r = dispatch(c, name);
  if (!r) {
    throw syntaxError(
      source,
      head.pos,
      `configure.${head.text}: No such command`,
      didYouMean(head.text, CONFIGURE_COMMANDS) ?? "type 'help' for the list",
    );
  }
  c.done();
  return r;
}

const words = (c: Cursor, cmd: string): A.ConfigureCmd =>
  ({ cmd, pos: c.line.pos, args: restWords(c) }) as A.EditCmd | A.ShellCmd;

/**
 * Each configure-level command and its parser: adding a command is one row here
 * (and its builder's row in apply.ts). Edit and shell commands take plain words.
 */
const PARSERS: Record<string, (c: Cursor, cmd: string) => A.ConfigureCmd> = {
  primitive: (c) => parsePrimitive(c, "primitive"),
  rsc_template: (c) => parsePrimitive(c, "rsc_template"),
  group: (c) => parseContainer(c, "group"),
  clone: (c) => parseContainer(c, "clone"),
  ms: (c) => parseContainer(c, "ms"),
  bundle: parseBundle,
  location: parseLocation,
  colocation: parseColocation,
  order: parseOrder,
  rsc_ticket: parseTicket,
  property: (c) => parseProperty(c, "property"),
  rsc_defaults: (c) => parseProperty(c, "rsc_defaults"),
  op_defaults: (c) => parseProperty(c, "op_defaults"),
  node: parseNode,
  tag: parseTag,
  fencing_topology: parseFencing,
  alert: parseAlert,
  role: parseRole,
  acl_target: (c) => parseAclTarget(c, "acl_target"),
  acl_group: (c) => parseAclTarget(c, "acl_group"),
  monitor: parseMonitor,
  delete: words,
  rename: words,
  modgroup: words,
  set: words,
  commit: words,
  up: words,
  show: words,
  verify: words,
  edit: words,
  quit: words,
  help: words,
  erase: words,
  load: words,
  cd: words,
  ls: words,
  save: words,
  simulate: words,
  status: words,
};

/** Configure-level commands, with their aliases (for completion and hints). */
export const CONFIGURE_COMMANDS: readonly string[] = [...Object.keys(PARSERS), ...Object.keys(ALIASES)];

function dispatch(c: Cursor, name: string): A.ConfigureCmd | undefined {
  return Object.hasOwn(PARSERS, name) ? PARSERS[name]?.(c, name) : undefined;
}
