/** "Did you mean" hints: shared by the language, the REPL and the `hacrm` entry. */

/** Levenshtein distance between two words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Closest word within edit distance 2 (case-insensitive), undefined when none is that close. */
export function closest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** `did you mean 'X'?` when a choice is close to `word` (and not `word` itself). */
export function didYouMean(word: string, choices: readonly string[]): string | undefined {
  const c = closest(word, choices);
  return c !== undefined && c !== word ? `did you mean '${c}'?` : undefined;
}
