/**
 * Index conventions shared by every backend, the CLI and the file formats (design §2).
 * Pairs i < j in row-major order: (0,1), (0,2), …, (0,n−1), (1,2), …
 */
import { JsyncInputError } from './errors.js';

/** Linear index of pair (i, j), i < j, among the n(n−1)/2 pairs. */
export function pairIndex(n: number, i: number, j: number): number {
  return ((2 * n - i - 1) * i) / 2 + j - i - 1;
}

/** Pairs (j, k) with j < i: in pair order they come first, and row i starts there. */
export function pairsBeforeRow(n: number, i: number): number {
  return (i * (2 * n - i - 1)) / 2;
}

/** Number of pairs of n images. */
export function pairCount(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Number of triplets i < j < k of n images. */
export function tripletCount(n: number): number {
  return (n * (n - 1) * (n - 2)) / 6;
}

/** The n whose n(n−1)/2 is nearest to `pairs` (no check: see imagesFromPairs). */
export function nearestImageCount(pairs: number): number {
  return Math.round((1 + Math.sqrt(1 + 8 * pairs)) / 2);
}

/** n such that n(n−1)/2 = pairs, or throws: jsync needs n ≥ 3. */
export function imagesFromPairs(pairs: number): number {
  if (!Number.isSafeInteger(pairs) || pairs < 3) {
    throw new JsyncInputError(`${pairs} relative rotations is not n(n-1)/2 for any n >= 3`);
  }
  const n = nearestImageCount(pairs);
  if (pairCount(n) !== pairs) {
    throw new JsyncInputError(`${pairs} relative rotations is not n(n-1)/2 for any n >= 3`);
  }
  return n;
}
