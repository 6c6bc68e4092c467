// The Wasm kernels' exports: concrete float64- and float32-storage instances of the generic
// kernels. Every kernel takes byte pointers and sizes into the imported memory and never
// allocates; ts/wasm/memory-map.ts decides where everything lives.
import { buildFilter, buildFilterFromPairs, classifyRange, classifyRangeDeferred, finishFilter, recheckDeferred, rowGram } from './classify';
import { gatherPairs, markRecheckPairs, rankPairs } from './gather';
import { RECHECK_ENTRY_BYTES, STASH_BYTES } from './layout';
import { initSignTable, productCached, productStreaming, subtractDiagonal, SIGN_TABLE_BYTES } from './product';
import { productWeighted } from './weighted';
import { addInto } from './reduce';
import { dotAndNorms, shiftScaleAndDiff, signsOf } from './iterate';
import { lobpcgFirstDirection, lobpcgGram, lobpcgUpdate } from './lobpcg';
import { anchorStart, averageVotes } from './start';

export {
  addInto, anchorStart, averageVotes, classifyRangeDeferred, dotAndNorms, finishFilter, initSignTable, lobpcgFirstDirection, lobpcgGram, lobpcgUpdate,
  markRecheckPairs, productCached, rankPairs, shiftScaleAndDiff, signsOf, subtractDiagonal,
};

export function recheckEntryBytes(): i32 {
  return RECHECK_ENTRY_BYTES;
}

export function stashBytes(): i32 {
  return STASH_BYTES;
}

export function signTableBytes(): i32 {
  return SIGN_TABLE_BYTES;
}

/** First byte the kernels' own static data does not use. */
export function heapBase(): usize {
  return __heap_base;
}

export function rowGramF64(rows: usize, n: i32, i0: i32, i1: i32, gram0: usize, gram1: usize): void {
  rowGram<f64>(rows, n, i0, i1, gram0, gram1);
}
export function rowGramF32(rows: usize, n: i32, i0: i32, i1: i32, gram0: usize, gram1: usize): void {
  rowGram<f32>(rows, n, i0, i1, gram0, gram1);
}

/** Writes rows i0 ≤ i < i1 of the float32 filter copy at `filt` (after rowGram); returns their max|entry|. */
export function buildFilterF64(rows: usize, gram0: usize, gram1: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilter<f64>(rows, gram0, gram1, n, i0, i1, filt);
}
export function buildFilterF32(rows: usize, gram0: usize, gram1: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilter<f32>(rows, gram0, gram1, n, i0, i1, filt);
}

/**
 * The filter copy of rows i0 ≤ i < i1 from the estimates as given (pair order, at `input`),
 * Gram terms computed on the way; returns their max|entry| (NaN or +∞ if one is not finite).
 */
export function buildFilterFromPairsF64(input: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilterFromPairs<f64>(input, n, i0, i1, filt);
}
export function buildFilterFromPairsF32(input: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilterFromPairs<f32>(input, n, i0, i1, filt);
}

/**
 * Decides the listed triplets (classifyRangeDeferred) in float64 from the estimates at `input`:
 * as given (pair order) when `bitmap` is 0, else gathered (gatherPairsF64/F32).
 */
export function recheckDeferredF64(input: usize, n: i32, list: usize, count: i32, bitmap: usize, counts: usize): void {
  recheckDeferred<f64>(input, n, list, count, bitmap, counts);
}
export function recheckDeferredF32(input: usize, n: i32, list: usize, count: i32, bitmap: usize, counts: usize): void {
  recheckDeferred<f32>(input, n, list, count, bitmap, counts);
}

/** Copies the marked pairs among p0 ≤ p < p1 (estimates from `staging`, pair p0 first) to their slots at `table`. */
export function gatherPairsF64(staging: usize, p0: i32, p1: i32, bitmap: usize, counts: usize, table: usize): void {
  gatherPairs<f64>(staging, p0, p1, bitmap, counts, table);
}
export function gatherPairsF32(staging: usize, p0: i32, p1: i32, bitmap: usize, counts: usize, table: usize): void {
  gatherPairs<f32>(staging, p0, p1, bitmap, counts, table);
}

/**
 * Codes of the rows i0 ≤ i < i1. `filt`: the filter copy, or 0 to run the float64 kernel
 * only (same codes, slower). `stash`: the lane's stash (STASH_BYTES). Returns how many
 * triplets the filter recomputed in float64.
 */
export function classifyF64(rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i0: i32, i1: i32, codes: usize, stash: usize): i32 {
  return classifyRange<f64>(rows, gram0, gram1, filt, n, i0, i1, codes, stash);
}
export function classifyF32(rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i0: i32, i1: i32, codes: usize, stash: usize): i32 {
  return classifyRange<f32>(rows, gram0, gram1, filt, n, i0, i1, codes, stash);
}

export function productStreamingF64(
  rows: usize, gram0: usize, gram1: usize, filt: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize, scratch: usize, stash: usize,
): void {
  productStreaming<f64>(rows, gram0, gram1, filt, table, n, i0, i1, v, y, scratch, stash);
}
export function productStreamingF32(
  rows: usize, gram0: usize, gram1: usize, filt: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize, scratch: usize, stash: usize,
): void {
  productStreaming<f32>(rows, gram0, gram1, filt, table, n, i0, i1, v, y, scratch, stash);
}

export function productWeightedF64(rows: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize): void {
  productWeighted<f64>(rows, n, i0, i1, v, y);
}
export function productWeightedF32(rows: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize): void {
  productWeighted<f32>(rows, n, i0, i1, v, y);
}
