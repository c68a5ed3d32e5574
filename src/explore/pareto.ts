// Pareto tools shared by NSGA-II, successive halving and `explore show`. Every objective is
// minimised (accuracy enters as its negative).

/** a dominates b: no worse in every objective and better in at least one. */
export function dominates(a: number[], b: number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

/** Fast non-dominated sort (Deb et al. 2002): fronts of indexes, best first. */
export function nondominatedFronts(points: number[][]): number[][] {
  const n = points.length, dominatedBy = new Array<number>(n).fill(0), dominating: number[][] = points.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) { dominating[i].push(j); dominatedBy[j]++; }
      else if (dominates(points[j], points[i])) { dominating[j].push(i); dominatedBy[i]++; }
    }
  }
  const fronts: number[][] = [];
  let current = points.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  while (current.length) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) for (const j of dominating[i]) if (--dominatedBy[j] === 0) next.push(j);
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/** Crowding distance of each member of one front (boundary points get Infinity). */
export function crowding(points: number[][], front: number[]): Map<number, number> {
  const d = new Map(front.map((i) => [i, 0]));
  if (front.length === 0) return d;
  for (let k = 0; k < points[front[0]].length; k++) {
    const sorted = [...front].sort((a, b) => points[a][k] - points[b][k] || a - b);
    const lo = points[sorted[0]][k], hi = points[sorted[sorted.length - 1]][k];
    d.set(sorted[0], Infinity);
    d.set(sorted[sorted.length - 1], Infinity);
    if (hi === lo) continue;
    for (let m = 1; m < sorted.length - 1; m++) {
      d.set(sorted[m], d.get(sorted[m])! + (points[sorted[m + 1]][k] - points[sorted[m - 1]][k]) / (hi - lo));
    }
  }
  return d;
}

/** Rank (front number) and crowding distance for every point: NSGA-II's order. */
export function rankAndCrowding(points: number[][]): { rank: number[]; crowd: number[] } {
  const rank = new Array<number>(points.length), crowd = new Array<number>(points.length);
  nondominatedFronts(points).forEach((front, r) => {
    const c = crowding(points, front);
    for (const i of front) { rank[i] = r; crowd[i] = c.get(i)!; }
  });
  return { rank, crowd };
}

/**
 * Indexes sorted best first: lower rank, then larger crowding distance, then the first objective
 * (the front's two ends both have infinite crowding: the more accurate goes first), then index.
 */
export function nsgaOrder(points: number[][]): number[] {
  const { rank, crowd } = rankAndCrowding(points);
  return points.map((_, i) => i).sort((a, b) => rank[a] - rank[b] || (crowd[b] === crowd[a] ? 0 : crowd[b] - crowd[a]) || points[a][0] - points[b][0] || a - b);
}
