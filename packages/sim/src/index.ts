export * from "./prng.js";
export * from "./scheduler.js";
export * from "./host.js";
export * from "./network.js";
export * from "./cluster.js";
export * from "./membership-scenario.js";
export * from "./controller-scenario.js";
export * from "./membership-loss-scenario.js";
