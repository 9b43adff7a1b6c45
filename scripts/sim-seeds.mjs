#!/usr/bin/env node
// Run consecutive simulation seeds outside vitest, for long runs:
//   npx tsc -b && nice -n 10 node scripts/sim-seeds.mjs [--loss] FIRST COUNT
// Without --loss: the membership scenario (test/membership-sim). With --loss:
// the no-false-loss property under message loss (test/membership-loss-sim).
// Prints every failing seed with its replay line and a one-line summary;
// exits 1 when any seed fails. Uses the built packages (dist).
import { runLossScenario, runMembershipScenario } from "@hacrm/sim";

const args = process.argv.slice(2);
const loss = args[0] === "--loss";
if (loss) args.shift();
const first = Number(args[0] ?? 1);
const count = Number(args[1] ?? 1000);
if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1) {
  console.error("usage: node scripts/sim-seeds.mjs [--loss] FIRST COUNT");
  process.exit(2);
}

/** One seed: null when it passes, else what to print. */
function runSeed(seed) {
  if (loss) {
    const r = runLossScenario(seed);
    if (r.violations.length === 0) return null;
    const s = r.shape;
    return (
      `seed ${seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, ${s.model} loss up to ${s.rate * 100}%):\n` +
      r.violations.map((v) => `  ${v}\n`).join("") +
      `replay: LOSS_SEED=${seed} npx vitest run test/membership-loss-sim`
    );
  }
  const r = runMembershipScenario(seed);
  if (r.violations.length === 0 && r.convergedAfterMs !== null) return null;
  const s = r.shape;
  return (
    `seed ${seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, consensus ${s.consensusMs} ms, quorum ${s.quorumName}):\n` +
    r.violations.map((v) => `  ${v}\n`).join("") +
    `replay: SIM_SEED=${seed} npx vitest run test/membership-sim`
  );
}

const started = Date.now();
let failed = 0;
for (let seed = first; seed < first + count; seed++) {
  const failure = runSeed(seed);
  if (failure !== null) {
    failed++;
    console.log(failure);
  }
  if ((seed - first + 1) % 10_000 === 0)
    console.log(
      `progress: ${seed - first + 1}/${count} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
}
console.log(
  `${loss ? "loss " : ""}seeds ${first}-${first + count - 1}: ${count - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(failed > 0 ? 1 : 0);
