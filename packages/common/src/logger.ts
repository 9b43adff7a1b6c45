import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** Component name, e.g. "membership", "cib", "lrm". */
  component: string;
  /** pino level; defaults to HACRM_LOG_LEVEL or "info". */
  level?: string;
  /** Pretty, human-readable output instead of JSON lines. */
  pretty?: boolean;
}

/**
 * Events, not log strings (style.md habit 10): log with an `event` field and
 * typed data, e.g. `log.info({ event: "view_changed", viewId, members })`.
 */
export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  const level = opts.level ?? process.env["HACRM_LOG_LEVEL"] ?? "info";
  if (opts.pretty) {
    return pino({ level, base: { component: opts.component }, transport: { target: "pino-pretty" } });
  }
  if (destination) return pino({ level, base: { component: opts.component } }, destination);
  return pino({ level, base: { component: opts.component } });
}

/** A logger that drops everything, for tests and pure cores' callers. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
