import { HacrmError } from "@hacrm/common";

/** A place in the input, 1-based, for error messages (`source:line:col`). */
export interface Pos {
  line: number;
  col: number;
}

/**
 * One word of a crm command. Quotes are removed (`name="a b"` reads as
 * `name=a b`); `eq` is the index of the first `=` that was not inside quotes,
 * so `fake="a=b"` splits as name `fake`, value `a=b`.
 */
export interface Token {
  text: string;
  pos: Pos;
  /** Some part of the word was quoted. */
  quoted: boolean;
  /** Index in `text` of the first unquoted `=`, or -1. */
  eq: number;
  /** Index in `text` of each unquoted `:` (for `score:`, `rsc:role`, `class:provider:type`). */
  colons: number[];
}

/** One command: the words of a logical line (continuations joined). */
export interface CommandLine {
  tokens: Token[];
  pos: Pos;
  /** The logical line as typed, for messages. */
  text: string;
}

/** Input limits (style habit 7). */
export const lexLimits = { lineCharsMax: 1_000_000, tokensPerCommandMax: 100_000 } as const;

export function syntaxError(source: string, pos: Pos, message: string, hint?: string): HacrmError {
  return new HacrmError({
    code: "CRM_SYNTAX",
    where: `${source}:${pos.line}:${pos.col}`,
    message,
    ...(hint !== undefined ? { hint } : {}),
  });
}

const BRACKETS = new Set(["(", ")", "[", "]", "{", "}"]);

/** Standalone unquoted bracket words are punctuation: `( a b )`. */
export function isPunct(t: Token | undefined, ch?: string): boolean {
  if (!t || t.quoted || !BRACKETS.has(t.text)) return false;
  return ch === undefined || t.text === ch;
}

interface Cursor {
  text: string;
  i: number;
  line: number;
  col: number;
  /** Where the command being read starts (for lineCharsMax). */
  commandStart?: { i: number; pos: Pos };
}

/** A command longer than lineCharsMax is refused where it starts, before its words are built. */
function checkLength(c: Cursor, source: string): void {
  const s = c.commandStart;
  if (s && c.i - s.i > lexLimits.lineCharsMax)
    throw syntaxError(
      source,
      s.pos,
      `command longer than ${lexLimits.lineCharsMax} characters`,
      "split it, or load large values from a file",
    );
}

function advance(c: Cursor): string {
  const ch = c.text[c.i] ?? "";
  c.i++;
  if (ch === "\n") {
    c.line++;
    c.col = 1;
  } else c.col++;
  return ch;
}

/** A backslash followed only by blanks up to the end of the line continues the command. */
function continuationAt(c: Cursor): boolean {
  if (c.text[c.i] !== "\\") return false;
  let j = c.i + 1;
  while (c.text[j] === " " || c.text[j] === "\t" || c.text[j] === "\r") j++;
  return j >= c.text.length || c.text[j] === "\n";
}

function skipContinuation(c: Cursor): void {
  while (c.i < c.text.length && c.text[c.i] !== "\n") advance(c);
  if (c.i < c.text.length) advance(c);
}

/**
 * Split a crm script into commands. Lines starting with `#` are comments,
 * blank lines are skipped, a trailing `\` joins the next line. A `#` after a
 * command is an ordinary word (which the parser then refuses, as crmsh does).
 */
export function splitCommands(text: string, source: string): CommandLine[] {
  const c: Cursor = { text, i: 0, line: 1, col: 1 };
  const out: CommandLine[] = [];
  while (c.i < text.length) {
    skipBlanks(c);
    if (c.i >= text.length) break;
    const ch = text[c.i];
    if (ch === "\n") {
      advance(c);
      continue;
    }
    if (ch === "#") {
      while (c.i < text.length && text[c.i] !== "\n") advance(c);
      continue;
    }
    out.push(readCommand(c, source));
  }
  return out;
}

function skipBlanks(c: Cursor): void {
  while (c.i < c.text.length) {
    const ch = c.text[c.i];
    if (ch === " " || ch === "\t" || ch === "\r") advance(c);
    else if (continuationAt(c)) skipContinuation(c);
    else break;
  }
}

function readCommand(c: Cursor, source: string): CommandLine {
  const pos = { line: c.line, col: c.col };
  const start = c.i;
  c.commandStart = { i: start, pos };
  const tokens: Token[] = [];
  for (;;) {
    skipBlanks(c);
    if (c.i >= c.text.length || c.text[c.i] === "\n") break;
    tokens.push(readWord(c, source));
    checkLength(c, source);
    if (tokens.length > lexLimits.tokensPerCommandMax) {
      throw syntaxError(source, pos, `command has more than ${lexLimits.tokensPerCommandMax} words`);
    }
  }
  const raw = c.text.slice(start, c.i);
  if (c.i < c.text.length) advance(c);
  return { tokens, pos, text: raw.replace(/\\[ \t\r]*\n[ \t]*/g, " ").trim() };
}

function readWord(c: Cursor, source: string): Token {
  const pos = { line: c.line, col: c.col };
  let text = "";
  let quoted = false;
  let eq = -1;
  const colons: number[] = [];
  while (c.i < c.text.length) {
    const ch = c.text[c.i] ?? "";
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n" || continuationAt(c)) break;
    if ((c.i & 0xfff) === 0) checkLength(c, source);
    if (ch === '"' || ch === "'") {
      quoted = true;
      text += readQuoted(c, source);
      continue;
    }
    advance(c);
    if (ch === "\\" && c.i < c.text.length && c.text[c.i] !== "\n") {
      text += advance(c);
      continue;
    }
    if (ch === "=" && eq < 0) eq = text.length;
    if (ch === ":") colons.push(text.length);
    text += ch;
  }
  return { text, pos, quoted, eq, colons };
}

function readQuoted(c: Cursor, source: string): string {
  const pos = { line: c.line, col: c.col };
  const q = advance(c);
  let s = "";
  for (;;) {
    if (c.i >= c.text.length)
      throw syntaxError(
        source,
        pos,
        `unterminated ${q === '"' ? "double" : "single"} quote`,
        `close it with ${q}`,
      );
    const ch = advance(c);
    if (ch === q) return s;
    if ((c.i & 0xfff) === 0) checkLength(c, source);
    if (ch === "\\" && q === '"' && c.i < c.text.length) {
      const next = c.text[c.i];
      if (next === '"' || next === "\\") {
        s += advance(c);
        continue;
      }
      if (next === "\n") {
        advance(c);
        continue;
      }
    }
    s += ch;
  }
}
