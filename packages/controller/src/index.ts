export * from "./hacrmd.js";
