#!/usr/bin/env node
// Run consecutive membership simulation seeds outside vitest, for long runs:
//   npx tsc -b && nice -n 10 node scripts/sim-seeds.mjs FIRST COUNT
// Prints every failing seed with its replay line and a one-line summary;
// exits 1 when any seed fails. Uses the built packages (dist).
import { runMembershipScenario } from "@hacrm/sim";

const first = Number(process.argv[2] ?? 1);
const count = Number(process.argv[3] ?? 1000);
if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1) {
  console.error("usage: node scripts/sim-seeds.mjs FIRST COUNT");
  process.exit(2);
}
const started = Date.now();
let failed = 0;
for (let seed = first; seed < first + count; seed++) {
  const r = runMembershipScenario(seed);
  if (r.violations.length > 0 || r.convergedAfterMs === null) {
    failed++;
    const s = r.shape;
    console.log(
      `seed ${seed} failed (${s.nodeCount} nodes, token ${s.tokenMs} ms, consensus ${s.consensusMs} ms, quorum ${s.quorumName}):\n` +
        r.violations.map((v) => `  ${v}\n`).join("") +
        `replay: SIM_SEED=${seed} npx vitest run test/membership-sim`,
    );
  }
  if ((seed - first + 1) % 10_000 === 0)
    console.log(
      `progress: ${seed - first + 1}/${count} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
}
console.log(
  `seeds ${first}-${first + count - 1}: ${count - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(failed > 0 ? 1 : 0);
