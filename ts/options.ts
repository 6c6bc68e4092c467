/**
 * Options of `jsync()`, their defaults and their validation. Unknown keys are errors: a typo
 * must not silently fall back to a default.
 */
import type { CodesChoice, FloatArray } from './backend.js';
import { JsyncInputError } from './errors.js';
import type { PowerProgress } from './power.js';

export type BackendChoice = 'auto' | 'wasm' | 'reference';

export interface JsyncOptions {
  /** Stop when ‖S·v/‖S·v‖ − v‖ < epsilon for the iterate v (the original's ‖v_{k+1} − v_k‖). Default 1e-2 (ASPIRE's). */
  epsilon?: number;
  /** At most this many products. Default 1000. */
  maxIters?: number;
  /** Seed of the random start vector (init 'random'). Default 0. */
  seed?: number;
  /** Scale edge signs by 1 − sqrt(best/alt) (ASPIRE's J_weighting). Default false. */
  jWeighting?: boolean;
  /**
   * Start vector: 'data' (default) propagates signs through the triplets of image 0, then
   * averages the votes of the triplets of the first 48 images, less their node potentials
   * (start.ts), and never stops on the transient of design §5; 'random' is the original
   * code's random start;
   * a Float64Array of length P is used as given (normalised).
   */
  init?: 'data' | 'random' | Float64Array;
  /**
   * 'lobpcg' (default): each product's step is the best vector in span{x, S·x, previous
   * step} (lobpcg.ts; LOBPCG with one vector), with the power method's stopping rule and
   * result: fewer products to the same epsilon. 'power': the power method of the original
   * code (with the shift below).
   */
  method?: 'lobpcg' | 'power';
  /**
   * Method 'power': shift each power step by c = min(0, (B − λ)/2), B = (n − 2) (√2·(n − 2) with
   * J-weighting), a bound with S ⪰ −B·I, λ the current Rayleigh quotient (see power.ts):
   * same fixed point, fewer products. Default true; false is the original unshifted method.
   */
  shift?: boolean;
  /** 'auto' (default): Wasm where the runtime has Wasm SIMD, else the reference. */
  backend?: BackendChoice;
  /** Worker threads. Default: every core the runtime reports. */
  threads?: number;
  /** Bytes the backend may use; codes are cached only when they fit. Default: from the probe. */
  memoryBudget?: number;
  /** 'auto' (default): the fastest that fits; or force 'cached', 'paged' or 'streaming'. */
  codes?: CodesChoice;
  /**
   * Wasm backend: use the relaxed-SIMD build of the kernels (fused multiply-add in the
   * classification filter) where the runtime accepts it. Default true. Same codes, products
   * and signs, bit for bit; false keeps the plain SIMD build.
   */
  relaxedSimd?: boolean;
  /** Called after every power iteration. */
  onProgress?: (progress: PowerProgress) => void;
  /** Aborts the run: the promise rejects with an AbortError and everything is released. */
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  epsilon: number;
  maxIters: number;
  seed: number;
  jWeighting: boolean;
  init: 'data' | 'random' | Float64Array;
  method: 'lobpcg' | 'power';
  shift: boolean;
  backend: BackendChoice;
  threads: number | undefined;
  memoryBudget: number | undefined;
  codes: CodesChoice;
  relaxedSimd: boolean;
  onProgress: ((progress: PowerProgress) => void) | undefined;
  signal: AbortSignal | undefined;
}

const KNOWN = new Set([
  'epsilon', 'maxIters', 'seed', 'jWeighting', 'init', 'method', 'shift', 'backend', 'threads', 'memoryBudget', 'codes', 'relaxedSimd', 'onProgress', 'signal',
]);

function fail(message: string): never {
  throw new JsyncInputError(message);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(`option ${name}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function resolveOptions(options: JsyncOptions = {}, pairs: number): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) fail(`unknown option '${key}'`);
  const o = options;
  const epsilon = o.epsilon ?? 1e-2;
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) fail(`option epsilon: expected a positive number, got ${o.epsilon}`);
  const maxIters = o.maxIters ?? 1000;
  if (!Number.isSafeInteger(maxIters) || maxIters < 1) fail(`option maxIters: expected a positive integer, got ${o.maxIters}`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) fail(`option seed: expected an integer, got ${o.seed}`);
  if (o.jWeighting !== undefined && typeof o.jWeighting !== 'boolean') fail(`option jWeighting: expected true or false`);
  if (o.shift !== undefined && typeof o.shift !== 'boolean') fail(`option shift: expected true or false`);
  if (o.relaxedSimd !== undefined && typeof o.relaxedSimd !== 'boolean') fail(`option relaxedSimd: expected true or false`);
  let init: ResolvedOptions['init'];
  if (o.init instanceof Float64Array) {
    if (o.init.length !== pairs) fail(`option init: the start vector has ${o.init.length} entries, expected ${pairs}`);
    if (!o.init.every(Number.isFinite) || o.init.every((x) => x === 0)) fail('option init: the start vector must be finite and nonzero');
    init = o.init;
  } else {
    init = oneOf('init', o.init, ['data', 'random'] as const, 'data');
  }
  const method = oneOf('method', o.method, ['lobpcg', 'power'] as const, 'lobpcg');
  const backend = oneOf('backend', o.backend, ['auto', 'wasm', 'reference'] as const, 'auto');
  if (o.threads !== undefined && (!Number.isSafeInteger(o.threads) || o.threads < 1)) fail(`option threads: expected a positive integer, got ${o.threads}`);
  if (o.memoryBudget !== undefined && (typeof o.memoryBudget !== 'number' || !(o.memoryBudget > 0))) fail(`option memoryBudget: expected a positive number of bytes, got ${o.memoryBudget}`);
  const codes = oneOf('codes', o.codes, ['auto', 'cached', 'paged', 'streaming'] as const, 'auto');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') fail('option onProgress: expected a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail('option signal: expected an AbortSignal');
  return {
    epsilon, maxIters, seed, jWeighting: o.jWeighting ?? false, init, method, shift: o.shift ?? true, backend,
    threads: o.threads, memoryBudget: o.memoryBudget, codes, relaxedSimd: o.relaxedSimd ?? true, onProgress: o.onProgress, signal: o.signal,
  };
}

export type { FloatArray };
