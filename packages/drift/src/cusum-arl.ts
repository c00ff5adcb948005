import { DriftInputError } from './errors.ts';

/**
 * One-sided Bernoulli CUSUM (Reynolds & Stoumbos 1999) on an error stream (1 = wrong, 0 = right):
 * S_t = max(0, S_{t-1} + w(x_t)), with the log-likelihood-ratio weights of error rate p1 against
 * p0, and an alarm when S_t >= h. It is the quickest detector of a rise from p0 to p1 for a given
 * false-alarm rate, and the rate is stated as a run length: ARL₀ = the expected number of outcomes
 * before a false alarm while the error rate stays at p0.
 */
export interface BernoulliCusumDesign {
  /** In-control error rate (the promise being checked). */
  p0: number;
  /** The error rate the test is tuned to catch. */
  p1: number;
  /** Alarm threshold. */
  h: number;
  /** ln(p1/p0): added for every wrong outcome. */
  onError: number;
  /** ln((1-p1)/(1-p0)) (< 0): added for every right outcome. */
  onCorrect: number;
}

export function bernoulliCusumDesign(p0: number, p1: number, h: number): BernoulliCusumDesign {
  if (!(p0 > 0 && p0 < p1 && p1 < 1)) {
    throw new DriftInputError(`bernoulliCusum: need 0 < p0 < p1 < 1, got p0 = ${p0}, p1 = ${p1}`);
  }
  if (!(h > 0) || !Number.isFinite(h)) throw new DriftInputError(`bernoulliCusum: h must be > 0, got ${h}`);
  return { p0, p1, h, onError: Math.log(p1 / p0), onCorrect: Math.log((1 - p1) / (1 - p0)) };
}

/**
 * Average run length of the CUSUM from S = 0 when the true error rate is `pTrue`, by the Markov
 * chain of Brook & Evans (1972): S lives on a lattice of step δ = min(|weights|)/resolution, states
 * 0..H-1 with H = ceil(h/δ) (state H and above is the alarm). A move that lands between two
 * lattice points goes to both, in proportion to the distance (this keeps the mean step exact and
 * makes the error O(δ²), where plain rounding of the weights would tilt ln ARL by several %).
 * (I - Q)·L = 1 is solved for L(0) by banded elimination: the chain only moves up by one weight
 * or down by the other. Checked against simulation of the exact weights in cusum.test.ts.
 */
export function bernoulliCusumArl(
  design: Pick<BernoulliCusumDesign, 'onError' | 'onCorrect' | 'h'>,
  pTrue: number,
  options: { resolution?: number } = {},
): number {
  const resolution = options.resolution ?? 12;
  const delta = Math.min(design.onError, -design.onCorrect) / resolution;
  const up = design.onError / delta;
  const down = -design.onCorrect / delta;
  const H = Math.ceil(design.h / delta - 1e-9);
  const m = Math.ceil(down) + 1;
  const K = Math.ceil(up) + 1;
  const width = m + K + 1;
  // band[r * width + (c - r + m)] = A[r][c] = (I - Q)[r][c] for c in [r - m, r + K].
  const band = new Float64Array(H * width);
  const rhs = new Float64Array(H).fill(1);
  const move = (s: number, x: number, p: number) => {
    const at = Math.max(0, x);
    const lo = Math.floor(at);
    const f = at - lo;
    if (lo < H) band[s * width + (lo - s + m)]! -= p * (1 - f);
    if (f > 0 && lo + 1 < H) band[s * width + (lo + 1 - s + m)]! -= p * f;
  };
  for (let s = 0; s < H; s++) {
    band[s * width + m]! += 1;
    move(s, s + up, pTrue);
    move(s, s - down, 1 - pTrue);
  }
  // Forward elimination without pivoting: I - Q is a nonsingular M-matrix.
  for (let i = 0; i < H; i++) {
    const pivot = band[i * width + m]!;
    const last = Math.min(H - 1, i + m);
    const cEnd = Math.min(H - 1, i + K);
    for (let r = i + 1; r <= last; r++) {
      const at = r * width + (i - r + m);
      const factor = band[at]! / pivot;
      if (factor === 0) continue;
      band[at] = 0;
      for (let c = i + 1; c <= cEnd; c++)
        band[r * width + (c - r + m)]! -= factor * band[i * width + (c - i + m)]!;
      rhs[r]! -= factor * rhs[i]!;
    }
  }
  const solution = new Float64Array(H);
  for (let i = H - 1; i >= 0; i--) {
    let sum = rhs[i]!;
    const cEnd = Math.min(H - 1, i + K);
    for (let c = i + 1; c <= cEnd; c++) sum -= band[i * width + (c - i + m)]! * solution[c]!;
    solution[i] = sum / band[i * width + m]!;
  }
  return solution[0]!;
}

/** The threshold h whose in-control ARL (at p0) is `arl0`, by a safeguarded secant search on ln ARL(h). */
export function bernoulliCusumThreshold(p0: number, p1: number, arl0: number): number {
  if (!(arl0 > 1)) throw new DriftInputError(`bernoulliCusumThreshold: arl0 must be > 1, got ${arl0}`);
  const f = (h: number) => Math.log(bernoulliCusumArl(bernoulliCusumDesign(p0, p1, h), p0)) - Math.log(arl0);
  let lo = 1e-3;
  let flo = f(lo);
  let hi = 1;
  let fhi = f(hi);
  while (fhi < 0) {
    lo = hi;
    flo = fhi;
    hi *= 2;
    fhi = f(hi);
  }
  // Illinois variant of regula falsi: ln ARL is nearly linear in h, so a handful of steps suffice.
  let side = 0;
  for (let i = 0; i < 60 && hi - lo > 1e-5; i++) {
    const h = hi - (fhi * (hi - lo)) / (fhi - flo);
    const fh = f(h);
    if (fh > 0) {
      hi = h;
      fhi = fh;
      if (side === 1) flo /= 2;
      side = 1;
    } else {
      lo = h;
      flo = fh;
      if (side === -1) fhi /= 2;
      side = -1;
    }
  }
  return hi;
}

/**
 * The rise the level test is tuned to catch from baseline error b: Δ = max(0.03, b/2), capped so
 * that p1 stays below 1 (p1 = min(b + Δ, (1 + b)/2)).
 */
export function levelShiftTarget(b: number): number {
  return Math.min(b + Math.max(0.03, b / 2), (1 + b) / 2);
}
