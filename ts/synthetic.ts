/**
 * Synthetic relative-rotation estimates with known handedness, for tests, benchmarks and the
 * CLI's `generate` path. Browser safe: typed arrays and Math only.
 *
 * Model, per pair i < j in the order of design §2:
 *   1. Rij = Ri Rjᵀ with Ri uniform on SO(3);
 *   2. noise: Rij ← Rij Q, Q a rotation about a uniformly random axis by an angle drawn from
 *      N(0, noiseDeg) degrees (Rodrigues' formula);
 *   3. outliers: with probability `outliers`, Rij is replaced by an independent uniform
 *      rotation (inlier = 0);
 *   4. handedness: with probability `jFraction`, Rij ← J Rij J with J = diag(1, 1, −1)
 *      (truth = −1), applied to inliers and outliers alike.
 *
 * Each ingredient draws from its own stream of the seed (rotations, handedness, outliers,
 * noise), so for one seed the rotations and the handedness pattern do not depend on
 * noiseDeg or outliers, and the outlier pattern does not depend on noiseDeg or jFraction.
 * Same options → bit-identical output (the noise uses Math.sin/cos/log, see ts/random.ts on
 * cross-engine reproducibility).
 */
import { JsyncInputError } from './errors.js';
import { pairCount } from './pairs.js';
import { Random, randomRotation } from './random.js';

export interface SyntheticOptions {
  /** Number of images, an integer ≥ 3. */
  n: number;
  /** Safe integer seed; default 0. */
  seed?: number;
  /** Probability that an estimate is J-conjugated, in [0, 1]; default 0.5. */
  jFraction?: number;
  /** Standard deviation of the noise rotation angle, in degrees, finite ≥ 0; default 0. */
  noiseDeg?: number;
  /** Probability that an estimate is replaced by a random rotation, in [0, 1); default 0. */
  outliers?: number;
  /** Element type of `rijs`; default 'float64'. float32 is computed in float64 and rounded. */
  dtype?: 'float64' | 'float32';
}

export interface SyntheticData {
  n: number;
  /** P = n(n−1)/2. */
  pairs: number;
  /** P × 3 × 3, row-major blocks, pair order of design §2. */
  rijs: Float64Array | Float32Array;
  /** P entries: −1 where the estimate was J-conjugated, else +1. */
  truth: Int8Array;
  /** P entries: 1 for an inlier, 0 where the estimate was replaced by a random rotation. */
  inlier: Uint8Array;
  /** n × 3 × 3, Ri row-major. */
  rotations: Float64Array;
}

const KNOWN_OPTIONS = new Set(['n', 'seed', 'jFraction', 'noiseDeg', 'outliers', 'dtype']);

/** Stream numbers of the seed (ts/random.ts), one per ingredient. */
const STREAM_ROTATIONS = 0;
const STREAM_HANDEDNESS = 1;
const STREAM_OUTLIERS = 2;
const STREAM_NOISE = 3;

interface ResolvedOptions {
  n: number;
  seed: number;
  jFraction: number;
  noiseDeg: number;
  outliers: number;
  dtype: 'float64' | 'float32';
}

function resolveOptions(opts: SyntheticOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new JsyncInputError('generateSynthetic needs an options object with at least n');
  }
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new JsyncInputError(
        `unknown synthetic option '${key}' (known: ${[...KNOWN_OPTIONS].join(', ')})`,
      );
    }
  }
  const { n } = opts;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 3) {
    throw new JsyncInputError(`n must be an integer >= 3, got ${String(n)}`);
  }
  const seed = opts.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new JsyncInputError(`seed must be a safe integer, got ${String(seed)}`);
  }
  const jFraction = opts.jFraction ?? 0.5;
  if (typeof jFraction !== 'number' || !(jFraction >= 0 && jFraction <= 1)) {
    throw new JsyncInputError(`jFraction must be a number in [0, 1], got ${String(jFraction)}`);
  }
  const noiseDeg = opts.noiseDeg ?? 0;
  if (typeof noiseDeg !== 'number' || !Number.isFinite(noiseDeg) || noiseDeg < 0) {
    throw new JsyncInputError(`noiseDeg must be a finite number >= 0, got ${String(noiseDeg)}`);
  }
  const outliers = opts.outliers ?? 0;
  if (typeof outliers !== 'number' || !(outliers >= 0 && outliers < 1)) {
    throw new JsyncInputError(`outliers must be a number in [0, 1), got ${String(outliers)}`);
  }
  const dtype = opts.dtype ?? 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') {
    throw new JsyncInputError(`dtype must be 'float64' or 'float32', got ${String(dtype)}`);
  }
  const P = pairCount(n);
  // Typed arrays in current engines hold at most 2^32 − 1 elements (often less).
  if (9 * P > 0xffffffff) {
    throw new JsyncInputError(`n = ${n} gives ${P} pairs, too many for one typed array`);
  }
  return { n, seed, jFraction, noiseDeg, outliers, dtype };
}

