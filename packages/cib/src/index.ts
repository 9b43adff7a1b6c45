export * from "./xml.js";
export type * from "./types.js";
export { configurationSections } from "./types.js";
export * from "./read.js";
