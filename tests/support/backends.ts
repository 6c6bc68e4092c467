/**
 * The backends every shared test runs against, as tfjs and onnxruntime-web run one suite per
 * backend. Add a backend here and the whole suite covers it.
 */
import type { BackendChoice } from '../../ts/options.js';
import type { JsyncBackend } from '../../ts/backend.js';
import { referenceBackend } from '../../ts/reference.js';
import { wasmBackend } from '../../ts/wasm/backend.js';

export interface BackendUnderTest {
  name: Exclude<BackendChoice, 'auto'>;
  backend: JsyncBackend;
  /** Largest n the suite gives this backend (the reference is O(n³) per product in JS). */
  maxN: number;
}

export const BACKENDS: BackendUnderTest[] = [
  { name: 'reference', backend: referenceBackend, maxN: 60 },
  { name: 'wasm', backend: wasmBackend, maxN: 200 },
];

/** max |a − b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let k = 0; k < b.length; k++) {
    err = Math.max(err, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return err / scale;
}

/** Number of entries where two sign vectors differ. */
export function countDifferent(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) count++;
  return count;
}
