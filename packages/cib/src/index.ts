// The pure entry of @hacrm/cib: no IO, no native modules, no logger. Schema
// validation (reads the JSON Schema, loads ajv) is `@hacrm/cib/validate`,
// reading and writing CIB files is `@hacrm/cib/file`, the SQLite store is
// `@hacrm/cib/store`.
export * from "./xml.js";
export type * from "./types.js";
export { configurationSections, dateSpecFields } from "./types.js";
export * from "./read.js";
export * from "./core/problems.js";
export { checkSemantics } from "./core/semantic.js";
export { checkWarnings, type WarningOptions } from "./core/warnings.js";
export * from "./vocabulary.js";
export { toJsonForm, type JsonForm, type JsonObject } from "./core/json-form.js";
export * from "./core/version.js";
export * from "./core/patch.js";
export * from "./write.js";
export { parseXmlReference } from "./xml-reference.js";
