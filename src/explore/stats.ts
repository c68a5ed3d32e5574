// How well a cheap ranking predicts an expensive one: Spearman's rank correlation (ties share the
// average of their ranks).

/** 1-based ranks, ties averaged. */
export function ranks(v: number[]): number[] {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rho: Pearson correlation of the ranks. NaN with fewer than 2 pairs or a constant side. */
export function spearman(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new RangeError(`Expected two lists of the same length but received ${a.length} and ${b.length}`);
  if (a.length < 2) return NaN;
  const ra = ranks(a), rb = ranks(b), n = a.length, ma = ra.reduce((s, x) => s + x, 0) / n, mb = rb.reduce((s, x) => s + x, 0) / n;
  let cov = 0, va = 0, vb = 0;
  for (let i = 0; i < n; i++) { cov += (ra[i] - ma) * (rb[i] - mb); va += (ra[i] - ma) ** 2; vb += (rb[i] - mb) ** 2; }
  return va === 0 || vb === 0 ? NaN : cov / Math.sqrt(va * vb);
}
