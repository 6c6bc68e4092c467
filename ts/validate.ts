/**
 * Checks of the estimates: type and shape (9·n(n−1)/2 with n ≥ 3) before anything is computed,
 * and finiteness, which the backends check while they first read the data (a separate pass
 * over gigabytes of estimates would cost as much as laying them out). Every failure is a
 * JsyncInputError naming the problem.
 */
import type { EstimateSource, FloatArray } from './backend.js';
import { JsyncInputError } from './errors.js';
import { imagesFromPairs } from './pairs.js';

/** Returns n for estimates of a valid type and length, or throws. `name` prefixes the message. */
export function validateShape(rijs: unknown, name = 'rijs'): number {
  if (isEstimateSource(rijs)) {
    try {
      return imagesFromPairs(rijs.pairs);
    } catch (error) {
      throw new JsyncInputError(`${name}: ${(error as Error).message}`);
    }
  }
  if (!(rijs instanceof Float64Array) && !(rijs instanceof Float32Array)) {
    throw new JsyncInputError(`${name}: expected a Float64Array or Float32Array of 9·n(n−1)/2 numbers, or an EstimateSource`);
  }
  if (rijs.length % 9 !== 0) {
    throw new JsyncInputError(`${name}: length ${rijs.length} is not a multiple of 9 (3×3 matrices)`);
  }
  try {
    return imagesFromPairs(rijs.length / 9);
  } catch (error) {
    throw new JsyncInputError(`${name}: ${(error as Error).message}`);
  }
}

function isEstimateSource(x: unknown): x is EstimateSource {
  const source = x as EstimateSource | null;
  return (
    typeof source === 'object' && source !== null && typeof source.read === 'function' &&
    (source.dtype === 'float64' || source.dtype === 'float32') && typeof source.pairs === 'number'
  );
}

/** Index of the first NaN or infinite value in values[from, to), or −1. */
export function firstNonFinite(values: FloatArray, from = 0, to = values.length): number {
  for (let k = from; k < to; k++) {
    // x − x is NaN exactly when x is NaN or ±Infinity.
    const x = values[k];
    if (x - x !== 0) return k;
  }
  return -1;
}

/** The error for a non-finite value at `index`. */
export function nonFiniteError(rijs: FloatArray, index: number, name = 'rijs'): JsyncInputError {
  return new JsyncInputError(
    `${name}: entry ${index % 9} of estimate ${Math.floor(index / 9)} is ${rijs[index]}; all entries must be finite numbers`,
  );
}
