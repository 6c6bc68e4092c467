/**
 * The compiled Wasm kernels: one WebAssembly.Module per build variant, compiled once per
 * process and instantiated on a memory that the caller owns (the kernels import it).
 */
import { instantiateSync } from '@assemblyscript/loader';
import { kernelFootprint, simdRelaxedWasm, simdWasm, threadsRelaxedWasm, threadsWasm } from './kernels.generated.js';
import type { KernelLayout } from './memory-map.js';

/** Exports of assembly/index.ts (byte pointers are plain numbers). */
export interface KernelExports {
  heapBase(): number;
  signTableBytes(): number;
  initSignTable(table: number): void;
  rowGramF64(rows: number, n: number, i0: number, i1: number, gram0: number, gram1: number): void;
  rowGramF32(rows: number, n: number, i0: number, i1: number, gram0: number, gram1: number): void;
  /** Writes rows i0 ≤ i < i1 of the float32 filter copy; returns their max|entry|. */
  buildFilterF64(rows: number, gram0: number, gram1: number, n: number, i0: number, i1: number, filter: number): number;
  buildFilterF32(rows: number, gram0: number, gram1: number, n: number, i0: number, i1: number, filter: number): number;
  /** The same copy from the estimates as given (pair order); the result is NaN or +∞ if an entry is not finite. */
  buildFilterFromPairsF64(input: number, n: number, i0: number, i1: number, filter: number): number;
  buildFilterFromPairsF32(input: number, n: number, i0: number, i1: number, filter: number): number;
  /** Writes the filter's error threshold from the largest |entry| of all rows. */
  finishFilter(filter: number, maxAbs: number): void;
  /**
   * `filter` 0: float64 kernel only. `stash`: the lane's own (memory-map.ts), written by every
   * classification kernel. Returns the number of triplets the filter recomputed in float64.
   */
  classifyF64(rows: number, gram0: number, gram1: number, filter: number, n: number, i0: number, i1: number, codes: number, stash: number): number;
  classifyF32(rows: number, gram0: number, gram1: number, filter: number, n: number, i0: number, i1: number, codes: number, stash: number): number;
  /**
   * Codes from the (usable) filter copy alone; lists the undecided triplets at `list` (room for
   * `room` entries). Returns how many it listed, or −1 when they did not fit.
   */
  classifyRangeDeferred(filter: number, n: number, i0: number, i1: number, codes: number, list: number, room: number, stash: number): number;
  /**
   * Decides listed triplets in float64 from the estimates at `input`: as given (pair order)
   * with `bitmap` 0, else gathered at the slots of the marked pairs (assembly/gather.ts).
   */
  recheckDeferredF64(input: number, n: number, list: number, count: number, bitmap: number, counts: number): void;
  recheckDeferredF32(input: number, n: number, list: number, count: number, bitmap: number, counts: number): void;
  /** Marks in the bitmap (one bit per pair) the three pairs of each listed triplet. */
  markRecheckPairs(list: number, count: number, n: number, bitmap: number): void;
  /** counts[w] = marked pairs before 64-bit word w of the bitmap; returns all marked pairs. */
  rankPairs(bitmap: number, words: number, counts: number): number;
  /** Copies the marked pairs among p0 ≤ p < p1 (their estimates at `staging`, pair p0 first) to their slots at `table`. */
  gatherPairsF64(staging: number, p0: number, p1: number, bitmap: number, counts: number, table: number): void;
  gatherPairsF32(staging: number, p0: number, p1: number, bitmap: number, counts: number, table: number): void;
  recheckEntryBytes(): number;
  stashBytes(): number;
  productCached(codes: number, table: number, n: number, i0: number, i1: number, v: number, y: number): void;
  productStreamingF64(rows: number, gram0: number, gram1: number, filter: number, table: number, n: number, i0: number, i1: number, v: number, y: number, scratch: number, stash: number): void;
  productStreamingF32(rows: number, gram0: number, gram1: number, filter: number, table: number, n: number, i0: number, i1: number, v: number, y: number, scratch: number, stash: number): void;
  productWeightedF64(rows: number, n: number, i0: number, i1: number, v: number, y: number): void;
  productWeightedF32(rows: number, n: number, i0: number, i1: number, v: number, y: number): void;
  subtractDiagonal(v: number, y: number, count: number, n: number): void;
  addInto(dst: number, src: number, count: number): void;
  /** The data-built start vector (P float64 at x) from the packed codes of row 0; `scratch`: 3(n − 1) float64. */
  anchorStart(codes: number, n: number, scratch: number, x: number): void;
  /** ts/start.ts averageVotes on P = `pairs` float64 at x, from the votes at `votes`; `leading` = pairs (j, k) with j < rows; `scratch`: n float64. */
  averageVotes(x: number, votes: number, pairs: number, leading: number, n: number, rows: number, scratch: number): void;
  /** power.ts's passes (bitwise): v·y, y·y, v·v as three float64 at `out`. */
  dotAndNorms(v: number, y: number, count: number, out: number): void;
  /** y = (y + shift·v)·scale; returns ‖y − v‖². */
  shiftScaleAndDiff(y: number, shift: number, scale: number, v: number, count: number): number;
  /** sign(v)·sign(v[0]) as int8 at `out`. */
  signsOf(v: number, count: number, out: number): void;
  /** lobpcg.ts's passes (bitwise): a, ‖w‖², x·ax as three float64 at `out`. */
  lobpcgFirstDirection(x: number, ax: number, w: number, count: number, out: number): void;
  /** The 9 (18 with p) Gram sums as float64 at `out`; withP: 0 or 1. */
  lobpcgGram(x: number, w: number, p: number, q: number, aw: number, a: number, withP: number, count: number, out: number): void;
  /** The step in place; returns ‖w‖². */
  lobpcgUpdate(x: number, w: number, p: number, q: number, aw: number, a: number, cx: number, cw: number, cp: number, sp: number, ia: number, withP: number, count: number): number;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * 'simd': imports a plain memory (one thread). 'threads': imports a shared memory, so that
 * worker threads can run the same kernels on the same data. Same source, same arithmetic.
 * The 'Relaxed' builds of each use relaxed SIMD's fused multiply-add in the float32
 * classification filter (assembly/classify.ts mulAdd): its values differ, its decisions
 * never do, so codes, products and signs are bitwise those of the plain builds.
 */
export type KernelVariant = 'simd' | 'threads' | 'simdRelaxed' | 'threadsRelaxed';

const SOURCES: Record<KernelVariant, string> = {
  simd: simdWasm,
  threads: threadsWasm,
  simdRelaxed: simdRelaxedWasm,
  threadsRelaxed: threadsRelaxedWasm,
};

const bytes = new Map<KernelVariant, Uint8Array<ArrayBuffer>>();

function kernelBytes(variant: KernelVariant): Uint8Array<ArrayBuffer> {
  let decoded = bytes.get(variant);
  if (!decoded) {
    decoded = decodeBase64(SOURCES[variant]) as Uint8Array<ArrayBuffer>;
    bytes.set(variant, decoded);
  }
  return decoded;
}

/** The variant for a memory that is `shared` or not, with relaxed SIMD or without. */
export function kernelVariant(shared: boolean, relaxed: boolean): KernelVariant {
  if (shared) return relaxed ? 'threadsRelaxed' : 'threads';
  return relaxed ? 'simdRelaxed' : 'simd';
}

/**
 * Whether this runtime accepts the relaxed-SIMD kernels: Chromium and Node ≥ 22 do; Node 20
 * only with V8's --experimental-wasm-relaxed-simd (which the command line sets, see
 * ts/cli/relaxed-simd.ts). A yes is kept (the flag, once set, stays); a no is asked anew
 * (validating the module takes ~0.2 ms here): the flag can be set after start-up.
 */
let relaxedAccepted = false;
export function relaxedSimdAccepted(): boolean {
  relaxedAccepted ||= kernelsValid('simdRelaxed');
  return relaxedAccepted;
}

/**
 * Whether this runtime accepts the kernels (Wasm SIMD; 'threads' also needs Wasm threads):
 * validation only, which is synchronous and cheap, where compiling takes a background thread
 * and tens of milliseconds.
 */
export function kernelsValid(variant: KernelVariant = 'simd'): boolean {
  try {
    return WebAssembly.validate(kernelBytes(variant));
  } catch {
    return false;
  }
}

const compiled = new Map<KernelVariant, Promise<WebAssembly.Module>>();

/** The compiled kernels, once per variant. Rejects where the runtime lacks Wasm SIMD. */
export function kernelModule(variant: KernelVariant = 'simd'): Promise<WebAssembly.Module> {
  let module = compiled.get(variant);
  if (!module) {
    module = WebAssembly.compile(kernelBytes(variant));
    compiled.set(variant, module);
  }
  return module;
}

/**
 * The kernels' own footprint (the same in every variant), recorded when they were built
 * (scripts/build-wasm.js), so that a run can lay out its memory before compiling anything.
 */
export function kernelLayout(): KernelLayout {
  return { ...kernelFootprint };
}

/**
 * Instantiates `module` (or the variant matching `memory`) on `memory`. Synchronously, from the
 * compiled module: the loader's asynchronous `instantiate` first asks whether its argument is
 * a fetch `Response`, and in Node the first look at the global `Response` loads the whole
 * fetch implementation (~40 ms, on this thread and again in every worker). Instantiating a
 * compiled module this small is quick and allowed on a browser's main thread too.
 */
export async function instantiateKernels(memory: WebAssembly.Memory, module?: WebAssembly.Module): Promise<KernelExports> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const compiledModule = module ?? (await kernelModule(kernelVariant(shared, false)));
  const { exports } = instantiateSync<Record<string, unknown>>(compiledModule, { env: { memory } });
  return exports as unknown as KernelExports;
}
