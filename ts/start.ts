/**
 * Start vectors of the power method.
 *
 * 'random': a seeded Gaussian unit vector, as the original code. It can stop on a transient
 * (design §5): it has only ~1/√P weight on the leading eigenvector, first settles near the
 * second eigenspace, the residual dips below epsilon and the loop stops with about half the
 * signs wrong.
 *
 * 'data': signs propagated through the triplets of an anchor image (image 0). Triplet
 * (0, j, k) with node signs σ says x_0j σ_0j = x_jk σ_jk = x_0k σ_0k up to one global sign,
 * so the relative signs of the anchor's pairs (0, j) form a nearly rank-one matrix whose
 * leading eigenvector (a few O(n²) power steps) gives x_0j; every other pair (j, k) then
 * takes the sign both of its triplet's anchor pairs vote for. On consistent data this is
 * already the answer; on noisy data it starts the iteration close to it. Then each pair takes
 * the mean of the votes of its triplets with the first VOTING_IMAGES images (averageVotes):
 * pairs of those images get all n − 2 of theirs, every other pair VOTING_IMAGES instead of one.
 * The magnitudes then reflect how consistent each pair is, as the leading eigenvector's do: at
 * n = 1000 with 20% outliers the first step moves the iterate by 0.24 instead of 0.60, and
 * epsilon 1e-2 took one product fewer on 5 of 7 synthetic inputs (n = 300 and 1000, 0–40%
 * outliers; as many on the other 2), for the price of 3·VOTING_IMAGES/n of one product.
 * Last, the averages lose their node potentials (removeNodePotentials): the part of the
 * sampling error that all pairs of one image share, which the power method removes slowest.
 * Over 24 synthetic inputs (10–30% outliers, 3° and 8° noise, 4 seeds), epsilon 1e-2 then
 * took 113 products instead of 125 at n = 1000, 117 instead of 127 at n = 300, 121 instead of
 * 136 at n = 100 (0, 40% and 50% outliers: 130 instead of 140 at n = 1000), against the
 * averages of 32 images alone. With the removal, 32 voting images took 118 products at
 * n = 1000 and 118 at n = 300; 48 take 113 and 117, for half again as many votes (~5 ms).
 */
import type { JsyncProblem } from './backend.js';
import { pairsBeforeRow } from './pairs.js';
import { Random } from './random.js';

/** Unit vector with independent standard normal entries. */
export function randomStart(pairs: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const v = new Float64Array(pairs);
  for (let p = 0; p < pairs; p++) v[p] = rng.normal();
  return normalize(v);
}

/** Power steps on the anchor's relative-sign matrix; enough to clean up noisy votes. */
const ANCHOR_STEPS = 4;

/**
 * The data-built start from the codes of triplets (0, j, k), 1 ≤ j < k < n, in lexicographic
 * order (one code 0–3 per triplet).
 */
export function anchorStart(n: number, anchorCodes: Uint8Array): Float64Array {
  const m = n - 1; // anchor pairs (0, 1) … (0, n−1), indexed j − 1
  // The relative sign σ_0j σ_0k of triplet (0, j, k) is −1 for codes 1 and 3. Start from the
  // signs relative to pair (0, 1) (triplets (0, 1, k) come first), then a few power steps of
  // that symmetric sign matrix, read straight from the codes (no m × m matrix).
  let u = new Float64Array(m);
  u[0] = 1;
  for (let k = 1; k < m; k++) u[k] = anchorCodes[k - 1] & 1 ? -1 : 1;
  for (let step = 0; step < ANCHOR_STEPS; step++) {
    const next = new Float64Array(m);
    let t = 0;
    for (let a = 0; a < m - 1; a++) {
      const ua = u[a];
      let sum = 0;
      for (let b = a + 1; b < m; b++, t++) {
        const r = anchorCodes[t] & 1 ? -1 : 1;
        sum += r * u[b];
        next[b] += r * ua;
      }
      next[a] += sum;
    }
    if (next.every((x) => x === 0)) break; // degenerate votes: keep the propagated signs
    u = normalize(next);
  }
  const anchor = new Int8Array(m);
  for (let a = 0; a < m; a++) anchor[a] = u[a] < 0 ? -1 : 1;

  const pairs = (n * (n - 1)) / 2;
  const x = new Float64Array(pairs);
  for (let j = 1; j < n; j++) x[j - 1] = anchor[j - 1];
  // Pairs (j, k), j ≥ 1, follow the anchor pairs, in pair order; t walks the same triplets.
  let p = n - 1;
  let t = 0;
  for (let j = 1; j < n - 1; j++) {
    for (let k = j + 1; k < n; k++, p++, t++) {
      // Node signs (0j, jk, 0k) of the configuration (NODE_SIGNS): code c negates entry c − 1.
      const code = anchorCodes[t];
      const s0j = code === 1 ? -1 : 1;
      const sjk = code === 2 ? -1 : 1;
      const s0k = code === 3 ? -1 : 1;
      x[p] = (sjk * (s0j * anchor[j - 1] + s0k * anchor[k - 1])) / 2;
    }
  }
  return normalize(x);
}

