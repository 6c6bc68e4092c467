/**
 * The one interface every backend implements (reference TypeScript, Wasm, later WebGPU).
 *
 * A backend turns validated estimates into a `JsyncProblem`: something that can multiply a
 * vector by the implicit J-synchronization matrix S, report what it cached, and be disposed.
 * The power loop (power.ts) is written once against this interface.
 */
import type { LobpcgPasses } from './lobpcg.js';
import type { PowerPasses } from './power.js';

export type FloatArray = Float64Array | Float32Array;

/**
 * Estimates that the backend reads into memory of its own, instead of an array: the data then
 * lands directly where the kernels read it (the CLI reads .npy files so). `read` fills
 * `target` with the estimates of pairs firstPair, firstPair + 1, … (default 0; 9 entries per
 * pair, row-major 3×3 blocks, target.length / 9 pairs) and may be asynchronous. A backend
 * may read the same pairs more than once (the Wasm backend reads a second time the few it
 * decides in float64 after classifying, see ts/wasm/memory-map.ts): reads must be repeatable.
 */
export interface EstimateSource {
  readonly pairs: number;
  readonly dtype: 'float64' | 'float32';
  read(target: FloatArray, firstPair?: number): Promise<void>;
}

/** What jsync() and the backends accept: an array of estimates, or a source of them. */
export type Estimates = FloatArray | EstimateSource;

/** Whether the estimates are an array (else a source). */
export function isEstimateArray(rijs: Estimates): rijs is FloatArray {
  return rijs instanceof Float64Array || rijs instanceof Float32Array;
}

/** Number of estimates (pairs) of an array or a source. */
export function pairsOf(rijs: Estimates): number {
  return isEstimateArray(rijs) ? rijs.length / 9 : rijs.pairs;
}

/**
 * The estimates as an array: an array as it is, a source read into a new one (on a
 * SharedArrayBuffer when `shared`, so that worker threads can read it in place).
 */
export async function estimatesArray(rijs: Estimates, shared = false): Promise<FloatArray> {
  if (isEstimateArray(rijs)) return rijs;
  const bytes = 9 * rijs.pairs * (rijs.dtype === 'float64' ? 8 : 4);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const array = rijs.dtype === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer);
  await rijs.read(array);
  return array;
}

export type BackendName = 'reference' | 'wasm';

/**
 * How a problem evaluates S·v: from codes classified once and kept in the backend's memory
 * ('cached') or in per-thread stores beyond it ('paged'); by reclassifying every triplet in
 * every product ('streaming'); or by recomputing the residuals ('recompute': J-weighting and
 * the reference backend).
 */
export type ProductMode = 'cached' | 'paged' | 'streaming' | 'recompute';

/**
 * Where the triplet codes go: 'auto' picks the fastest that fits the memory budget;
 * 'cached' (in the backend's memory, or paged beyond it), 'paged' (per-thread stores outside
 * the Wasm memory) and 'streaming' (no codes kept) force one.
 */
export type CodesChoice = 'auto' | 'cached' | 'paged' | 'streaming';

export interface PrepareOptions {
  /** Scale every edge sign by 1 − sqrt(best/alt) (ASPIRE's J_weighting). */
  jWeighting: boolean;
  /** Bytes the backend may use for its data; cached codes only when they fit. */
  memoryBudget: number;
  /** See CodesChoice; J-weighting always recomputes. */
  codes: CodesChoice;
  /** Worker threads the backend may use (1 = the calling thread). */
  threads: number;
  /** Wasm: the relaxed-SIMD kernels where the runtime accepts them (default true; same results). */
  relaxedSimd?: boolean;
  signal?: AbortSignal;
}

export interface JsyncProblem {
  readonly n: number;
  readonly pairs: number;
  readonly mode: ProductMode;
  /** Triplet codes computed once and kept for every product. */
  readonly cached: boolean;
  /** Threads actually used. */
  readonly threads: number;
  /** Whether the relaxed-SIMD build of the Wasm kernels runs (false for other backends). */
  readonly relaxedSimd: boolean;
  /** Seconds spent classifying triplets while preparing (0 when nothing was cached). */
  readonly classifySeconds: number;
  /** Bytes of backend memory held by this problem. */
  readonly memoryBytes: number;
  /** y = S·v, float64, both of length `pairs`; y is overwritten. */
  multiply(v: Float64Array, y: Float64Array): Promise<void>;
  /**
   * y = S′·v, where S′ keeps only the triplets (i, j, k) with i < rows (zero diagonal, like
   * S): the votes that the data-built start averages (start.ts dataStart). y is overwritten.
   */
  multiplyRows(v: Float64Array, y: Float64Array, rows: number): Promise<void>;
  /**
   * Codes of the triplets (0, j, k), 1 ≤ j < k < n, in lexicographic order: the data from
   * which the power method builds its start vector.
   */
  anchorCodes(): Promise<Uint8Array>;
  /**
   * Optional: the data-built start vector computed by the backend itself, bitwise equal to
   * start.ts `dataStart(this)`, only faster.
   */
  dataStart?(): Promise<Float64Array>;
  /**
   * Optional: vectors of `pairs` float64 (at least two, three where there is room) that the
   * iteration may use as its iterates, valid until dispose() (the Wasm backend hands out
   * pages of its memory that are dead by then, so that the iteration touches no fresh
   * memory). Where there are some, dataStart() may return the first.
   */
  workVectors?(): Float64Array[] | undefined;
  /**
   * Optional: the arrays that multiply() reads v from and writes y to, as [v, y]; a product
   * of these very arrays copies nothing. Their entries are overwritten by every product and
   * by dataStart(); valid until dispose().
   */
  productVectors?(): [Float64Array, Float64Array];
  /**
   * Optional: the power method's passes over its iterates (power.ts PowerPasses), bitwise
   * equal to power.ts `typescriptPasses`, only faster where the iterates are the work vectors.
   */
  powerPasses?(): PowerPasses;
  /** Optional: LOBPCG's passes (lobpcg.ts LobpcgPasses), bitwise `typescriptLobpcgPasses`, only faster. */
  lobpcgPasses?(): LobpcgPasses;
  /** Release memory and workers; the problem is unusable afterwards. Idempotent. */
  dispose(): void;
}

export interface JsyncBackend {
  readonly name: BackendName;
  prepare(rijs: Estimates, n: number, options: PrepareOptions): Promise<JsyncProblem>;
  /** One code (0–3) per triplet i < j < k in lexicographic order; for tests and tools. */
  classifyAll(rijs: FloatArray, n: number): Promise<Uint8Array>;
  /**
   * Optional: start, in the background, what a prepare() for n images on `threads` threads
   * will need (worker threads, say), so that it finds them ready. Resolves once started.
   * `relaxedSimd`: as the PrepareOptions that will follow (default true).
   */
  prewarm?(n: number, threads: number, relaxedSimd?: boolean): Promise<void>;
}
