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
  let s: f64 = 0;
  for (let p = 0; p < count; p++) {
    const x = load<f64>(v + (<usize>p << 3));
    s += x * x;
  }
  const inv = 1 / Math.sqrt(s);
  for (let p = 0; p < count; p++) store<f64>(v + (<usize>p << 3), load<f64>(v + (<usize>p << 3)) * inv);
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
      store<f64>(x + (p << 3), flip(flip(aj, s0j) + flip(load<f64>(anchor + (<usize>(k - 1) << 3)), s0k), sjk) / 2);
    }
  }
  normalize(x, (n * (n - 1)) >> 1);
}

/**
 * x[p] = votes[p] / (the number of voting triplets of pair p: n − 2 for p < leading, else
 * rows), then normalised; x stays as it is when every vote is zero. The arithmetic and order
 * of ts/start.ts averageVotes, so the two give bitwise equal vectors from the same votes.
 */
export function averageVotes(x: usize, votes: usize, pairs: i32, leading: i32, n: i32, rows: i32): void {
  let s: f64 = 0;
  for (let p = 0; p < pairs; p++) {
    const vote = load<f64>(votes + (<usize>p << 3));
    s += vote * vote;
  }
  if (!(s > 0)) return;
  const all = <f64>(n - 2);
  const some = <f64>rows;
  for (let p = 0; p < pairs; p++) store<f64>(x + (<usize>p << 3), load<f64>(votes + (<usize>p << 3)) / (p < leading ? all : some));
  normalize(x, pairs);
}

