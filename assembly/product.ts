// y += S·v from packed triplet codes, streaming over rows (i, j): for a fixed (i, j) the
// pairs (j, k) and (i, k) are contiguous in k, so the loop reads and writes two contiguous
// runs and reduces into one scalar for (i, j) (design §3.2). With the node signs σ of a
// triplet normalised so that σij = +1, its contribution is the rank-one update
// y[a] += σa·t, t = σ·v (design §3.3); the diagonal part Σ σa² v[a] = (n − 2)·v[a] that this
// adds is removed once at the end by `subtractDiagonal`.
import { codeBytesUpTo, I_BLOCK, rowBase } from './layout';
import { classifyRow } from './classify';

const SIGN_BIT: u64 = 0x8000000000000000;

/** Bytes of the sign table that `initSignTable` writes. */
export const SIGN_TABLE_BYTES: i32 = 16 * 32;

/**
 * For each nibble (two 2-bit codes, first triplet in the low bits) two v128 masks with the
 * sign bit set in the lanes whose σjk (first mask) or σik (second mask) is −1.
 * Normalised node signs: code 0 (+,+), 1 (−,−), 2 (−,+), 3 (+,−) for (σjk, σik).
 */
export function initSignTable(table: usize): void {
  for (let nib: u32 = 0; nib < 16; nib++) {
    for (let lane: u32 = 0; lane < 2; lane++) {
      const code = (nib >> (2 * lane)) & 3;
      const negIk = code & 1;
      const negJk = ((code >> 1) ^ code) & 1;
      store<u64>(table + nib * 32 + lane * 8, negJk ? SIGN_BIT : 0);
      store<u64>(table + nib * 32 + 16 + lane * 8, negIk ? SIGN_BIT : 0);
    }
  }
}

/** Two triplets (k, k+1) of a row: the sign masks are the table entry at `entry`. */
// @ts-ignore: decorator
@inline
function twoTriplets(entry: usize, vij: v128, vjk: usize, vik: usize, yjk: usize, yik: usize, acc: v128): v128 {
  const mjk = v128.load(entry);
  const mik = v128.load(entry, 16);
  const t = f64x2.add(f64x2.add(vij, v128.xor(v128.load(vjk), mjk)), v128.xor(v128.load(vik), mik));
  v128.store(yjk, f64x2.add(v128.load(yjk), v128.xor(t, mjk)));
  v128.store(yik, f64x2.add(v128.load(yik), v128.xor(t, mik)));
  return f64x2.add(acc, t);
}

/** Contribution of the triplets (i, j, k), k > j, whose packed codes start at `codes`. */
// @ts-ignore: decorator
@inline
export function productRow(codes: usize, table: usize, n: i32, i: i32, j: i32, v: usize, y: usize): void {
  const ij = <usize>(rowBase(n, i) + j - i - 1);
  const vijScalar = load<f64>(v + ij * 8);
  const vij = f64x2.splat(vijScalar);
  // Byte offsets of pair (j, j+1) and (i, j+1): the first k of the row.
  const jk0 = <usize>rowBase(n, j) * 8;
  const ik0 = <usize>(rowBase(n, i) + j - i) * 8;
  const m = n - 1 - j;
  let acc = f64x2.splat(0);
  let t = 0;
  for (; t + 4 <= m; t += 4) {
    const b = <usize>load<u8>(codes + (t >> 2));
    const o = <usize>t * 8;
    acc = twoTriplets(table + (b & 15) * 32, vij, v + jk0 + o, v + ik0 + o, y + jk0 + o, y + ik0 + o, acc);
    acc = twoTriplets(table + (b >> 4) * 32, vij, v + jk0 + o + 16, v + ik0 + o + 16, y + jk0 + o + 16, y + ik0 + o + 16, acc);
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; t < m; t++) {
    const code = (<u32>load<u8>(codes + (t >> 2)) >> (2 * (t & 3))) & 3;
    const sIk: f64 = code & 1 ? -1 : 1;
    const sJk: f64 = ((code >> 1) ^ code) & 1 ? -1 : 1;
    const o = <usize>t * 8;
    const tt = vijScalar + sJk * load<f64>(v + jk0 + o) + sIk * load<f64>(v + ik0 + o);
    store<f64>(y + jk0 + o, load<f64>(y + jk0 + o) + sJk * tt);
    store<f64>(y + ik0 + o, load<f64>(y + ik0 + o) + sIk * tt);
    sum += tt;
  }
  store<f64>(y + ij * 8, load<f64>(y + ij * 8) + sum);
}

/**
 * y += Σ over triplets with i0 ≤ i < i1, from cached codes starting at `codes` (row i0),
 * visited in blocks of I_BLOCK values of i like classifyRange.
 */
export function productCached(codes: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize): void {
  let blockStart = codes;
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      let rowStart = blockStart;
      const before = codeBytesUpTo(n - 1 - j);
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) {
        const all = codeBytesUpTo(n - 2 - i);
        productRow(rowStart + all - before, table, n, i, j, v, y);
        rowStart += all;
      }
    }
    for (let i = ib; i < ie; i++) blockStart += codeBytesUpTo(n - 2 - i);
  }
}

/** As productCached, classifying each row into `scratch` (n/4 bytes) just before using it. */
export function productStreaming<T>(
  rows: usize, gram0: usize, gram1: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize, scratch: usize,
): void {
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) {
        classifyRow<T>(rows, gram0, gram1, n, i, j, scratch);
        productRow(scratch, table, n, i, j, v, y);
      }
    }
  }
}

/** y −= (n − 2)·v: removes the diagonal that the rank-one updates add. */
export function subtractDiagonal(v: usize, y: usize, count: i32, n: i32): void {
  const d = f64x2.splat(<f64>(n - 2));
  let p: usize = 0;
  const end = <usize>count * 8;
  for (; p + 16 <= end; p += 16) v128.store(y + p, f64x2.sub(v128.load(y + p), f64x2.mul(d, v128.load(v + p))));
  for (; p < end; p += 8) store<f64>(y + p, load<f64>(y + p) - <f64>(n - 2) * load<f64>(v + p));
}
