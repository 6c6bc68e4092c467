// Gathering the estimates that deferred rechecks need (ts/wasm/backend.ts, memory-map.ts
// gatherLayout). The undecided triplets of a classification name their three pairs; a bitmap
// over the pairs marks them, a count per 64-bit word of it gives every marked pair its slot
// (its rank among the marked pairs), and while the estimates stream through a small staging
// area the marked ones are copied to their slots: a table of a few MB instead of a second
// copy of every estimate, read from pages that are already in use.
import { RECHECK_ENTRY_BYTES, rowBase } from './layout';

/** Marks pair p in the bitmap at `bitmap` (one bit per pair, little-endian 64-bit words). */
// @ts-ignore: decorator
@inline
function mark(bitmap: usize, p: i32): void {
  const word = bitmap + (<usize>(p >> 6) << 3);
  store<u64>(word, load<u64>(word) | (<u64>1 << <u64>(p & 63)));
}

/** Marks the pairs (i, j), (j, k), (i, k) of the `count` triplets listed at `list`. */
export function markRecheckPairs(list: usize, count: i32, n: i32, bitmap: usize): void {
  for (let e = 0; e < count; e++) {
    const entry = list + <usize>e * <usize>RECHECK_ENTRY_BYTES;
    const i = load<i32>(entry), j = load<i32>(entry, 4), k = load<i32>(entry, 8);
    mark(bitmap, rowBase(n, i) + j - i - 1);
    mark(bitmap, rowBase(n, j) + k - j - 1);
    mark(bitmap, rowBase(n, i) + k - i - 1);
  }
}

/** counts[w] = marked pairs before word w, for the `words` words of the bitmap; returns all marked pairs. */
export function rankPairs(bitmap: usize, words: i32, counts: usize): i32 {
  let total: i32 = 0;
  for (let w = 0; w < words; w++) {
    store<i32>(counts + (<usize>w << 2), total);
    total += <i32>popcnt(load<u64>(bitmap + (<usize>w << 3)));
  }
  return total;
}

/** Slot of a marked pair p: marked pairs before it. */
// @ts-ignore: decorator
@inline
export function slotOf(bitmap: usize, counts: usize, p: i32): i32 {
  const below = load<u64>(bitmap + (<usize>(p >> 6) << 3)) & ((<u64>1 << <u64>(p & 63)) - 1);
  return load<i32>(counts + (<usize>(p >> 6) << 2)) + <i32>popcnt(below);
}

/**
 * Copies the marked pairs among p0 ≤ p < p1, whose estimates (nine entries of T each, pair
 * order) start at `staging` with pair p0, to their slots of the table at `table`. In whole
 * v128s (a call of memory.copy per pair costs more than the copy): each copy runs up to 12
 * bytes into the next slot, which is written later (slots ascend with the pairs, and callers
 * go through the pairs in order), or into the padding after the table.
 */
export function gatherPairs<T>(staging: usize, p0: i32, p1: i32, bitmap: usize, counts: usize, table: usize): void {
  const pairBytes: usize = sizeof<T>() * 9;
  const vectors: usize = (pairBytes + 15) >> 4;
  for (let w = p0 >> 6; w <= (p1 - 1) >> 6; w++) {
    let bits = load<u64>(bitmap + (<usize>w << 3));
    while (bits != 0) {
      const p = (w << 6) + <i32>ctz(bits);
      bits &= bits - 1;
      if (p < p0) continue;
      if (p >= p1) break;
      const to = table + <usize>slotOf(bitmap, counts, p) * pairBytes;
      const from = staging + <usize>(p - p0) * pairBytes;
      for (let q: usize = 0; q < vectors; q++) v128.store(to + (q << 4), v128.load(from + (q << 4)));
    }
  }
}
