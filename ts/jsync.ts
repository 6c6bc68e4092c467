/**
 * `jsync(rijs, options)`: J-synchronization of n(n−1)/2 relative-rotation estimates.
 *
 * validate → probe → backend.prepare (classify once, or plan streaming) → start vector →
 * LOBPCG steps (or the power method) → signs (signs[0] = +1; −1 means "J-conjugate this estimate").
 */
import type { BackendName, Estimates, JsyncBackend, ProductMode } from './backend.js';
import { JsyncAbortError, JsyncInputError, throwIfAborted } from './errors.js';
import { resolveOptions, type JsyncOptions, type ResolvedOptions } from './options.js';
import { pairCount, tripletCount } from './pairs.js';
import { lobpcg, type LobpcgVectors } from './lobpcg.js';
import { powerMethod, typescriptPasses } from './power.js';
import { probe, type Capabilities } from './probe.js';
import { referenceBackend } from './reference.js';
import { dataStart, normalize, randomStart } from './start.js';
import { validateShape } from './validate.js';
import { wasmBackend } from './wasm/backend.js';

export interface JsyncResult {
  n: number;
  pairs: number;
  /** ±1 per estimate, signs[0] = +1; −1: J-conjugate this estimate. */
  signs: Int8Array;
  /** Iterations performed: products with S (one per LOBPCG or power step). */
  iterations: number;
  /** Whether the last residual fell below epsilon (false: stopped at maxIters). */
  converged: boolean;
  /** After each iteration, ‖y − v‖ for the iterate v and its power step y = S·v/‖S·v‖ (shifted steps: (S + c)·v, normalized). */
  residuals: number[];
  /** The last residual. */
  residual: number;
  /** Rayleigh quotient vᵀSv of the last iterate (unit norm) before its power step: the leading eigenvalue. */
  eigenvalue: number;
  backend: BackendName;
  /** Threads the run used: fewer than option threads asked for when the problem does not split that far (with a warning). */
  threads: number;
  /** Whether the Wasm kernels ran in their relaxed-SIMD build (option relaxedSimd; same results). */
  relaxedSimd: boolean;
  /** Whether the triplet codes were computed once and cached. */
  cached: boolean;
  /** How products were computed: 'cached' codes, 'streaming' (reclassified per product) or 'recompute'. */
  mode: ProductMode;
  init: 'data' | 'random' | 'given';
  /** The iteration that ran (option method). */
  method: 'lobpcg' | 'power';
  /** Whether power steps ran shifted (option shift, method 'power'). */
  shift: boolean;
  /** Seconds per phase: classify (once, cached mode), start vector, iterate, total. */
  seconds: { classify: number; start: number; iterate: number; total: number };
  /** Bytes of backend memory the run held. */
  memoryBytes: number;
  /** Things the caller should know (a fallback taken, an option that could not be honoured). */
  warnings: string[];
}

/**
 * LOBPCG's spare vectors: p and S·p in the backend's work vectors other than the start's, the
 * product's input and output in its own arrays (see JsyncProblem).
 */
function lobpcgVectors(work: Float64Array[] | undefined, start: Float64Array, product: [Float64Array, Float64Array] | undefined): LobpcgVectors {
  const spare = (work ?? []).filter((vector) => !(vector.buffer === start.buffer && vector.byteOffset === start.byteOffset));
  return { p: spare[0], q: spare[1], w: product?.[0], aw: product?.[1] };
}

async function chooseBackend(choice: 'auto' | 'wasm' | 'reference', caps: Capabilities, warnings: string[]): Promise<JsyncBackend> {
  if (choice === 'reference') return referenceBackend;
  if (caps.wasmSimd) return wasmBackend;
  if (choice === 'wasm') throw new JsyncInputError('backend wasm: this runtime cannot compile WebAssembly SIMD');
  warnings.push('WebAssembly SIMD is unavailable here: using the slow reference backend');
  return referenceBackend;
}

/**
 * Below this many triplets a default (not user-set) thread count is 1: starting workers
 * (~30 ms each) would cost more than they save. The result does not depend on it.
 */
const THREADS_WORTH_IT = 2e6;

export function chooseThreads(requested: number | undefined, n: number, backend: BackendName, caps: Capabilities, warnings: string[]): number {
  if (backend !== 'wasm') {
    if (requested !== undefined && requested > 1) warnings.push(`threads: the ${backend} backend runs on one thread`);
    return 1;
  }
  const wanted = requested ?? (tripletCount(n) < THREADS_WORTH_IT ? 1 : caps.cores);
  if (wanted > 1 && !(caps.sharedMemory && caps.crossOriginIsolated)) {
    warnings.push(
      caps.runtime === 'browser' && !caps.crossOriginIsolated
        ? 'threads: the page is not cross-origin isolated (no SharedArrayBuffer): running on one thread'
        : 'threads: shared WebAssembly memory is unavailable here: running on one thread',
    );
    return 1;
  }
  return wanted;
}

/**
 * Gets ready, ahead of time, what `jsync()` will need for n images with these options: starts
 * its worker threads (each takes 0.1–0.2 s to boot; they boot on their own; in Node a small
 * run takes the calling thread as one of its threads, so there is one worker fewer) and, in the
 * background, runs the kernels once on a tiny problem so that the engine compiles their fast
 * code (~50 ms of this thread). Resolves once the threads exist. Call it before reading or
 * generating the input; waiting workers do not keep a Node process alive. Never rejects: a
 * problem with the options or the runtime is reported by `jsync()` itself.
 */
