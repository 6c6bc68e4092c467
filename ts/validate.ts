/**
 * Checks of the estimates before anything is computed: type, shape (9·n(n−1)/2 with n ≥ 3)
 * and finiteness. Every failure is a JsyncInputError naming the problem.
 */
import type { FloatArray } from './backend.js';
import { JsyncInputError } from './errors.js';
import { imagesFromPairs } from './pairs.js';

/** Returns n for valid estimates, or throws. `name` prefixes the message (a file name, say). */
export function validateEstimates(rijs: unknown, name = 'rijs'): number {
  if (!(rijs instanceof Float64Array) && !(rijs instanceof Float32Array)) {
    throw new JsyncInputError(`${name}: expected a Float64Array or Float32Array of 9·n(n−1)/2 numbers`);
  }
  if (rijs.length % 9 !== 0) {
    throw new JsyncInputError(`${name}: length ${rijs.length} is not a multiple of 9 (3×3 matrices)`);
  }
  let n: number;
  try {
    n = imagesFromPairs(rijs.length / 9);
  } catch (error) {
    throw new JsyncInputError(`${name}: ${(error as Error).message}`);
  }
  const bad = firstNonFinite(rijs);
  if (bad >= 0) {
    const pair = Math.floor(bad / 9);
    throw new JsyncInputError(
      `${name}: entry ${bad % 9} of estimate ${pair} is ${rijs[bad]}; all entries must be finite numbers`,
    );
  }
  return n;
}

function firstNonFinite(values: FloatArray): number {
  for (let k = 0; k < values.length; k++) {
    // x − x is NaN exactly when x is NaN or ±Infinity.
    const x = values[k];
    if (x - x !== 0) return k;
  }
  return -1;
}
