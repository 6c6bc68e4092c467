/**
 * The four J-configurations of a triplet, as design §1 states them, computed the obvious way.
 * This is the oracle every fast path is compared with: keep it plain.
 *
 * A = Rij, B = Rjk, C = Rik (row-major 3×3 at the given offsets):
 *   c0 = ‖A B − C‖², c1 = ‖JAJ B − C‖², c2 = ‖A JBJ − C‖², c3 = ‖A B − JCJ‖², J = diag(1, 1, −1).
 */

/** Node signs (ij, jk, ik) of each configuration. */
export const NODE_SIGNS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 1],
  [-1, 1, 1],
  [1, -1, 1],
  [1, 1, -1],
];

/**
 * For J-weighting: the two configurations whose sign on an edge differs from `best`'s
 * (ALTS of design §1), per best configuration and edge (ij-jk, ik-jk, ij-ik).
 */
export const ALTERNATIVES: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [[1, 2], [2, 3], [1, 3]],
  [[0, 3], [2, 3], [0, 2]],
  [[0, 3], [0, 1], [1, 3]],
  [[1, 2], [0, 1], [0, 2]],
];

/** J-conjugation sign of entry e (row-major) of a 3×3 matrix. */
const J_SIGN = [1, 1, -1, 1, 1, -1, -1, -1, 1];

type Matrices = ArrayLike<number>;

/** ‖X Y − Z‖² where each of X, Y, Z may be J-conjugated first. */
function residual(
  x: Matrices, xo: number, xj: boolean,
  y: Matrices, yo: number, yj: boolean,
  z: Matrices, zo: number, zj: boolean,
): number {
  let sum = 0;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let p = 0;
      for (let m = 0; m < 3; m++) {
        const xv = x[xo + 3 * r + m] * (xj ? J_SIGN[3 * r + m] : 1);
        const yv = y[yo + 3 * m + c] * (yj ? J_SIGN[3 * m + c] : 1);
        p += xv * yv;
      }
      const d = p - z[zo + 3 * r + c] * (zj ? J_SIGN[3 * r + c] : 1);
      sum += d * d;
    }
  }
  return sum;
}

/** The residuals c0..c3 of triplet (A at a, B at b, C at c) written into `out`. */
export function tripletResiduals(rijs: Matrices, a: number, b: number, c: number, out: Float64Array): void {
  out[0] = residual(rijs, a, false, rijs, b, false, rijs, c, false);
  out[1] = residual(rijs, a, true, rijs, b, false, rijs, c, false);
  out[2] = residual(rijs, a, false, rijs, b, true, rijs, c, false);
  out[3] = residual(rijs, a, false, rijs, b, false, rijs, c, true);
}

/** Index of the smallest residual; on an exact tie the lowest index wins. */
export function bestConfiguration(c: Float64Array): number {
  let best = 0;
  for (let m = 1; m < 4; m++) if (c[m] < c[best]) best = m;
  return best;
}

/**
 * Edge weights (ij-jk, ik-jk, ij-ik) of J-weighting: 1 − sqrt(c[best] / alt), alt being the
 * smaller residual of the two configurations that disagree with best on that edge.
 */
export function edgeWeights(c: Float64Array, best: number, out: Float64Array): void {
  for (let e = 0; e < 3; e++) {
    const [p, q] = ALTERNATIVES[best][e];
    out[e] = 1 - Math.sqrt(c[best] / Math.min(c[p], c[q]));
  }
}
