// The data-built start vector of the power method (ts/start.ts `anchorStart`, which documents
// the method), from the packed codes of row i = 0. The same arithmetic in the same order as
// the TypeScript version, so the two give bitwise equal vectors (tests/start.test.ts); here it
// costs a few milliseconds instead of ~80 ms of cold JavaScript at n = 1000.
import { codeRowOffset } from './layout';

/** Power steps on the anchor's relative-sign matrix (ts/start.ts ANCHOR_STEPS). */
const ANCHOR_STEPS = 4;

/**
 * Where the code byte of triplet (0, j, k) is, minus k >> 2, in the packed codes of row i = 0
 * at `codes` (layout.ts): row (0, j) starts with the block of k = 4⌊(j+1)/4⌋ (wrapping).
 */
// @ts-ignore: decorator
@inline
function rowOf(codes: usize, n: i32, j: i32): usize {
  return codes + codeRowOffset(n, 0, j) - <usize>((j + 1) >> 2);
}

/** Code of triplet (0, j, k), with `row` = rowOf(codes, n, j). */
// @ts-ignore: decorator
@inline
function codeIn(row: usize, k: i32): u32 {
  const byte = <u32>load<u8>(row + <usize>(k >> 2));
  const lane = <u32>(k & 3);
  return ((byte >> lane) & 1) | (((byte >> (4 + lane)) & 1) << 1);
}

/** x with its sign bit xor `sign` (0 or 1 << 63): x or −x. */
// @ts-ignore: decorator
@inline
function flip(x: f64, sign: u64): f64 {
  return reinterpret<f64>(reinterpret<u64>(x) ^ sign);
}

/** v /= ‖v‖ (sum of squares in index order, as ts/start.ts normalize). */
function normalize(v: usize, count: i32): void {
  scale(v, count, 1 / Math.sqrt(sumOfSquares(v, count)));
}

/** v *= factor. */
function scale(v: usize, count: i32, factor: f64): void {
  for (let p = 0; p < count; p++) store<f64>(v + (<usize>p << 3), load<f64>(v + (<usize>p << 3)) * factor);
}

/**
 * Writes the start vector (n(n−1)/2 float64) at `x`, from the packed codes of row 0 at
 * `codes`; `scratch` holds 3(n − 1) float64.
 */
export function anchorStart(codes: usize, n: i32, scratch: usize, x: usize): void {
  const m = n - 1; // anchor pairs (0, 1) … (0, n−1), indexed j − 1
  let u = scratch;
  let next = scratch + (<usize>m << 3);
  const anchor = scratch + (<usize>(2 * m) << 3);
  store<f64>(u, 1);
  const row1 = rowOf(codes, n, 1);
  for (let k = 1; k < m; k++) store<f64>(u + (<usize>k << 3), codeIn(row1, k + 1) & 1 ? -1 : 1);
  for (let step = 0; step < ANCHOR_STEPS; step++) {
    memory.fill(next, 0, <usize>m << 3);
    for (let a = 0; a < m - 1; a++) {
      const ua = load<f64>(u + (<usize>a << 3));
      const row = rowOf(codes, n, a + 1);
      let sum: f64 = 0;
      for (let b = a + 1; b < m; b++) {
        // r = −1 for codes 1 and 3: r·x is x with its sign bit flipped (exact, like ts/start.ts's
        // multiplication by ±1, and without a branch that real codes would mispredict).
        const r = <u64>(codeIn(row, b + 1) & 1) << 63;
        sum += flip(load<f64>(u + (<usize>b << 3)), r);
        store<f64>(next + (<usize>b << 3), load<f64>(next + (<usize>b << 3)) + flip(ua, r));
      }
      store<f64>(next + (<usize>a << 3), load<f64>(next + (<usize>a << 3)) + sum);
    }
    let allZero = true;
    for (let a = 0; a < m; a++) if (load<f64>(next + (<usize>a << 3)) != 0) allZero = false;
    if (allZero) break; // degenerate votes: keep the propagated signs
    normalize(next, m);
    const t = u;
    u = next;
    next = t;
  }
  for (let a = 0; a < m; a++) store<f64>(anchor + (<usize>a << 3), load<f64>(u + (<usize>a << 3)) < 0 ? -1 : 1);

  for (let j = 1; j < n; j++) store<f64>(x + (<usize>(j - 1) << 3), load<f64>(anchor + (<usize>(j - 1) << 3)));
  // Pairs (j, k), j ≥ 1, follow the anchor pairs in pair order.
  let p = <usize>(n - 1);
  for (let j = 1; j < n - 1; j++) {
    const aj = load<f64>(anchor + (<usize>(j - 1) << 3));
    const row = rowOf(codes, n, j);
    for (let k = j + 1; k < n; k++, p++) {
      // Node signs (0j, jk, 0k) of the configuration: code c negates entry c − 1.
      const code = codeIn(row, k);
      const s0j = <u64>(code == 1) << 63;
      const sjk = <u64>(code == 2) << 63;
      const s0k = <u64>(code == 3) << 63;
      store<f64>(x + (p << 3), flip(flip(aj, s0j) + flip(load<f64>(anchor + (<usize>(k - 1) << 3)), s0k), sjk) * 0.5); // = / 2, bit for bit
    }
  }
  normalize(x, (n * (n - 1)) >> 1);
}

