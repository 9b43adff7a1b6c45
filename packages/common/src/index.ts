export * from "./errors.js";
export * from "./clock.js";
// The logger (pino) is `@hacrm/common/logger`, so pure cores never load it.
export type { Logger, LoggerOptions } from "./logger.js";
export * from "./corosync-conf.js";
