// "Did you mean": the known word nearest to a typo, by edit distance (a swap of two neighbouring
// letters counts as one edit, as in "strdie" for "stride").

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate nearest to `word` if it is close enough to be a typo of it (at most a third of its letters, at least 1). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  return bestD <= Math.max(1, Math.floor(Math.max(word.length, 1) / 3)) ? best : undefined;
}

/** ", did you mean 'x'?" or "" */
export const didYouMean = (word: string, candidates: readonly string[]): string => {
  const n = nearest(word, candidates);
  return n ? `; did you mean '${n}'?` : '';
};
