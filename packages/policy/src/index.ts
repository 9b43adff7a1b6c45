export { INFINITY, addScores, scoreOr, formatScore, clampScore } from "./scores.js";
export { schedule, unpackCib, type ScheduleResult, type ScoreReport } from "./engine.js";
export type { SummaryAction, PlacementEntry } from "./summary.js";
export {
  buildGraph,
  assertAcyclic,
  graphToDot,
  topoOrder,
  type TransitionGraph,
  type GraphAction,
} from "./graph.js";
export { checkTransition, assertTransition } from "./invariants.js";
export { formatSimulation, formatScores } from "./format.js";
export type { WorkingSet, Rsc, PNode, Role } from "./model.js";
export { paramsDigest } from "./digest.js";
export {
  applyTransition,
  injectNode,
  injectOp,
  injectQuorum,
  parseOpSpec,
  statusPlacement,
  type OpSpec,
} from "./inject.js";
