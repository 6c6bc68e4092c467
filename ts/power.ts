/**
 * The power method, written once for every backend (design §1):
 *   y = S·v; λ = v·y (Rayleigh quotient, ‖v‖ = 1); y /= ‖y‖; residual = ‖y − v‖; v = y;
 * until residual < epsilon or maxIters products.
 *
 * With a spectrum floor B (S ⪰ −B·I) every step also shifts: y = S·v + c·v with
 * c = min(0, 0.9·(B − λ)/2), λ = v·S·v. Shifting by c multiplies each eigencomponent by
 * λᵢ + c instead of λᵢ. Since λ ≤ λ₁ (a Rayleigh quotient), a negative c is > (B − λ₁)/2, so
 * for every eigenvalue λᵢ ≥ −B: |λᵢ + c| ≤ max(λ₁ + c, B − c) = λ₁ + c, strictly for
 * λᵢ < λ₁ (the factor 0.9 keeps B − c < λ₁ + c even when λ = λ₁). The leading component
 * therefore still outgrows every other, and the second eigenvalue, which sets the rate on
 * real data (where the smallest eigenvalue lies far above −B), shrinks relative to the
 * first: at n = 1000 with 20% outliers, 6 products instead of 7 reach epsilon 1e-2, 24
 * instead of 28 reach 1e-8. The fixed point, the leading eigenvector, is the same; c = 0
 * (λ ≤ B: very noisy data) is the plain method. An eigenvalue near −B would converge more
 * slowly than without the shift: option shift: false turns it off.
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
  /** B ≥ 0 with S ⪰ −B·I, to shift each step by (see above); omitted: no shift. */
  spectrumFloor?: number;
}

/**
 * The passes over the iterates that every step makes besides the product, and the signs of
 * the result. A backend may provide its own (JsyncProblem.powerPasses), which must give the
 * same results bit for bit as `typescriptPasses`.
 */
export interface PowerPasses {
  /** [v·y, y·y, v·v], summed in index order. */
  dotAndNorms(v: Float64Array, y: Float64Array): [number, number, number];
  /** y = (y + shift·v)·scale; returns ‖y − v‖² (after scaling), summed in index order. */
  shiftScaleAndDiff(y: Float64Array, shift: number, scale: number, v: Float64Array): number;
  /** sign(v), multiplied by sign(v[0]) so that signs[0] = +1; a zero counts as +1. */
  signsOf(v: Float64Array): Int8Array;
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
/** The share of the largest safe shift that is taken (see above). */
const SHIFT_SHARE = 0.9;

export async function powerMethod(problem: JsyncProblem, start: Float64Array, scratch: Float64Array | undefined, options: PowerOptions): Promise<PowerResult> {
  const passes = problem.powerPasses?.() ?? typescriptPasses;
  let v: Float64Array = start;
  let y: Float64Array = scratch ?? new Float64Array(v.length);
  const residuals: number[] = [];
  let eigenvalue = NaN;
  let converged = false;
  for (let iteration = 1; iteration <= options.maxIters; iteration++) {
    throwIfAborted(options.signal);
    await problem.multiply(v, y);
    const [dot, yy, vv] = passes.dotAndNorms(v, y);
    eigenvalue = dot;
    const shift = options.spectrumFloor === undefined ? 0 : Math.min(0, (SHIFT_SHARE * (options.spectrumFloor - dot)) / 2);
    const norm2 = yy + 2 * shift * dot + shift * shift * vv; // ‖y + c·v‖²
    if (!(norm2 > 0)) {
      // S·v = 0: v lies in the null space (for example every triplet cancels); nothing to iterate.
      throw new JsyncInputError(`the J-synchronization matrix maps the iterate to ${norm2 === 0 ? 'zero' : 'NaN'} at iteration ${iteration}: the start vector or the estimates are degenerate`);
    }
    const residual = Math.sqrt(passes.shiftScaleAndDiff(y, shift, 1 / Math.sqrt(norm2), v));
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
// ~85 ms of the iterations at n = 1000. Their first calls still run unoptimized: the Wasm
// backend has them as kernels too (assembly/iterate.ts), compiled ahead of the iteration.

/** [v·y, y·y, v·v], summed in index order. */
function dotAndNorms(v: Float64Array, y: Float64Array): [number, number, number] {
  let dot = 0;
  let yy = 0;
  let vv = 0;
  for (let p = 0; p < y.length; p++) {
    dot += v[p] * y[p];
    yy += y[p] * y[p];
    vv += v[p] * v[p];
  }
  return [dot, yy, vv];
}

/** y = (y + shift·v)·scale; returns ‖y − v‖² (after scaling), summed in index order. */
function shiftScaleAndDiff(y: Float64Array, shift: number, scale: number, v: Float64Array): number {
  let diff2 = 0;
  for (let p = 0; p < y.length; p++) {
    const next = (y[p] + shift * v[p]) * scale;
    const d = next - v[p];
    diff2 += d * d;
    y[p] = next;
  }
  return diff2;
}

/** sign(v), multiplied by sign(v[0]) so that signs[0] = +1; a zero counts as +1. */
function signsOf(v: Float64Array): Int8Array {
  const flip = v[0] < 0 ? -1 : 1;
  const signs = new Int8Array(v.length);
  for (let p = 0; p < v.length; p++) signs[p] = (v[p] < 0 ? -1 : 1) * flip;
  return signs;
}

/** The passes in TypeScript: the definition, and what runs where a backend has none of its own. */
export const typescriptPasses: PowerPasses = { dotAndNorms, shiftScaleAndDiff, signsOf };
