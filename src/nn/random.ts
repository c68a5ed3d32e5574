/**
 * A seeded pseudo-random stream (weights, dropout, data order), with state that checkpoints save.
 * A small seedable PRNG (mulberry32) so initialisation, dropout and data order are repeatable.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** The stream's state, to save. */
  getState(): number {
    return this.state;
  }
  /** Continues from a saved state. */
  setState(s: number): void {
    this.state = s >>> 0;
  }
}