/** ts/start.ts SOFT_SIGN_FRACTION. */
const SOFT_SIGN_FRACTION: f64 = 16;
const ONE = f64x2.splat(1);
const MINUS_ONE = f64x2.splat(-1);

/**
 * averageVotes without its checks: x[p] = votes[p] · 1/(n − 2 for p < leading, else rows),
 * then ts/start.ts removeNodePotentials (subtracts from every |x[p]| of pair p = (i, j) the
 * node potentials a_i + a_j of the least-squares fit |x| ≈ μ + a_i + a_j, Σ a = 0, keeping its
 * sign, proportionally less below μ/16); returns Σ x[p]² of the result. The same arithmetic
 * in the same order as the TypeScript steps, in two passes over x instead of five (the
 * averaging rides on the sums of the first, the sum of squares on the second); `scratch`
 * holds n float64.
 */
function averageLessNodePotentials(x: usize, votes: usize, leading: i32, n: i32, rows: i32, scratch: usize): f64 {
  const all = 1 / <f64>(n - 2);
  const some = 1 / <f64>rows;
  memory.fill(scratch, 0, <usize>n << 3);
  let total: f64 = 0;
  let p: usize = 0;
  for (let i = 0; i < n - 1; i++) {
    let rowSum = load<f64>(scratch + (<usize>i << 3));
    for (let j = i + 1; j < n; j++, p++) {
      const value = load<f64>(votes + (p << 3)) * (<i32>p < leading ? all : some);
      store<f64>(x + (p << 3), value);
      const z = Math.abs(value);
      rowSum += z;
      store<f64>(scratch + (<usize>j << 3), load<f64>(scratch + (<usize>j << 3)) + z);
      total += z;
    }
    store<f64>(scratch + (<usize>i << 3), rowSum);
  }
  const mean = total / <f64>p;
  for (let i = 0; i < n; i++) {
    const at = scratch + (<usize>i << 3);
    store<f64>(at, (load<f64>(at) - <f64>(n - 1) * mean) / <f64>(n - 2));
  }
  const inverseSoft = SOFT_SIGN_FRACTION / mean;
  let squares: f64 = 0;
  p = 0;
  for (let i = 0; i < n - 1; i++) {
    const ai = load<f64>(scratch + (<usize>i << 3));
    for (let j = i + 1; j < n; j++, p++) {
      const at = x + (p << 3);
      const value = load<f64>(at);
      // The sign, clamped to [−1, 1]: t ≥ 1 ? 1 : t ≤ −1 ? −1 : t, as ts/start.ts writes it,
      // in the branch-free minpd/maxpd of f64x2.pmin/pmax (branches on the random signs of
      // real data mispredict: 8.4 instead of 4.4 ms per call at n = 1000).
      const t = f64x2.splat(value * inverseSoft);
      const sign = f64x2.extract_lane(f64x2.pmax(f64x2.pmin(t, ONE), MINUS_ONE), 0);
      const result = value - sign * (ai + load<f64>(scratch + (<usize>j << 3)));
      store<f64>(at, result);
      squares += result * result;
    }
  }
  return squares;
}

/** Σ x[p]² in index order. */
function sumOfSquares(x: usize, count: i32): f64 {
  let s: f64 = 0;
  for (let p = 0; p < count; p++) {
    const value = load<f64>(x + (<usize>p << 3));
    s += value * value;
  }
  return s;
}

/**
 * x[p] = votes[p] · 1/(the number of voting triplets of pair p: n − 2 for p < leading, else
 * rows), less its node potentials (unless that leaves nothing), then normalised; x stays as
 * it is when every vote is zero. The arithmetic and order of ts/start.ts averageVotes, so the
 * two give bitwise equal vectors from the same votes. `scratch` holds n float64.
 */
export function averageVotes(x: usize, votes: usize, pairs: i32, leading: i32, n: i32, rows: i32, scratch: usize): void {
  if (!(sumOfSquares(votes, pairs) > 0)) return;
  const squares = averageLessNodePotentials(x, votes, leading, n, rows, scratch);
  if (squares > 0) {
    scale(x, pairs, 1 / Math.sqrt(squares));
    return;
  }
  const all = 1 / <f64>(n - 2);
  const some = 1 / <f64>rows;
  for (let p = 0; p < pairs; p++) store<f64>(x + (<usize>p << 3), load<f64>(votes + (<usize>p << 3)) * (p < leading ? all : some));
  normalize(x, pairs);
}
