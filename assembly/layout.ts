// Memory layout shared by the kernels. The TypeScript side (ts/wasm/memory-map.ts) owns the
// memory and mirrors these formulas; kernels only read pointers and sizes, never allocate.
//
// Estimates are stored per row i (the pairs (i, i+1), …, (i, n−1), contiguous in pair
// order) as nine arrays, one per matrix entry: entry e of pair (i, k) sits at element
// 9·base(i) + e·len(i) + (k − i − 1), len(i) = n − 1 − i. For a fixed (i, j) the entries of
// B = Rjk and C = Rik are then contiguous in k, which is what SIMD wants (design §3.2).

/** Pair index of (i, i + 1): the first pair of row i. */
// @ts-ignore: decorator
@inline
export function rowBase(n: i32, i: i32): i32 {
  return (i * (2 * n - i - 1)) >> 1;
}

/** Number of pairs in row i. */
// @ts-ignore: decorator
@inline
export function rowLength(n: i32, i: i32): i32 {
  return n - 1 - i;
}

/** Bytes of packed codes of row (i, j): n − 1 − j triplets, 4 per byte, padded to a byte. */
// @ts-ignore: decorator
@inline
export function codeRowBytes(n: i32, j: i32): i32 {
  return (n - 1 - j + 3) >> 2;
}

/** Loads two consecutive stored entries as f64x2 (f32 storage is widened exactly). */
// @ts-ignore: decorator
@inline
export function load2<T>(ptr: usize): v128 {
  if (sizeof<T>() == 8) return v128.load(ptr);
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

/** Loads one stored entry as f64. */
// @ts-ignore: decorator
@inline
export function load1<T>(ptr: usize): f64 {
  return <f64>load<T>(ptr);
}

/** Σ_{m=1}^{M} ceil(m/4): bytes of packed codes of M consecutive rows (i, j) of lengths 1…M. */
// @ts-ignore: decorator
@inline
export function codeBytesUpTo(M: i32): usize {
  const q = <usize>(M >> 2);
  const r = <usize>(M & 3);
  return (q + 1) * (2 * q + r);
}

/**
 * Rows of i are processed in blocks of I_BLOCK: for a fixed j the estimates of row j (B) and
 * the vector entries of pairs (j, k) are then read once per block from cache instead of once
 * per i from memory, which is what bounds the untiled loops (design §3.2, measured: the
 * untiled classification streamed ~12 GB at n = 1000).
 */
export const I_BLOCK: i32 = 8;
