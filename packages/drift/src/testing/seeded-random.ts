/**
 * Small, fast seeded generator for statistical tests (mulberry32 with Box-Muller normals). Test
 * support only; not exported from the package.
 */
export class SeededRandom {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  normal(mean = 0, sd = 1): number {
    let z = this.spareNormal;
    this.spareNormal = undefined;
    if (z === undefined) {
      const r = Math.sqrt(-2 * Math.log(this.uniform()));
      const theta = 2 * Math.PI * this.uniform();
      z = r * Math.cos(theta);
      this.spareNormal = r * Math.sin(theta);
    }
    return mean + sd * z;
  }

  exponential(rate = 1): number {
    return -Math.log(this.uniform()) / rate;
  }

  integer(below: number): number {
    return Math.floor(this.uniform() * below);
  }
}
