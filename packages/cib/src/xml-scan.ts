import { HacrmError } from "@hacrm/common";
import type { XmlElement } from "./xml.js";

/**
 * A single-pass, non-recursive XML reader for CIB documents (style.md habit
 * 7: bounded depth). It checks well-formedness (matching tags, quoted and
 * unique attributes, known entities, one root), decodes entities, normalizes
 * literal tabs and newlines in attribute values to spaces as XML requires,
 * skips comments, processing instructions and the declaration, and refuses
 * DOCTYPE (no entity expansion, so no entity bombs). Text is trimmed and
 * whitespace-only text dropped. Errors name line and column.
 */
export function scanXml(text: string, source: string, depthMax: number): XmlElement {
  const s = new Scanner(text, source, depthMax);
  return s.document();
}

const GT = 62;
const SLASH = 47;
const BANG = 33;
const QMARK = 63;
const EQ = 61;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 95 ||
    c === 45 ||
    c === 46 ||
    c === 58 ||
    c > 127
  );
}

/** Whether text[from, to) holds '<', '&', tab, newline or carriage return (one pass, usually none). */
function hasSpecial(text: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c <= 60 && (c === 60 || c === 38 || c === 9 || c === 10 || c === 13)) return true;
  }
  return false;
}

const entities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

class Scanner {
  private i = 0;
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private texts: (string[] | undefined)[] = [];

  constructor(
    private readonly text: string,
    private readonly source: string,
    private readonly depthMax: number,
  ) {}

  document(): XmlElement {
    const t = this.text;
    const n = t.length;
    if (t.charCodeAt(0) === 0xfeff) this.i = 1;
    while (this.i < n) {
      const lt = t.indexOf("<", this.i);
      if (lt === -1) {
        this.text_(this.i, n);
        break;
      }
      if (lt > this.i) this.text_(this.i, lt);
      this.i = lt;
      const c = t.charCodeAt(lt + 1);
      if (c === SLASH) this.endTag();
      else if (c === BANG) this.bang();
      else if (c === QMARK) this.skipTo("?>", "unterminated processing instruction");
      else this.startTag();
    }
    if (this.stack.length > 0) {
      const open = this.stack[this.stack.length - 1] as XmlElement;
      this.fail(n, `unclosed element <${open.name}> at end of input`);
    }
    if (!this.root) this.fail(n, "no root element");
    return this.root;
  }

  private fail(at: number, message: string): never {
    let line = 1;
    let lineStart = 0;
    for (let j = this.text.indexOf("\n"); j !== -1 && j < at; j = this.text.indexOf("\n", j + 1)) {
      line++;
      lineStart = j + 1;
    }
    throw new HacrmError({
      code: "XML_MALFORMED",
      where: `${this.source}:${line}:${at - lineStart + 1}`,
      message: `malformed XML: ${message}`,
    });
  }

  private skipTo(end: string, message: string): void {
    const j = this.text.indexOf(end, this.i + 2);
    if (j === -1) this.fail(this.i, message);
    this.i = j + end.length;
  }

  private bang(): void {
    const t = this.text;
    if (t.startsWith("<!--", this.i)) return this.skipTo("-->", "unterminated comment");
    if (t.startsWith("<![CDATA[", this.i)) {
      const j = t.indexOf("]]>", this.i + 9);
      if (j === -1) this.fail(this.i, "unterminated CDATA section");
      if (this.stack.length === 0) this.fail(this.i, "CDATA outside the root element");
      this.pushText(t.slice(this.i + 9, j));
      this.i = j + 3;
      return;
    }
    if (t.startsWith("<!DOCTYPE", this.i)) this.fail(this.i, "DOCTYPE is not allowed in a CIB");
    this.fail(this.i, "unexpected '<!'");
  }

  private name(): string {
    const t = this.text;
    const start = this.i;
    let c = t.charCodeAt(start);
    if (!(isNameChar(c) && !(c >= 48 && c <= 57) && c !== 45 && c !== 46))
      this.fail(start, "expected a name");
    let j = start + 1;
    while (j < t.length && isNameChar((c = t.charCodeAt(j)))) j++;
    this.i = j;
    return t.slice(start, j);
  }

  private spaces(): boolean {
    const start = this.i;
    while (isSpace(this.text.charCodeAt(this.i))) this.i++;
    return this.i > start;
  }

