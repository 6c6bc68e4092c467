/**
 * The Wasm backend: AssemblyScript SIMD kernels on a memory this module owns.
 *
 * prepare() lays the estimates out per row (see assembly/layout.ts), computes the row Gram
 * terms, and — when the codes fit the memory budget — classifies every triplet once into
 * 2-bit codes ("cached"). Otherwise every product reclassifies row by row ("streaming").
 * With J-weighting every product recomputes the residuals (see assembly/weighted.ts).
 */
import type { FloatArray, JsyncBackend, JsyncProblem, PrepareOptions, ProductMode } from '../backend.js';
import { JsyncInputError } from '../errors.js';
import { pairCount, tripletCount } from '../pairs.js';
import { instantiateKernels, simdKernelModule, type KernelExports } from './kernels.js';
import { codeBytes, MAX_WASM_BYTES, planMemory, unpackRowCodes, WASM_PAGE, type MemoryMap } from './memory-map.js';

/** Heap base of the kernels' static data; read once from a throwaway instance. */
let heapBasePromise: Promise<number> | undefined;
function kernelHeapBase(): Promise<number> {
  heapBasePromise ??= instantiateKernels(new WebAssembly.Memory({ initial: 1, maximum: 1 })).then((k) => k.heapBase());
  return heapBasePromise;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Copies the estimates (P × 9, row-major blocks) into the row layout of assembly/layout.ts. */
function writeRows(rijs: FloatArray, n: number, target: Float64Array | Float32Array): void {
  let pair = 0;
  for (let i = 0; i < n - 1; i++) {
    const len = n - 1 - i;
    const base = 9 * pair;
    for (let t = 0; t < len; t++, pair++) {
      const src = 9 * pair;
      for (let e = 0; e < 9; e++) target[base + e * len + t] = rijs[src + e];
    }
  }
}

/**
 * Decides cached or streaming and checks that the problem fits at all. The float32 filter copy
 * (the fast classification path, ~22·n² bytes) counts as part of the problem's own data: the
 * codes are cached when they fit next to it. It is dropped only where the problem would not
 * fit otherwise (or where cached codes are forced); without it the codes are the same, only
 * classification is ~3× slower. With J-weighting nothing is classified in bulk: no filter.
 */
function choosePlan(n: number, elementBytes: number, heapBase: number, options: PrepareOptions): MemoryMap {
  const limit = Math.min(options.memoryBudget, MAX_WASM_BYTES);
  const limitText = () =>
    options.memoryBudget < MAX_WASM_BYTES ? `the memory budget is ${formatBytes(options.memoryBudget)}` : 'one Wasm memory holds at most 4 GiB';
  const plan = (cacheCodes: boolean, filter: boolean) => planMemory(n, elementBytes, heapBase, cacheCodes, filter);
  const filter = !options.jWeighting;
  const wantCache = !options.jWeighting && options.codes !== 'streaming';
  if (wantCache) {
    const cached = plan(true, filter);
    if (cached.totalBytes <= limit) return cached;
    if (options.codes === 'cached') {
      const lean = plan(true, false);
      if (lean.totalBytes <= limit) return lean;
      throw new JsyncInputError(`n = ${n} needs ${formatBytes(lean.totalBytes)} of Wasm memory with cached codes, but ${limitText()}`);
    }
  }
  const streaming = plan(false, filter);
  if (streaming.totalBytes <= limit) return streaming;
  const lean = plan(false, false);
  if (lean.totalBytes <= limit) return lean;
  throw new JsyncInputError(`n = ${n} needs ${formatBytes(lean.totalBytes)} of Wasm memory even without cached codes, but ${limitText()}`);
}

class WasmProblem implements JsyncProblem {
  readonly pairs: number;
  readonly threads = 1;
  readonly mode: ProductMode;
  readonly cached: boolean;
  classifySeconds = 0;
  /** Triplets that the float32 filter left to float64 in the last classification (diagnostics). */
  filterRechecks = 0;
  private memory: WebAssembly.Memory | undefined;
  private readonly f32: boolean;

  constructor(
    readonly n: number,
    private readonly kernels: KernelExports,
    memory: WebAssembly.Memory,
    private readonly map: MemoryMap,
    private readonly jWeighting: boolean,
  ) {
    this.pairs = pairCount(n);
    this.memory = memory;
    this.f32 = map.elementBytes === 4;
    this.cached = map.codes >= 0;
    this.mode = jWeighting ? 'recompute' : this.cached ? 'cached' : 'streaming';
  }

  get memoryBytes(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  private buffer(): ArrayBuffer {
    if (!this.memory) throw new Error('this J-synchronization problem was disposed');
    return this.memory.buffer as ArrayBuffer;
  }

  classify(): void {
    const { kernels: k, map, n } = this;
    const start = performance.now();
    this.filterRechecks = (this.f32 ? k.classifyF32 : k.classifyF64)(map.rows, map.gram0, map.gram1, map.filter, n, 0, n - 2, map.codes);
    this.classifySeconds = (performance.now() - start) / 1000;
  }

  async multiply(v: Float64Array, y: Float64Array): Promise<void> {
    const { kernels: k, map, n } = this;
    const buffer = this.buffer();
    const vView = new Float64Array(buffer, map.v, this.pairs);
    const yView = new Float64Array(buffer, map.y, this.pairs);
    vView.set(v);
    yView.fill(0);
    if (this.jWeighting) {
      (this.f32 ? k.productWeightedF32 : k.productWeightedF64)(map.rows, n, 0, n - 2, map.v, map.y);
    } else {
      if (this.cached) k.productCached(map.codes, map.signTable, n, 0, n - 2, map.v, map.y);
      else (this.f32 ? k.productStreamingF32 : k.productStreamingF64)(map.rows, map.gram0, map.gram1, map.filter, map.signTable, n, 0, n - 2, map.v, map.y, map.scratch);
      k.subtractDiagonal(map.v, map.y, this.pairs, n);
    }
    y.set(yView);
  }

  async anchorCodes(): Promise<Uint8Array> {
    const { kernels: k, map, n } = this;
    let packedAt = map.codes;
    if (!this.cached) {
      (this.f32 ? k.classifyF32 : k.classifyF64)(map.rows, map.gram0, map.gram1, map.filter, n, 0, 1, map.anchorCodes);
      packedAt = map.anchorCodes;
    }
    const out = new Uint8Array(((n - 1) * (n - 2)) / 2);
    unpackRowCodes(new Uint8Array(this.buffer(), packedAt, map.codesBytes || out.length), n, 0, out, 0);
    return out;
  }

  /** Every code, unpacked (cached problems only). */
  allCodes(): Uint8Array {
    const { map, n } = this;
    const packed = new Uint8Array(this.buffer(), map.codes, map.codesBytes);
    const out = new Uint8Array(tripletCount(n));
    let src = 0;
    let dst = 0;
    for (let i = 0; i < n - 2; i++) {
      dst = unpackRowCodes(packed.subarray(src), n, i, out, dst);
      src += codeBytes(n, i, i + 1);
    }
    return out;
  }

  dispose(): void {
    // Dropping the only reference lets the engine free the memory.
    this.memory = undefined;
  }
}

async function prepareWasm(rijs: FloatArray, n: number, options: PrepareOptions, forceCache = false): Promise<WasmProblem> {
  const heapBase = await kernelHeapBase();
  const elementBytes = rijs instanceof Float32Array ? 4 : 8;
  const map = forceCache ? planMemory(n, elementBytes, heapBase, true) : choosePlan(n, elementBytes, heapBase, options);
  if (map.totalBytes > MAX_WASM_BYTES) throw new JsyncInputError(`n = ${n} needs ${formatBytes(map.totalBytes)} of Wasm memory; one Wasm memory holds at most 4 GiB`);
  const pages = Math.ceil(map.totalBytes / WASM_PAGE);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch (error) {
    throw new JsyncInputError(`n = ${n} needs ${formatBytes(map.totalBytes)} of Wasm memory, which could not be allocated (${(error as Error).message})`);
  }
  const kernels = await instantiateKernels(memory);
  const buffer = memory.buffer as ArrayBuffer;
  writeRows(rijs, n, elementBytes === 4 ? new Float32Array(buffer, map.rows, 9 * map.pairs) : new Float64Array(buffer, map.rows, 9 * map.pairs));
  kernels.initSignTable(map.signTable);
  (elementBytes === 4 ? kernels.rowGramF32 : kernels.rowGramF64)(map.rows, n, map.gram0, map.gram1);
  if (map.filter) (elementBytes === 4 ? kernels.buildFilterF32 : kernels.buildFilterF64)(map.rows, map.gram0, map.gram1, n, map.filter);
  const problem = new WasmProblem(n, kernels, memory, map, options.jWeighting);
  if (problem.cached) problem.classify();
  return problem;
}

export const wasmBackend: JsyncBackend & { available(): Promise<boolean> } = {
  name: 'wasm',
  /** Whether this runtime can compile the SIMD kernels. */
  async available(): Promise<boolean> {
    try {
      await simdKernelModule();
      return true;
    } catch {
      return false;
    }
  },
  prepare(rijs: FloatArray, n: number, options: PrepareOptions): Promise<JsyncProblem> {
    return prepareWasm(rijs, n, options);
  },
  async classifyAll(rijs: FloatArray, n: number): Promise<Uint8Array> {
    const problem = await prepareWasm(rijs, n, { jWeighting: false, memoryBudget: MAX_WASM_BYTES, threads: 1, codes: 'cached' }, true);
    try {
      return problem.allCodes();
    } finally {
      problem.dispose();
    }
  },
};