/** Generate synthetic J-ambiguous relative rotations; see the module comment for the model. */
export function generateSynthetic(opts: SyntheticOptions): SyntheticData {
  const { n, seed, jFraction, noiseDeg, outliers, dtype } = resolveOptions(opts);
  const P = pairCount(n);

  const rotRng = new Random(seed, STREAM_ROTATIONS);
  const jRng = new Random(seed, STREAM_HANDEDNESS);
  const outRng = new Random(seed, STREAM_OUTLIERS);
  const noiseRng = new Random(seed, STREAM_NOISE);

  const rotations = new Float64Array(9 * n);
  for (let i = 0; i < n; i++) rotations.set(randomRotation(rotRng), 9 * i);

  const out = new Float64Array(9 * P);
  const truth = new Int8Array(P);
  const inlier = new Uint8Array(P);
  const sigmaRad = (noiseDeg * Math.PI) / 180;
  const rij = new Float64Array(9);
  const q = new Float64Array(9);

  let p = 0;
  for (let i = 0; i < n; i++) {
    const oi = 9 * i;
    for (let j = i + 1; j < n; j++, p++) {
      const oj = 9 * j;
      // Rij = Ri Rjᵀ: (Ri Rjᵀ)[r][c] = Σ_k Ri[r][k] Rj[c][k]
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          rij[3 * r + c] =
            rotations[oi + 3 * r] * rotations[oj + 3 * c] +
            rotations[oi + 3 * r + 1] * rotations[oj + 3 * c + 1] +
            rotations[oi + 3 * r + 2] * rotations[oj + 3 * c + 2];
        }
      }
      if (sigmaRad > 0) {
        // Always draw (axis, angle) so that the noise stream stays aligned with the pairs.
        axisAngleRotation(noiseRng, sigmaRad, q);
        rightMultiply(rij, q);
      }
      const isOutlier = outliers > 0 && outRng.next() < outliers;
      if (isOutlier) {
        rij.set(randomRotation(outRng));
        inlier[p] = 0;
      } else {
        inlier[p] = 1;
      }
      const conj = jRng.next() < jFraction;
      if (conj) {
        rij[2] = -rij[2];
        rij[5] = -rij[5];
        rij[6] = -rij[6];
        rij[7] = -rij[7];
      }
      truth[p] = conj ? -1 : 1;
      out.set(rij, 9 * p);
    }
  }

  const rijs = dtype === 'float32' ? new Float32Array(out) : out;
  return { n, pairs: P, rijs, truth, inlier, rotations };
}

/**
 * Rotation about a uniformly random axis (normalised Gaussian vector) by an angle drawn from
 * N(0, sigmaRad), via Rodrigues: Q = I + sinθ K + (1 − cosθ) K², K the cross-product matrix.
 */
function axisAngleRotation(rng: Random, sigmaRad: number, q: Float64Array): void {
  let x: number;
  let y: number;
  let z: number;
  let norm2: number;
  do {
    x = rng.normal();
    y = rng.normal();
    z = rng.normal();
    norm2 = x * x + y * y + z * z;
  } while (!(norm2 > 1e-300));
  const inv = 1 / Math.sqrt(norm2);
  x *= inv;
  y *= inv;
  z *= inv;
  const theta = sigmaRad * rng.normal();
  const s = Math.sin(theta);
  const c1 = 1 - Math.cos(theta);
  // K² = a aᵀ − I for a unit axis a.
  q[0] = 1 + c1 * (x * x - 1);
  q[1] = -s * z + c1 * x * y;
  q[2] = s * y + c1 * x * z;
  q[3] = s * z + c1 * x * y;
  q[4] = 1 + c1 * (y * y - 1);
  q[5] = -s * x + c1 * y * z;
  q[6] = -s * y + c1 * x * z;
  q[7] = s * x + c1 * y * z;
  q[8] = 1 + c1 * (z * z - 1);
}

/** a ← a q (3×3, row-major). */
function rightMultiply(a: Float64Array, q: Float64Array): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[3 * r];
    const a1 = a[3 * r + 1];
    const a2 = a[3 * r + 2];
    a[3 * r] = a0 * q[0] + a1 * q[3] + a2 * q[6];
    a[3 * r + 1] = a0 * q[1] + a1 * q[4] + a2 * q[7];
    a[3 * r + 2] = a0 * q[2] + a1 * q[5] + a2 * q[8];
  }
}
