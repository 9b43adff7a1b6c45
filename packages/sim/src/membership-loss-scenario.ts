/**
 * The no-false-loss property: with packet loss below a stated rate and no
 * crash, no member is ever declared lost. One seed = a cluster shape and a
 * loss model (sustained uniform loss, loss per receiving node as `iptables -m
 * statistic` on INPUT does, asymmetric loss per directed link, or bursts of
 * full loss on a lower base rate), applied once the cluster has formed; any
 * view change during the loss phase is a violation.
 */
import type { QuorumOptions } from "@hacrm/membership";
import { SimCluster } from "./cluster.js";
import type { Prng } from "./prng.js";

/** Loss each directed link may have (on average) with three or more nodes. */
export const lossPropertyRate = 0.2;
/** Two nodes have no third path to carry news of each other, so their stated rate is lower. */
export const lossPropertyRateTwoNodes = 0.1;
/** Longest burst of full loss on one link, in tokens (with two nodes, half of it). */
export const lossPropertyBurstTokens = 0.5;

export type LossModel = "uniform" | "inbound" | "asymmetric" | "bursts";

export interface LossShape {
  seed: number;
  nodeCount: number;
  tokenMs: number;
  consensusMs: number;
  cipher: "none" | "aes256";
  model: LossModel;
  /** The stated rate that applies to this shape. */
  rate: number;
  lossPhaseMs: number;
}

export interface LossResult {
  seed: number;
  shape: LossShape;
  violations: string[];
  /** What the loss models dropped during the loss phase, out of what was sent. */
  dropped: number;
  sent: number;
}

const plain: QuorumOptions = {
  expectedVotes: undefined,
  twoNode: false,
  waitForAll: false,
  lastManStanding: false,
  lastManStandingWindowMs: 10_000,
  autoTieBreaker: false,
};

export function lossShapeFromSeed(seed: number, prng: Prng): LossShape {
  const nodeCount = prng.pick([2, 3, 3, 3, 4, 5]);
  const tokenMs = prng.pick([200, 300, 500, 1000]);
  return {
    seed,
    nodeCount,
    tokenMs,
    consensusMs: Math.round(tokenMs * prng.pick([1.2, 1.5, 2])),
    cipher: prng.chance(0.1) ? "aes256" : "none",
    model: prng.pick<LossModel>(["uniform", "inbound", "asymmetric", "bursts"]),
    rate: nodeCount === 2 ? lossPropertyRateTwoNodes : lossPropertyRate,
    lossPhaseMs: tokenMs * prng.int(2, 4),
  };
}

/** Apply the shape's loss model; every directed link stays at or below the stated rate on average. */
function applyLoss(sim: SimCluster, shape: LossShape, prng: Prng): void {
  const ids = sim.ids();
  const r = shape.rate;
  switch (shape.model) {
    case "uniform":
      sim.net.conditions.lossRate = prng.float() * r;
      return;
    case "inbound":
      for (const id of ids) sim.net.setInboundLoss(id, prng.float() * r);
      return;
    case "asymmetric":
      for (const a of ids) for (const b of ids) if (a !== b) sim.net.setLinkLoss(a, b, prng.float() * r);
      return;
    case "bursts": {
      // Base loss r/2; bursts of full loss of at most maxMs, at least 4 x maxMs apart on
      // average, so a link's long-run loss stays below r.
      sim.net.conditions.lossRate = prng.float() * (r / 2);
      const maxMs = shape.tokenMs * lossPropertyBurstTokens * (shape.nodeCount === 2 ? 0.5 : 1);
      const meanGapMs = Math.max(4 * maxMs, shape.tokenMs * (1 + prng.float() * 4));
      sim.net.setBursts({ meanGapMs, minMs: maxMs / 4, maxMs, lossRate: 1 });
      return;
    }
  }
}

export function runLossScenario(seed: number): LossResult {
  const shapePrng = new SimCluster({
    seed,
    nodeCount: 1,
    tokenMs: 100,
    consensusMs: 100,
    quorum: plain,
    cipher: "none",
  }).prng;
  const shape = lossShapeFromSeed(seed, shapePrng);
  const sim = new SimCluster({
    seed: seed ^ 0x1055,
    nodeCount: shape.nodeCount,
    tokenMs: shape.tokenMs,
    consensusMs: shape.consensusMs,
    quorum: plain,
    cipher: shape.cipher,
  });
  const violations: string[] = [];
  const all = sim.ids();
  let lossFrom = Infinity;
  sim.observers.push((id, e) => {
    if (e.type !== "view" || sim.now() < lossFrom || violations.length >= 5) return;
    const lost = e.left.length > 0 ? `, lost ${e.left.join(",")}` : "";
    violations.push(
      `t=${sim.now().toFixed(1)}ms node ${id} installed view ${e.view.id} [${e.view.members.join(",")}]${lost}`,
    );
  });
  for (const id of all) sim.start(id);
  // Formation on a calm network: one view of everyone.
  sim.runUntil(shape.tokenMs / 2);
  const formed = all.every((id) => sim.nodes.get(id)?.node?.state.view?.members.length === all.length);
  if (!formed)
    violations.push(`the cluster did not form one view of all ${all.length} nodes on a calm network`);
  lossFrom = sim.now();
  const before = { sent: sim.net.sent, dropped: sim.net.dropped };
  applyLoss(sim, shape, sim.prng);
  sim.runUntil(lossFrom + shape.lossPhaseMs);
  return {
    seed,
    shape,
    violations,
    sent: sim.net.sent - before.sent,
    dropped: sim.net.dropped - before.dropped,
  };
}
