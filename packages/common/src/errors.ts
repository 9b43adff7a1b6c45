/**
 * Typed errors (style.md habit 9): every error a user can meet carries a
 * stable `code`, the data that explains it, and, where the operator can act,
 * a hint. Packages define their own code unions and throw `HacrmError`.
 */
export interface ErrorDetail {
  /** Stable machine-readable code, e.g. "CIB_PARSE", "STALE_CONFIG". */
  readonly code: string;
  /** Where: a file:line:col, an element and id, a node name. */
  readonly where?: string;
  /** What went wrong and why, one sentence. */
  readonly message: string;
  /** What the operator can do about it. */
  readonly hint?: string;
}

export class HacrmError extends Error {
  readonly code: string;
  readonly where: string | undefined;
  readonly hint: string | undefined;

  constructor(detail: ErrorDetail, options?: { cause?: unknown }) {
    super(detail.message, options);
    this.name = "HacrmError";
    this.code = detail.code;
    this.where = detail.where;
    this.hint = detail.hint;
  }

  /** One line for an operator: `where: message (hint)`. */
  toLine(): string {
    const where = this.where ? `${this.where}: ` : "";
    const hint = this.hint ? ` (${this.hint})` : "";
    return `${where}${this.message}${hint}`;
  }
}

export function isHacrmError(value: unknown): value is HacrmError {
  return value instanceof HacrmError;
}

/** Crash rather than continue with broken state (style.md habit 6). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new AssertionError(message);
  }
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = "AssertionError";
  }
}