export async function prewarm(n: number, options: Pick<JsyncOptions, 'backend' | 'threads' | 'relaxedSimd'> = {}): Promise<void> {
  try {
    if (!(Number.isSafeInteger(n) && n >= 3)) return;
    const caps = await probe();
    const backend = await chooseBackend(options.backend ?? 'auto', caps, []);
    await backend.prewarm?.(n, chooseThreads(options.threads, n, backend.name, caps, []), options.relaxedSimd !== false);
  } catch {
    // jsync() reports it.
  }
}

/**
 * J-synchronizes `rijs`: a Float64Array or Float32Array of 9P entries (P = n(n−1)/2 row-major
 * 3×3 blocks in pair order), or an EstimateSource that reads them into the backend's memory.
 */
export async function jsync(rijs: Estimates, options: JsyncOptions = {}): Promise<JsyncResult> {
  const n = validateShape(rijs);
  const o = resolveOptions(options, pairCount(n));
  try {
    return await run(rijs, n, o, options);
  } catch (error) {
    // Whatever an abort interrupted (a worker stopped mid-call, say), it is an abort.
    throw o.signal?.aborted ? new JsyncAbortError() : error;
  }
}

async function run(rijs: Estimates, n: number, o: ResolvedOptions, options: JsyncOptions): Promise<JsyncResult> {
  const started = performance.now();
  const pairs = pairCount(n);
  throwIfAborted(o.signal);
  const caps = await probe();
  const warnings: string[] = [];
  const backend = await chooseBackend(o.backend, caps, warnings);
  const threads = chooseThreads(o.threads, n, backend.name, caps, warnings);
  if (o.method === 'lobpcg' && options.shift === false) warnings.push("shift: false ignored: LOBPCG steps do not depend on a shift (method: 'power' runs the original unshifted power method)");
  if (o.jWeighting && o.codes !== 'auto') warnings.push(`codes: '${o.codes}' ignored: with J-weighting every product recomputes the residuals`);
  throwIfAborted(o.signal);

  const problem = await backend.prepare(rijs, n, {
    jWeighting: o.jWeighting,
    memoryBudget: o.memoryBudget ?? caps.defaultMemoryBudget,
    threads,
    codes: o.codes,
    relaxedSimd: o.relaxedSimd,
    signal: o.signal,
  });
  // The work splits into chunks of rows (ts/wasm/chunks.ts): a small problem has fewer than
  // the threads asked for, and runs on as many.
  if (o.threads !== undefined && problem.threads < threads) warnings.push(`threads: ${threads} asked, ${problem.threads} used: n = ${n} does not split into more shares of work`);
  try {
    throwIfAborted(o.signal);
    const startBegan = performance.now();
    // The iterates in the backend's own spare memory where it has some (the data-built start
    // may land in the first already).
    const work = problem.workVectors?.();
    let start: Float64Array;
    if (o.init instanceof Float64Array) start = normalize(Float64Array.from(o.init));
    else if (o.init === 'random') start = randomStart(pairs, o.seed);
    else start = problem.dataStart ? await problem.dataStart() : await dataStart(problem, work?.[1]);
    const iterateBegan = performance.now();
    const shifted = o.method === 'power' && o.shift;
    const stopping = { epsilon: o.epsilon, maxIters: o.maxIters, onProgress: o.onProgress, signal: o.signal };
    const power =
      o.method === 'lobpcg'
        ? await lobpcg(problem, start, lobpcgVectors(work, start, problem.productVectors?.()), stopping)
        : await powerMethod(problem, start, work?.[1], {
            ...stopping,
            // Each triplet adds to S a 3 × 3 block D·W·D on its pairs (D: its node signs; W: zero
            // diagonal, the edge weights in [0, 1] off it, all 1 without J-weighting), whose
            // eigenvalues are ≥ −1 (≥ −√2 with weights: the smallest over the corners of [0, 1]³),
            // and every pair lies in n − 2 triplets: S ⪰ −(n − 2)·I (−√2·(n − 2)·I).
            spectrumFloor: shifted ? (n - 2) * (o.jWeighting ? Math.SQRT2 : 1) : undefined,
          });
    const finished = performance.now();
    if (!power.converged) warnings.push(`did not converge: residual ${power.residuals.at(-1)} after ${power.iterations} iterations (epsilon ${o.epsilon})`);
    return {
      n,
      pairs,
      signs: (problem.powerPasses?.() ?? typescriptPasses).signsOf(power.vector),
      iterations: power.iterations,
      converged: power.converged,
      residuals: power.residuals,
      residual: power.residuals.at(-1) ?? NaN,
      eigenvalue: power.eigenvalue,
      backend: backend.name,
      threads: problem.threads,
      relaxedSimd: problem.relaxedSimd,
      cached: problem.cached,
      mode: problem.mode,
      init: o.init instanceof Float64Array ? 'given' : o.init,
      method: o.method,
      shift: shifted,
      seconds: {
        classify: problem.classifySeconds,
        start: (iterateBegan - startBegan) / 1000,
        iterate: (finished - iterateBegan) / 1000,
        total: (finished - started) / 1000,
      },
      memoryBytes: problem.memoryBytes,
      warnings,
    };
  } finally {
    problem.dispose();
  }
}
