/**
 * The power method, written once for every backend (design §1):
 *   y = S·v; λ = v·y (Rayleigh quotient, ‖v‖ = 1); y /= ‖y‖; residual = ‖y − v‖; v = y;
 * until residual < epsilon or maxIters products.
 */
import type { JsyncProblem } from './backend.js';
import { JsyncInputError, throwIfAborted } from './errors.js';

export { throwIfAborted };

export interface PowerProgress {
  iteration: number;
  residual: number;
  maxIters: number;
}

export interface PowerOptions {
  epsilon: number;
  maxIters: number;
  onProgress?: (progress: PowerProgress) => void;
  signal?: AbortSignal;
}

export interface PowerResult {
  /** The last iterate, unit norm. */
  vector: Float64Array;
  iterations: number;
  residuals: number[];
  eigenvalue: number;
  converged: boolean;
}

/**
 * Iterates from `start` (unit norm), which becomes the first iterate: its entries are
 * overwritten, and so are those of `scratch` (the second iterate; a new array if omitted).
 * The result's vector is one of the two.
 */
export async function powerMethod(problem: JsyncProblem, start: Float64Array, scratch: Float64Array | undefined, options: PowerOptions): Promise<PowerResult> {
  let v: Float64Array = start;
  let y: Float64Array = scratch ?? new Float64Array(v.length);
  const residuals: number[] = [];
  let eigenvalue = NaN;
  let converged = false;
  for (let iteration = 1; iteration <= options.maxIters; iteration++) {
    throwIfAborted(options.signal);
    await problem.multiply(v, y);
    const [dot, norm2] = dotAndNorm(v, y);
    eigenvalue = dot;
    if (!(norm2 > 0)) {
      // S·v = 0: v lies in the null space (for example every triplet cancels); nothing to iterate.
      throw new JsyncInputError(`the J-synchronization matrix maps the iterate to ${norm2 === 0 ? 'zero' : 'NaN'} at iteration ${iteration}: the start vector or the estimates are degenerate`);
    }
    const residual = Math.sqrt(scaleAndDiff(y, 1 / Math.sqrt(norm2), v));
    residuals.push(residual);
    [v, y] = [y, v];
    options.onProgress?.({ iteration, residual, maxIters: options.maxIters });
    if (residual < options.epsilon) {
      converged = true;
      break;
    }
  }
  return { vector: v, iterations: residuals.length, residuals, eigenvalue, converged };
}

// The two passes over the vectors per iteration live in small functions of their own: V8 then
// optimizes them once, whole, with the types they always see. Inlined in the loop above they
// were deoptimized and recompiled several times per run (untaken branches, the v/y swap),
// ~85 ms of the iterations at n = 1000.

/** [v·y, y·y], summed in index order. */
function dotAndNorm(v: Float64Array, y: Float64Array): [number, number] {
  let dot = 0;
  let norm2 = 0;
  for (let p = 0; p < y.length; p++) {
    dot += v[p] * y[p];
    norm2 += y[p] * y[p];
  }
  return [dot, norm2];
}

/** y *= scale; returns ‖y − v‖² (after scaling), summed in index order. */
function scaleAndDiff(y: Float64Array, scale: number, v: Float64Array): number {
  let diff2 = 0;
  for (let p = 0; p < y.length; p++) {
    const next = y[p] * scale;
    const d = next - v[p];
    diff2 += d * d;
    y[p] = next;
  }
  return diff2;
}

/** sign(v), multiplied by sign(v[0]) so that signs[0] = +1; a zero counts as +1. */
export function signsOf(v: Float64Array): Int8Array {
  const flip = v[0] < 0 ? -1 : 1;
  const signs = new Int8Array(v.length);
  for (let p = 0; p < v.length; p++) signs[p] = (v[p] < 0 ? -1 : 1) * flip;
  return signs;
}
