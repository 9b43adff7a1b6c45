export * from "./core/types.js";
export * from "./core/quorum.js";
export * from "./core/views.js";
export * from "./core/membership.js";
export * as reliable from "./core/reliable.js";
export * from "./wire/codec.js";
export * from "./node.js";
export * from "./runtime/handle.js";
export type { MembershipStatus, PeerStatus, LinkStatus, WorkerInit } from "./runtime/worker.js";
