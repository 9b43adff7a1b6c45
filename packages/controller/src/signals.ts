/**
 * What signals do to hacrmd (docs/security.md):
 *   SIGTERM, SIGINT  stop cleanly (membership worker, socket file removed)
 *   SIGUSR1          one log level more verbose (info -> debug -> trace)
 *   SIGUSR2          one log level less verbose (info -> warn -> error -> fatal)
 *   SIGHUP           ignored and logged: hacrmd does not reload its config
 * None of them opens a debugger (see no-debugger.ts).
 */
import type { Logger } from "@hacrm/common";
import { releaseSigusr1Placeholder } from "./no-debugger.js";

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof logLevels)[number];

/** The level one step more (+1) or less (-1) verbose than `level`, clamped at the ends. */
export function stepLogLevel(level: string, direction: 1 | -1): LogLevel {
  const i = logLevels.indexOf(level as LogLevel);
  const from = i < 0 ? logLevels.indexOf("info") : i;
  return logLevels[Math.min(logLevels.length - 1, Math.max(0, from + direction))] as LogLevel;
}

export interface SignalDeps {
  readonly log: Logger;
  /** Apply a new level everywhere the daemon logs (main thread and workers). */
  readonly setLogLevel: (level: LogLevel) => void;
  readonly stop: (signal: NodeJS.Signals) => void;
}

export function installSignalHandlers(deps: SignalDeps): void {
  const step = (signal: NodeJS.Signals, direction: 1 | -1) => () => {
    const from = deps.log.level;
    const to = stepLogLevel(from, direction);
    deps.setLogLevel(to);
    // Logged at warn so that the change shows at any level but fatal/error.
    deps.log.warn({ event: "log_level_changed", signal, from, to });
  };
  process.on("SIGUSR1", step("SIGUSR1", 1));
  process.on("SIGUSR2", step("SIGUSR2", -1));
  releaseSigusr1Placeholder();
  process.on("SIGHUP", () =>
    deps.log.warn({
      event: "signal_ignored",
      signal: "SIGHUP",
      hint: "hacrmd does not reload its config; restart it to apply a change",
    }),
  );
  process.once("SIGTERM", () => deps.stop("SIGTERM"));
  process.once("SIGINT", () => deps.stop("SIGINT"));
}
