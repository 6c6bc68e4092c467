/**
 * The Wasm backend: AssemblyScript SIMD kernels on a memory this module owns, on one thread
 * or on a pool of worker threads sharing that memory.
 *
 * prepare() lays the estimates out per row (see assembly/layout.ts), computes the row Gram
 * terms and the float32 filter copy, and — when the codes fit the memory budget — classifies
 * every triplet once into 2-bit codes: in the Wasm memory ('cached'), or, past what one Wasm
 * memory holds, in stores kept by the thread that owns each chunk ('paged'). Otherwise every
 * product reclassifies row by row ('streaming'). With J-weighting every product recomputes
 * the residuals (see assembly/weighted.ts).
 *
 * The work is split into chunks that depend on n only (chunks.ts); each chunk has its own
 * partial output, summed in chunk order, so the results are bitwise the same for any number
 * of threads.
 */
import type { FloatArray, JsyncBackend, JsyncProblem, PrepareOptions, ProductMode } from '../backend.js';
import { JsyncInputError } from '../errors.js';
import { pairCount, tripletCount } from '../pairs.js';
import { partition, type Chunk } from './chunks.js';
import { instantiateKernels, kernelModule } from './kernels.js';
import { localLane, workerLane, type RunnerLane } from './lanes.js';
import { codeBytes, MAX_WASM_BYTES, planMemory, unpackRowCodes, WASM_PAGE, type CodeStorage, type MemoryMap } from './memory-map.js';
import type { RunnerSetup } from './runner.js';

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
 * Decides where the codes go and checks that the problem fits at all, in order of speed:
 * codes in the Wasm memory, codes paged per thread (beyond 4 GiB), then streaming. The float32
 * filter copy (~22·n² bytes, classification ~3× faster, same codes) counts as part of the
 * problem's data; it is dropped only where nothing fits otherwise, or where cached codes are
 * forced. With J-weighting nothing is classified in bulk: no codes, no filter.
 */
function choosePlan(n: number, elementBytes: number, heapBase: number, chunks: Chunk[], lanes: number, options: PrepareOptions): MemoryMap {
  const budget = options.memoryBudget;
  const fits = (map: MemoryMap) => map.totalBytes <= Math.min(budget, MAX_WASM_BYTES) && map.totalBytes + map.pagedBytes <= budget;
  const plan = (codes: CodeStorage, filter: boolean) => planMemory({ n, elementBytes, heapBase, chunks, lanes, codes, filter });
  const limitText = (map: MemoryMap) =>
    map.totalBytes > MAX_WASM_BYTES ? 'one Wasm memory holds at most 4 GiB' : `the memory budget is ${formatBytes(budget)}`;

  const candidates: Array<[CodeStorage, boolean]> = [];
  if (options.jWeighting) {
    candidates.push(['none', false]);
  } else {
    const forced = options.codes === 'cached' || options.codes === 'paged';
    if (options.codes === 'auto' || options.codes === 'cached') candidates.push(['memory', true]);
    if (options.codes !== 'streaming') candidates.push(['paged', true]);
    if (options.codes === 'cached') candidates.push(['memory', false]);
    if (forced) candidates.push(['paged', false]);
    else candidates.push(['none', true], ['none', false]);
  }
  let last: MemoryMap | undefined;
  for (const [codes, filter] of candidates) {
    last = plan(codes, filter);
    if (fits(last)) return last;
  }
  const smallest = last!;
  const need = formatBytes(smallest.totalBytes + smallest.pagedBytes);
  if (options.codes === 'cached' || options.codes === 'paged') {
    throw new JsyncInputError(`n = ${n} needs ${need} of memory with cached codes, but ${limitText(smallest)}`);
  }
  throw new JsyncInputError(`n = ${n} needs ${need} of Wasm memory even without cached codes, but ${limitText(smallest)}`);
}

function modeOf(map: MemoryMap, jWeighting: boolean): ProductMode {
  if (jWeighting) return 'recompute';
  return map.codes === 'memory' ? 'cached' : map.codes === 'paged' ? 'paged' : 'streaming';
}

class WasmProblem implements JsyncProblem {
  readonly pairs: number;
  readonly mode: ProductMode;
  readonly cached: boolean;
  classifySeconds = 0;
  /** Triplets that the float32 filter left to float64 in the classification (diagnostics). */
  filterRechecks = 0;
  private memory: WebAssembly.Memory | undefined;
  /** Chunk indices per lane: chunk c belongs to lane c mod lanes (paged codes stay there). */
  private readonly assignment: number[][];

  private readonly stop = () => this.lanes.forEach((lane) => void lane.terminate());

  constructor(
    readonly n: number,
    memory: WebAssembly.Memory,
    private readonly map: MemoryMap,
    private readonly chunks: Chunk[],
    private readonly lanes: RunnerLane[],
    jWeighting: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.pairs = pairCount(n);
    this.memory = memory;
    this.mode = modeOf(map, jWeighting);
    this.cached = map.codes !== 'none';
    this.assignment = lanes.map((_, lane) => chunks.map((c) => c.index).filter((c) => c % lanes.length === lane));
    // An abort stops the workers at once, even inside a long kernel call; the pending call rejects.
    signal?.addEventListener('abort', this.stop, { once: true });
  }

  get threads(): number {
    return this.lanes.length;
  }

  get memoryBytes(): number {
    return (this.memory ? this.memory.buffer.byteLength : 0) + this.map.pagedBytes;
  }