  private startTag(): void {
    const t = this.text;
    const tagStart = this.i;
    this.i++;
    const name = this.name();
    const el: XmlElement = { name, attrs: {}, children: [] };
    for (;;) {
      const hadSpace = this.spaces();
      const c = t.charCodeAt(this.i);
      if (c === GT) {
        this.i++;
        this.open(el, tagStart);
        return;
      }
      if (c === SLASH && t.charCodeAt(this.i + 1) === GT) {
        this.i += 2;
        this.open(el, tagStart);
        this.close();
        return;
      }
      if (Number.isNaN(c)) this.fail(tagStart, `unterminated tag <${name}>`);
      if (!hadSpace) this.fail(this.i, `expected whitespace, '>' or '/>' in <${name}>`);
      this.attribute(el);
    }
  }

  private attribute(el: XmlElement): void {
    const t = this.text;
    const at = this.i;
    const key = this.name();
    this.spaces();
    if (t.charCodeAt(this.i) !== EQ) this.fail(this.i, `attribute ${key} has no value`);
    this.i++;
    this.spaces();
    const q = t.charCodeAt(this.i);
    if (q !== 34 && q !== 39) this.fail(this.i, `value of attribute ${key} is not quoted`);
    const end = t.indexOf(q === 34 ? '"' : "'", this.i + 1);
    if (end === -1) this.fail(this.i, `unterminated value of attribute ${key}`);
    let value = t.slice(this.i + 1, end);
    if (hasSpecial(t, this.i + 1, end)) {
      if (value.includes("<")) this.fail(this.i, `'<' in the value of attribute ${key}`);
      if (/[\t\n\r]/.test(value)) value = value.replace(/\r\n|[\t\n\r]/g, " ");
      if (value.includes("&")) value = this.decode(value, this.i + 1);
    }
    if (Object.prototype.hasOwnProperty.call(el.attrs, key))
      this.fail(at, `duplicate attribute ${key} in <${el.name}>`);
    el.attrs[key] = value;
    this.i = end + 1;
  }

  private decode(raw: string, at: number): string {
    return raw.replace(/&([^;&\s]*);?/g, (m, body: string) => {
      if (!m.endsWith(";")) this.fail(at, `'&' not followed by an entity reference`);
      const named = entities[body];
      if (named !== undefined) return named;
      const code = /^#x[0-9a-fA-F]+$/.test(body)
        ? parseInt(body.slice(2), 16)
        : /^#[0-9]+$/.test(body)
          ? Number(body.slice(1))
          : NaN;
      if (Number.isNaN(code) || code > 0x10ffff || code === 0) this.fail(at, `unknown entity &${body};`);
      return String.fromCodePoint(code);
    });
  }

  private open(el: XmlElement, at: number): void {
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(el);
    else if (this.root) this.fail(at, `second root element <${el.name}>`);
    else this.root = el;
    if (this.stack.length >= this.depthMax) {
      throw new HacrmError({
        code: "XML_TOO_DEEP",
        where: `${this.source}:${this.lineAt(at)}`,
        message: `elements nested deeper than ${this.depthMax} levels`,
        hint: "a CIB is at most a few levels deep; this input is not a CIB",
      });
    }
    this.stack.push(el);
    this.texts.push(undefined);
  }

  private lineAt(at: number): number {
    let line = 1;
    for (let j = this.text.indexOf("\n"); j !== -1 && j < at; j = this.text.indexOf("\n", j + 1)) line++;
    return line;
  }

  private close(): void {
    const el = this.stack.pop() as XmlElement;
    const parts = this.texts.pop();
    if (parts) {
      const text = parts.join("").trim();
      if (text !== "") el.text = text;
    }
  }

  private endTag(): void {
    const at = this.i;
    this.i += 2;
    const name = this.name();
    this.spaces();
    if (this.text.charCodeAt(this.i) !== GT) this.fail(this.i, `expected '>' to end </${name}>`);
    this.i++;
    const open = this.stack[this.stack.length - 1];
    if (!open) this.fail(at, `closing tag </${name}> without an open element`);
    if (open.name !== name) this.fail(at, `closing tag </${name}> does not match <${open.name}>`);
    this.close();
  }

  private text_(from: number, to: number): void {
    const raw = this.text.slice(from, to);
    if (this.stack.length === 0) {
      if (raw.trim() !== "") this.fail(from, "text outside the root element");
      return;
    }
    if (raw.trim() === "") return;
    if (raw.includes(">") && raw.includes("]]>")) this.fail(from, "']]>' in text");
    this.pushText(raw.includes("&") ? this.decode(raw, from) : raw);
  }

  private pushText(s: string): void {
    const k = this.texts.length - 1;
    const parts = this.texts[k];
    if (parts) parts.push(s);
    else this.texts[k] = [s];
  }
}