/**
 * Images whose triplets vote for the start (see above); more votes, smaller gains: 64 took 2
 * products fewer than 48 in the 24 runs at n = 1000 (3 at n = 300), for a third more votes.
 */
export const VOTING_IMAGES = 48;

/** Rows i whose triplets (i, j, k) vote: min(VOTING_IMAGES, n − 2), every row for small n. */
export function votingRows(n: number): number {
  return Math.min(VOTING_IMAGES, n - 2);
}

/**
 * Below |x| = μ/SOFT_SIGN_FRACTION removeNodePotentials subtracts proportionally less: it stays
 * continuous in x, so that entries near zero (a tie of votes, which rounding may tip either
 * way) move by the rounding only. 16: as many products as a hard sign (n = 1000, 24 inputs).
 */
const SOFT_SIGN_FRACTION = 16;

/**
 * Subtracts from every |x[p]| of pair p = (i, j) the node potentials a_i + a_j of the least
 * squares fit |x| ≈ μ + a_i + a_j (Σ a = 0; on the complete graph a_i = (N_i − (n − 1)·μ)/(n − 2),
 * N_i the sum over the pairs of image i, μ the mean), keeping its sign (proportionally less
 * below μ/SOFT_SIGN_FRACTION). In place; `sums`: scratch of n float64.
 *
 * Why: every pair (j, k) of later images hears the same VOTING_IMAGES voters, so how reliable
 * the pairs (i, j) of those voters happen to be shifts all of image j's averages alike. Such
 * shifts, x_jk = s_jk·(a_j + a_k), span the (n − 1)-fold second eigenspace of S (eigenvalue
 * ≈ n − 4 against ≈ 2(n − 2) on clean data), the slowest to decay under the power method.
 */
export function removeNodePotentials(n: number, x: Float64Array, sums: Float64Array = new Float64Array(n)): void {
  sums.fill(0, 0, n);
  let total = 0;
  let p = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++, p++) {
      const z = Math.abs(x[p]);
      sums[i] += z;
      sums[j] += z;
      total += z;
    }
  }
  const mean = total / p;
  for (let i = 0; i < n; i++) sums[i] = (sums[i] - (n - 1) * mean) / (n - 2);
  const inverseSoft = SOFT_SIGN_FRACTION / mean;
  p = 0;
  for (let i = 0; i < n - 1; i++) {
    const ai = sums[i];
    for (let j = i + 1; j < n; j++, p++) {
      const value = x[p];
      const t = value * inverseSoft; // the sign, clamped to [−1, 1]
      const sign = t >= 1 ? 1 : t <= -1 ? -1 : t;
      x[p] = value - sign * (ai + sums[j]);
    }
  }
}

/** Σ x[p]² in index order. */
function sumOfSquares(x: Float64Array): number {
  let s = 0;
  for (let p = 0; p < x.length; p++) s += x[p] * x[p];
  return s;
}

/**
 * x[p] = votes[p] · (1 / the number of voting triplets of pair p), less its node potentials
 * (removeNodePotentials, unless that left nothing), then normalised, in place; votes = S′·x
 * from JsyncProblem.multiplyRows(x, votes, rows). Pair (j, k) lies in n − 2 of those triplets
 * when j < rows (all of its triplets), else in `rows`. If every vote is zero, x stays as it is.
 */
export function averageVotes(n: number, rows: number, x: Float64Array, votes: Float64Array): Float64Array {
  const leading = pairsBeforeRow(n, rows);
  if (!(sumOfSquares(votes) > 0)) return x;
  const all = 1 / (n - 2);
  const some = 1 / rows;
  const average = () => {
    for (let p = 0; p < x.length; p++) x[p] = votes[p] * (p < leading ? all : some);
  };
  average();
  removeNodePotentials(n, x);
  if (!(sumOfSquares(x) > 0)) average();
  return normalize(x);
}

/**
 * The data-built start of `problem` (see above): anchorStart from its anchor codes, then the
 * average of the votes of the first votingRows(n) rows. `votes`: scratch of P float64
 * (allocated if omitted). A backend's own dataStart() computes the same.
 */
export async function dataStart(problem: JsyncProblem, votes?: Float64Array): Promise<Float64Array> {
  const { n } = problem;
  const x = anchorStart(n, await problem.anchorCodes());
  const rows = votingRows(n);
  const scratch = votes ?? new Float64Array(x.length);
  await problem.multiplyRows(x, scratch, rows);
  return averageVotes(n, rows, x, scratch);
}

export function normalize<T extends Float64Array>(v: T): T {
  const inv = 1 / Math.sqrt(sumOfSquares(v));
  for (let p = 0; p < v.length; p++) v[p] *= inv;
  return v;
}
