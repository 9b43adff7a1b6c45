export * from "./hacrmd.js";
export * from "./daemon.js";
