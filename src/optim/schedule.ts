/**
 * A learning-rate schedule: cosine with linear warm-up, or step.
 * Learning-rate schedules as pure functions of the step (so a resumed run gets the same values).
 */
export type Schedule =
  | { kind: 'cosine'; base: number; totalSteps: number; warmupSteps?: number; final?: number }
  | { kind: 'linear'; base: number; totalSteps: number; warmupSteps?: number }
  | { kind: 'step'; base: number; stepSize: number; gamma: number; warmupSteps?: number }
  | { kind: 'constant'; base: number };

/** The learning rate at a step of a schedule. */
export function learningRate(s: Schedule, step: number): number {
  const warm = s.kind === 'constant' ? 0 : s.warmupSteps ?? 0;
  if (step < warm) return (s.base * (step + 1)) / warm;
  switch (s.kind) {
    case 'constant': return s.base;
    case 'step': return s.base * Math.pow(s.gamma, Math.floor((step - warm) / s.stepSize));
    case 'cosine': {
      const span = Math.max(1, s.totalSteps - warm);
      const t = Math.min(1, (step - warm) / span);
      const final = s.final ?? 0;
      return final + (s.base - final) * 0.5 * (1 + Math.cos(Math.PI * t));
    }
    case 'linear': {
      // The last step still moves (lr of one step's share), so no step is wasted at lr 0.
      const span = Math.max(1, s.totalSteps - warm);
      return s.base * Math.max(0, (span - (step - warm)) / span);
    }
  }
}
