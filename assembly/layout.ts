// Memory layout shared by the kernels. The TypeScript side (ts/wasm/memory-map.ts) owns the
// memory and mirrors these formulas; kernels only read pointers and sizes, never allocate.
//
// Estimates are stored per row i (the pairs (i, i+1), …, (i, n−1), contiguous in pair
// order) as nine arrays, one per matrix entry: entry e of pair (i, k) sits at element
// 9·base(i) + e·len(i) + (k − i − 1), len(i) = n − 1 − i. For a fixed (i, j) the entries of
// B = Rjk and C = Rik are then contiguous in k, which is what SIMD wants (design §3.2).
//
// Everything indexed by triplets (i, j, k) — the float32 filter copy of the estimates and the
// packed codes — is organised in blocks of four consecutive *absolute* k, k ≡ 0 mod 4: for a
// row (i, j) the blocks run from k = 4⌊(j+1)/4⌋ to 4⌈n/4⌉ − 1, so the first block may hold
// lanes k ≤ j and the last one lanes k ≥ n, which are padding. Then B = Rjk, C = Rik and the
// code of (i, j, k) all sit in the same lane of their blocks, one loop step handles one
// block with constant offsets from a few pointers (V8 does not strength-reduce per-load
// address arithmetic), and every vector load is aligned.

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

/**
 * Rows of i are processed in blocks: for a fixed j the estimates of row j (B) and the vector
 * entries of pairs (j, k) are then read once per block from cache instead of once per i from
 * memory. A kernel call's range is cut into blocks from its start (the last one may be
 * shorter). The results do not depend on the block size, nor on how a range is split into
 * calls: every code depends on its triplet only, and every product entry receives its
 * contributions in the same order whatever the blocking (a pair (j, k) from the rows i < j in
 * increasing i, then from row j in increasing j′, then its own row sum). Checked: blocks of
 * 8, 16 and 32 give bitwise the same 28 iterates at n = 1000.
 *
 * Measured (whole runs, npm run bench:compare style, in turns): blocks of 4 against 8 at
 * n = 3000 made one thread ~7% faster but two threads ~35% slower (they double the traffic of
 * row j); 16 against 8 was 2–7% faster at n = 1000 and 2000 with 1 and 2 threads; 32 no
 * better than 16.
 */
export const I_BLOCK: i32 = 16;

/** Blocks of four k that cover 0 … n − 1: ⌈n/4⌉. */
// @ts-ignore: decorator
@inline
export function quarters(n: i32): i32 {
  return (n + 3) >> 2;
}

/** S(x) = Σ_{m=1}^{x} ⌊m/4⌋ = 2q(q − 1) + q(r + 1) with x = 4q + r (x ≥ 0). */
// @ts-ignore: decorator
@inline
export function quarterSum(x: i32): usize {
  const q = <usize>(x >> 2);
  const r = <usize>(x & 3);
  return 2 * q * (q - 1) + q * (r + 1); // q − 1 wraps at q = 0, times 0
}

// ---------------------------------------------------------------------------------------------
// Packed codes. Row (i, j) has one byte per block (k = 4⌊(j+1)/4⌋ … 4⌈n/4⌉ − 1): bit L holds
// bit 0 of the code of lane L (k = 4b + L), bit 4 + L its bit 1; padding lanes hold 0. The
// rows of one i follow each other (j = i+1 … n−2), and the groups of successive i too.
// ---------------------------------------------------------------------------------------------

/** Bytes of the packed codes of row (i, j): ⌈n/4⌉ − ⌊(j+1)/4⌋. */
// @ts-ignore: decorator
@inline
export function codeRowBytes(n: i32, j: i32): i32 {
  return quarters(n) - ((j + 1) >> 2);
}

/** Byte offset of row (i, j) from row (i, i+1): Σ_{j'=i+1}^{j−1} codeRowBytes(n, j'). */
// @ts-ignore: decorator
@inline
export function codeRowOffset(n: i32, i: i32, j: i32): usize {
  return <usize>(j - i - 1) * <usize>quarters(n) - (quarterSum(j) - quarterSum(i + 1));
}

/** Bytes of the packed codes of all rows (i, j), j = i+1 … n−2. */
// @ts-ignore: decorator
@inline
export function codeGroupBytes(n: i32, i: i32): usize {
  return codeRowOffset(n, i, n - 1);
}

// ---------------------------------------------------------------------------------------------
// The float32 filter copy (see classify.ts): row i holds the blocks of k = 4⌊(i+1)/4⌋ …
// 4⌈n/4⌉ − 1, each block FILTER_ENTRIES arrays of 4 float32: the nine matrix entries of the
// pairs (i, k), then their row Gram terms ⟨b0, b2⟩ and ⟨b1, b2⟩ (rounded from float64). Lanes
// of pairs that do not exist (k ≤ i, k ≥ n) hold NaN. A header (the decision threshold)
// precedes the blocks.
// ---------------------------------------------------------------------------------------------

export const FILTER_ENTRIES: i32 = 11;
export const FILTER_BLOCK_BYTES: i32 = FILTER_ENTRIES * 16;
export const FILTER_HEADER_BYTES: i32 = 64;

/** Index of the first block of row i: Σ_{i' < i} (⌈n/4⌉ − ⌊(i'+1)/4⌋) = i·⌈n/4⌉ − S(i). */
// @ts-ignore: decorator
@inline
export function filterRowBlock(n: i32, i: i32): usize {
  return <usize>i * <usize>quarters(n) - quarterSum(i);
}

/** Byte address of the block of row i that holds k (k ≥ 4⌊(i+1)/4⌋). */
// @ts-ignore: decorator
@inline
export function filterBlockAt(filt: usize, n: i32, i: i32, k: i32): usize {
  const block = filterRowBlock(n, i) + <usize>((k >> 2) - ((i + 1) >> 2));
  return filt + <usize>FILTER_HEADER_BYTES + block * <usize>FILTER_BLOCK_BYTES;
}

/** Bytes of one entry of a deferred-recheck list: i, j, k (int32) and the address of the code byte. */
export const RECHECK_ENTRY_BYTES: i32 = 16;

/**
 * Bytes of a lane's stash: where the float32 filter (classify.ts filterBlocks) stores the
 * results of each phase of a step, never to read them back, so that V8 schedules the step in
 * phases. Each lane needs its own (two cores storing to one cache line would slow each other).
 */
export const STASH_BYTES: i32 = 128;
