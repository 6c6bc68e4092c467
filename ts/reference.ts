/**
 * The reference backend: plain TypeScript that recomputes the four residuals of every triplet
 * in every product, exactly as design §1 states, J-weighting included. Slow (about 100 flops
 * per triplet, no caching) and obviously correct: it is the oracle of every fast path.
 */
import { estimatesArray, type Estimates, type FloatArray, type JsyncBackend, type JsyncProblem, type PrepareOptions } from './backend.js';
import { pairCount, pairIndex, tripletCount } from './pairs.js';
import { bestConfiguration, edgeWeights, NODE_SIGNS, tripletResiduals } from './triplet.js';
import { firstNonFinite, nonFiniteError } from './validate.js';

/** Calls visit(i, j, k, ij, jk, ik) for every triplet i < j < k (with i < rows) in lexicographic order. */
function forEachTriplet(
  n: number,
  visit: (i: number, j: number, k: number, ij: number, jk: number, ik: number) => void,
  rows = n - 2,
): void {
  for (let i = 0; i < Math.min(rows, n - 2); i++) {
    for (let j = i + 1; j < n - 1; j++) {
      const ij = pairIndex(n, i, j);
      for (let k = j + 1; k < n; k++) visit(i, j, k, ij, pairIndex(n, j, k), pairIndex(n, i, k));
    }
  }
}

/**
 * y = S·v with S rebuilt from the residuals of every triplet (with `rows`: only of the
 * triplets (i, j, k) with i < rows).
 */
export function referenceProduct(rijs: FloatArray, n: number, v: Float64Array, y: Float64Array, jWeighting: boolean, rows = n - 2): void {
  const c = new Float64Array(4);
  const w = new Float64Array(3);
  y.fill(0);
  forEachTriplet(n, (_i, _j, _k, ij, jk, ik) => {
    tripletResiduals(rijs, 9 * ij, 9 * jk, 9 * ik, c);
    const best = bestConfiguration(c);
    const [sij, sjk, sik] = NODE_SIGNS[best];
    // Edge signs (ij-jk, ik-jk, ij-ik), optionally weighted.
    let eIjJk = sij * sjk;
    let eIkJk = sik * sjk;
    let eIjIk = sij * sik;
    if (jWeighting) {
      edgeWeights(c, best, w);
      eIjJk *= w[0];
      eIkJk *= w[1];
      eIjIk *= w[2];
    }
    y[ij] += eIjJk * v[jk] + eIjIk * v[ik];
    y[jk] += eIjJk * v[ij] + eIkJk * v[ik];
    y[ik] += eIjIk * v[ij] + eIkJk * v[jk];
  }, rows);
}

/** One code (0–3) per triplet, lexicographic order. */
export function referenceCodes(rijs: FloatArray, n: number): Uint8Array {
  const codes = new Uint8Array(tripletCount(n));
  const c = new Float64Array(4);
  let t = 0;
  forEachTriplet(n, (_i, _j, _k, ij, jk, ik) => {
    tripletResiduals(rijs, 9 * ij, 9 * jk, 9 * ik, c);
    codes[t++] = bestConfiguration(c);
  });
  return codes;
}

/** Codes of the triplets (0, j, k) only. */
function referenceAnchorCodes(rijs: FloatArray, n: number): Uint8Array {
  const codes = new Uint8Array(((n - 1) * (n - 2)) / 2);
  const c = new Float64Array(4);
  let t = 0;
  for (let j = 1; j < n - 1; j++) {
    for (let k = j + 1; k < n; k++) {
      tripletResiduals(rijs, 9 * pairIndex(n, 0, j), 9 * pairIndex(n, j, k), 9 * pairIndex(n, 0, k), c);
      codes[t++] = bestConfiguration(c);
    }
  }
  return codes;
}

class ReferenceProblem implements JsyncProblem {
  readonly pairs: number;
  readonly mode = 'recompute' as const;
  readonly cached = false;
  readonly threads = 1;
  readonly relaxedSimd = false;
  readonly classifySeconds = 0;
  readonly memoryBytes = 0;
  constructor(private readonly rijs: FloatArray, readonly n: number, private readonly jWeighting: boolean) {
    this.pairs = pairCount(n);
  }
  async multiply(v: Float64Array, y: Float64Array): Promise<void> {
    referenceProduct(this.rijs, this.n, v, y, this.jWeighting);
  }
  async multiplyRows(v: Float64Array, y: Float64Array, rows: number): Promise<void> {
    referenceProduct(this.rijs, this.n, v, y, this.jWeighting, rows);
  }
  async anchorCodes(): Promise<Uint8Array> {
    return referenceAnchorCodes(this.rijs, this.n);
  }
  dispose(): void {}
}

export const referenceBackend: JsyncBackend = {
  name: 'reference',
  async prepare(estimates: Estimates, n: number, options: PrepareOptions): Promise<JsyncProblem> {
    const rijs = await estimatesArray(estimates);
    const bad = firstNonFinite(rijs);
    if (bad >= 0) throw nonFiniteError(rijs, bad);
    return new ReferenceProblem(rijs, n, options.jWeighting);
  },
  async classifyAll(rijs: FloatArray, n: number): Promise<Uint8Array> {
    return referenceCodes(rijs, n);
  },
};