  private buffer(): ArrayBufferLike {
    if (!this.memory) throw new Error('this J-synchronization problem was disposed');
    return this.memory.buffer;
  }

  async classify(): Promise<void> {
    const start = performance.now();
    const rechecks = await Promise.all(this.lanes.map((lane, k) => lane.classify(this.assignment[k])));
    this.filterRechecks = rechecks.reduce((a, b) => a + b, 0);
    this.classifySeconds = (performance.now() - start) / 1000;
  }

  async multiply(v: Float64Array, y: Float64Array): Promise<void> {
    const { map, lanes } = this;
    const buffer = this.buffer();
    new Float64Array(buffer, map.v, this.pairs).set(v);
    await Promise.all(lanes.map((lane, k) => lane.product(this.assignment[k])));
    // Gather the partial outputs, each lane a range of pairs (same sums in the same order).
    const step = Math.ceil(this.pairs / lanes.length);
    await Promise.all(lanes.map((lane, k) => lane.reduce(Math.min(this.pairs, k * step), Math.min(this.pairs, (k + 1) * step))));
    y.set(new Float64Array(buffer, map.partials[0], this.pairs));
  }

  async anchorCodes(): Promise<Uint8Array> {
    const { n } = this;
    // Chunk 0, which holds row i = 0, is lane 0's.
    const packed = await this.lanes[0].anchorCodes();
    const out = new Uint8Array(((n - 1) * (n - 2)) / 2);
    unpackRowCodes(packed, n, 0, out, 0);
    return out;
  }

  /** Every code, unpacked (codes in memory only). */
  allCodes(): Uint8Array {
    const { map, n } = this;
    if (map.codes !== 'memory') throw new Error('allCodes() needs the codes in memory');
    const out = new Uint8Array(tripletCount(n));
    let dst = 0;
    for (const chunk of this.chunks) {
      const packed = new Uint8Array(this.buffer(), map.chunkCodes[chunk.index], map.chunkCodeBytes[chunk.index]);
      for (let i = chunk.i0; i < chunk.i1; i++) dst = unpackRowCodes(packed.subarray(codeBytes(n, chunk.i0, i)), n, i, out, dst);
    }
    return out;
  }

  dispose(): void {
    // Workers stop at once (also mid-computation); dropping the memory lets the engine free it.
    this.signal?.removeEventListener('abort', this.stop);
    this.stop();
    this.memory = undefined;
  }
}

async function prepareWasm(rijs: FloatArray, n: number, options: PrepareOptions): Promise<WasmProblem> {
  const heapBase = await kernelHeapBase();
  const elementBytes = rijs instanceof Float32Array ? 4 : 8;
  const chunks = partition(n);
  const lanes = Math.max(1, Math.min(options.threads, chunks.length));
  const map = choosePlan(n, elementBytes, heapBase, chunks, lanes, options);
  const pages = Math.ceil(map.totalBytes / WASM_PAGE);
  const shared = lanes > 1;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  } catch (error) {
    throw new JsyncInputError(`n = ${n} needs ${formatBytes(map.totalBytes)} of Wasm memory, which could not be allocated (${(error as Error).message})`);
  }
  const module = await kernelModule(shared ? 'threads' : 'simd');
  const kernels = await instantiateKernels(memory, module);
  const buffer = memory.buffer;
  writeRows(rijs, n, elementBytes === 4 ? new Float32Array(buffer, map.rows, 9 * map.pairs) : new Float64Array(buffer, map.rows, 9 * map.pairs));
  kernels.initSignTable(map.signTable);
  (elementBytes === 4 ? kernels.rowGramF32 : kernels.rowGramF64)(map.rows, n, map.gram0, map.gram1);
  if (map.filter) (elementBytes === 4 ? kernels.buildFilterF32 : kernels.buildFilterF64)(map.rows, map.gram0, map.gram1, n, map.filter);

  const setup = (lane: number): RunnerSetup => ({ map, chunks, lane, jWeighting: options.jWeighting });
  const runnerLanes: RunnerLane[] = [];
  const stopAll = () => runnerLanes.forEach((lane) => void lane.terminate());
  options.signal?.addEventListener('abort', stopAll, { once: true });
  try {
    if (shared) {
      const started = await Promise.allSettled(Array.from({ length: lanes }, (_, k) => workerLane(module, memory, setup(k))));
      for (const result of started) if (result.status === 'fulfilled') runnerLanes.push(result.value);
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } else {
      runnerLanes.push(localLane(kernels, memory, setup(0)));
    }
    const problem = new WasmProblem(n, memory, map, chunks, runnerLanes, options.jWeighting, options.signal);
    if (problem.cached) await problem.classify();
    return problem;
  } catch (error) {
    stopAll();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
  }
}

export const wasmBackend: JsyncBackend & { available(): Promise<boolean> } = {
  name: 'wasm',
  /** Whether this runtime can compile the SIMD kernels. */
  async available(): Promise<boolean> {
    try {
      await kernelModule('simd');
      return true;
    } catch {
      return false;
    }
  },
  prepare(rijs: FloatArray, n: number, options: PrepareOptions): Promise<JsyncProblem> {
    return prepareWasm(rijs, n, options);
  },
  async classifyAll(rijs: FloatArray, n: number): Promise<Uint8Array> {
    const problem = await prepareWasm(rijs, n, { jWeighting: false, memoryBudget: MAX_WASM_BYTES, threads: 1, codes: 'cached' });
    try {
      return problem.allCodes();
    } finally {
      problem.dispose();
    }
  },
};
