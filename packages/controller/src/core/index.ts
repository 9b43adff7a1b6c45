export * from "./types.js";
export * from "./election.js";
export * from "./join.js";
export * from "./write.js";
export * from "./controller.js";
export * from "./operation-history.js";
export * from "./transition-status.js";
export * from "./transition.js";
