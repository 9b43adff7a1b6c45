export * from "./types.js";
export * from "./election.js";
export * from "./join.js";
export * from "./write.js";
export * from "./controller.js";
