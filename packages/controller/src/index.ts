export * from "./hacrmd.js";
export * from "./daemon.js";
export * from "./core/index.js";
