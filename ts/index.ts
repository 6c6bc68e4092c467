/**
 * jsync — J-synchronization of relative-rotation estimates for cryo-EM, in Node and browsers.
 *
 * Inputs are Float64Array or Float32Array of length 9P, P = n(n−1)/2, row-major 3×3 blocks in
 * the pair order (0,1), (0,2), …, (0,n−1), (1,2), … (see README, "Conventions").
 */
export { jsync, prewarm, type JsyncResult } from './jsync.js';
export type { JsyncOptions, BackendChoice } from './options.js';
export type { PowerProgress } from './power.js';
export { applySigns, applySignsInPlace, jConjugate, syncViis } from './apply.js';
export { generateSynthetic, type SyntheticData, type SyntheticOptions } from './synthetic.js';
export { parseNpy, serializeNpy, type NpyArray, type NpyData, type NpyDtype } from './npy.js';
export { probe, type Capabilities } from './probe.js';
export { JsyncInputError, JsyncAbortError } from './errors.js';
export { pairIndex, pairCount, tripletCount, imagesFromPairs } from './pairs.js';
export { referenceBackend } from './reference.js';
export { wasmBackend } from './wasm/backend.js';
export type { JsyncBackend, JsyncProblem, PrepareOptions, ProductMode, BackendName, FloatArray, EstimateSource, Estimates } from './backend.js';
