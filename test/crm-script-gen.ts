/**
 * A crm configure script of `n` lines for scaling tests and benchmarks:
 * primitives with a monitor and a meta attribute, a location on every third
 * and an optional order between neighbours on the next.
 */
export function crmScript(n: number): string {
  const lines = ["property stonith-enabled=false"];
  for (let i = 1; lines.length < n; i++) {
    lines.push(`primitive r${i} ocf:heartbeat:Dummy op monitor interval=10s meta target-role=Started`);
    if (i % 3 === 0 && lines.length < n) lines.push(`location l${i} r${i} 100: n1`);
    if (i % 3 === 1 && i > 1 && lines.length < n) lines.push(`order o${i} Optional: r${i - 1} r${i}`);
  }
  return `${lines.join("\n")}\n`;
}
