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
import { estimatesArray, isEstimateArray, type Estimates, type FloatArray, type JsyncBackend, type JsyncProblem, type PrepareOptions, type ProductMode } from '../backend.js';
import { JsyncAbortError, JsyncInputError, throwIfAborted, untilAborted } from '../errors.js';
import { pairCount, pairsBeforeRow, tripletCount } from '../pairs.js';
import { partition, type Chunk } from './chunks.js';
import { instantiateKernels, kernelLayout, kernelModule, kernelsValid, kernelVariant, relaxedSimdAccepted, type KernelExports } from './kernels.js';
import { localLane, prewarmWorkers, spawnWorker, workerLane, type RunnerLane } from './lanes.js';
import { isNode, type Lane } from '../threads/lane.js';
import { codeBytes, gatherLayout, MAX_WASM_BYTES, planMemory, unpackRowCodes, WASM_PAGE, type CodeStorage, type KernelLayout, type MemoryMap } from './memory-map.js';
import { writeRows, type RunnerSetup } from './runner.js';
import { warmKernels } from './warmup.js';
import { nonFiniteError } from '../validate.js';
import { votingRows } from '../start.js';
import { typescriptLobpcgPasses, type LobpcgPasses } from '../lobpcg.js';
import { typescriptPasses, type PowerPasses } from '../power.js';


function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/**
 * Decides where the codes go and checks that the problem fits at all, in order of speed:
 * codes in the Wasm memory, codes paged per thread (beyond 4 GiB), then streaming. The float32
 * filter copy (~22·n² bytes, classification ~3× faster, same codes) counts as part of the
 * problem's data; it is dropped only where nothing fits otherwise, or where cached codes are
 * forced. With J-weighting nothing is classified in bulk: no codes, no filter.
 */
function choosePlan(
  n: number, elementBytes: number, kernel: KernelLayout, chunks: Chunk[], lanes: number, input: boolean, deferRechecks: boolean, options: PrepareOptions,
): MemoryMap {
  const budget = options.memoryBudget;
  const fits = (map: MemoryMap) => map.totalBytes <= Math.min(budget, MAX_WASM_BYTES) && map.totalBytes + map.pagedBytes <= budget;
  const plan = (codes: CodeStorage, filter: boolean) => planMemory({ n, elementBytes, kernel, chunks, lanes, codes, filter, input, deferRechecks });
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
  const plans = candidates.map(([codes, filter]) => plan(codes, filter));
  const chosen = plans.find(fits);
  if (chosen) return chosen;
  // Nothing fits: say what the leanest of the allowed layouts would need.
  const need = (map: MemoryMap) => map.totalBytes + map.pagedBytes;
  const smallest = plans.reduce((a, b) => (need(b) < need(a) ? b : a));
  const how = smallest.codes === 'none' ? 'without cached codes' : 'with cached codes';
  throw new JsyncInputError(`n = ${n} needs ${formatBytes(need(smallest))} of memory at the least (${how}), but ${limitText(smallest)}`);
}

/**
 * Up to this many triplets, a threaded run in Node takes the calling thread as one of its
 * lanes (the last), next to threads − 1 workers: a worker costs ~0.15 s of CPU and ~14 MB of
 * fresh pages to boot here. Larger runs use workers only: measured in turns with 2 threads,
 * the calling thread as a lane was 1.05× faster at n = 1000 but 0.96× at n = 2000 (its
 * products ran 4–10% slower there), and a long run then leaves the calling thread free. In
 * browsers every lane is a worker, so that the page stays responsive. Which thread runs a
 * lane never changes the results.
 */
const CALLER_LANE_MAX_TRIPLETS = 4e8;

function callerIsLane(n: number): boolean {
  return isNode && tripletCount(n) <= CALLER_LANE_MAX_TRIPLETS;
}

/** Worker threads a run on `lanes` lanes for n images starts. */
function workerCount(lanes: number, n: number): number {
  return lanes === 1 ? 0 : callerIsLane(n) ? lanes - 1 : lanes;
}

/** Zeroes the work counter that the lanes of the next parallel phase take units from. */
function resetCounter(buffer: ArrayBufferLike, map: MemoryMap): void {
  Atomics.store(new Int32Array(buffer, map.counter, 1), 0, 0);
}

/**
 * Most pairs that deferred rechecks gather into their table (beyond it, or beyond the table's
 * room, the estimates are read whole again). Infinity but in tests, which lower it to take the
 * other path.
 */
export const gatherLimit = { pairs: Infinity };

/**
 * A classification with deferred rechecks could not finish: the filter copy is not usable
 * (entries beyond its range) or more triplets were undecided than the lists hold. The
 * preparation starts again without deferral (same codes, more memory).
 */
class DeferralFailed extends Error {}

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
  /** 'paged': per lane, the chunks whose codes it holds (their products run there). */
  private held: number[][] = [];

  private readonly stop = () => this.lanes.forEach((lane) => void lane.terminate());

  constructor(
    readonly n: number,
    memory: WebAssembly.Memory,
    private readonly map: MemoryMap,
    private readonly chunks: Chunk[],
    private readonly lanes: RunnerLane[],
    /** An instance on this thread, for the small serial kernels, and its module. */
    private readonly kernels: KernelExports,
    private readonly module: WebAssembly.Module,
    private readonly jWeighting: boolean,
    private readonly signal: AbortSignal | undefined,
    readonly relaxedSimd: boolean,
  ) {
    this.pairs = pairCount(n);
    this.memory = memory;
    this.mode = modeOf(map, jWeighting);
    this.cached = map.codes !== 'none';
    // An abort stops the workers at once, even inside a long kernel call; the pending call rejects.
    signal?.addEventListener('abort', this.stop, { once: true });
    if (signal?.aborted) this.stop();
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

  /**
   * Set by the first product when v and the partial outputs overwrite the estimates, and by
   * a classification with deferred rechecks, which overwrites its own inputs as it goes (the
   * estimates with codes, the filter copy with the second read).
   */
  private estimatesGone = false;

  /**
   * Classifies every triplet once. With deferred rechecks, `readPairs(target, first, end)`
   * puts the estimates of pairs first ≤ p < end (pair order) at `target` again, for the float64
   * decisions of the listed triplets (gatherEstimates). Throws DeferralFailed when a list
   * overflowed.
   */
  async classify(readPairs: ((target: number, first: number, end: number) => Promise<void>) | null): Promise<void> {
    if (this.estimatesGone) throw new Error('classify() again: the estimates were overwritten (by a product, or by the classification itself; see memory-map.ts)');
    const start = performance.now();
    resetCounter(this.buffer(), this.map);
    const classified = Promise.all(this.lanes.map((lane) => lane.classify()));
    classified.catch(() => undefined); // surfaces below, after the warm-up
    // Workers classify; meanwhile this thread gets the product kernel compiled (warmup.ts),
    // unless prewarm() did already.
    if (this.lanes.length > 1 && !callerIsLane(this.n)) await warmKernels(this.module, true).catch(() => undefined);
    const shares = await classified;
    this.filterRechecks = shares.reduce((sum, share) => sum + share.rechecks, 0);
    this.held = shares.map((share) => share.chunks);
    if (this.map.deferRechecks) {
      this.estimatesGone = true;
      if (shares.some((share) => share.overflowed)) throw new DeferralFailed('more undecided triplets than the recheck lists hold');
      if (this.filterRechecks > 0) {
        if (!readPairs) throw new Error('classify(): deferred rechecks need the estimates again');
        const gathered = await this.gatherEstimates(shares.map((share) => share.rechecks), readPairs);
        throwIfAborted(this.signal);
        await Promise.all(this.lanes.map((lane) => lane.recheck(gathered)));
      }
    }
    this.classifySeconds = (performance.now() - start) / 1000;
  }

  /**
   * Deferred rechecks: marks the pairs of the listed triplets (`listed[lane]` entries in each
   * lane's list) and, while the estimates stream through staging areas in the dead filter
   * copy's pages, copies those pairs to their slots of a table there (memory-map.ts
   * gatherLayout, assembly/gather.ts); returns true. When they do not fit the table, reads the
   * estimates whole at the map's `reread` instead and returns false. Gathering writes only
   * pages that the filter copy used; the whole second read also writes ~14·n² bytes of fresh
   * ones (float64), and the rechecks then read pages that only the kernel's copy touched,
   * each a fault of its own on this VM.
   */
  private async gatherEstimates(listed: number[], readPairs: (target: number, first: number, end: number) => Promise<void>): Promise<boolean> {
    const { map, kernels } = this;
    const at = gatherLayout(map);
    new Uint8Array(this.buffer(), at.bitmap, 8 * at.words).fill(0);
    listed.forEach((count, lane) => kernels.markRecheckPairs(map.recheckLists[lane], count, map.n, at.bitmap));
    const needed = kernels.rankPairs(at.bitmap, at.words, at.counts);
    if (needed > Math.min(at.tableRoom, gatherLimit.pairs)) {
      await untilAborted(readPairs(map.reread, 0, map.pairs), this.signal);
      return false;
    }
    const gather = map.elementBytes === 4 ? kernels.gatherPairsF32 : kernels.gatherPairsF64;
    // Runs of pairs, read in turn into the two staging areas: the next run is on its way (on
    // another core) while this one is gathered.
    const runs = Math.ceil(map.pairs / at.stagingPairs);
    const read = (run: number) => {
      const p0 = run * at.stagingPairs;
      const reading = readPairs(at.staging[run % 2], p0, Math.min(map.pairs, p0 + at.stagingPairs));
      reading.catch(() => undefined); // surfaces where awaited
      return reading;
    };
    const inFlight = [read(0), runs > 1 ? read(1) : Promise.resolve()];
    for (let run = 0; run < runs; run++) {
      await untilAborted(inFlight[run % 2], this.signal);
      const p0 = run * at.stagingPairs;
      gather(at.staging[run % 2], p0, Math.min(map.pairs, p0 + at.stagingPairs), at.bitmap, at.counts, at.table);
      if (run + 2 < runs) inFlight[run % 2] = read(run + 2);
    }
    return true;
  }

  /** Not re-entrant: one product at a time (v and the partial outputs live in shared memory). */
  async multiply(v: Float64Array, y: Float64Array): Promise<void> {
    const { map, lanes } = this;
    if (v.length !== this.pairs || y.length !== this.pairs) throw new Error(`multiply: vectors must have ${this.pairs} entries`);
    const buffer = this.buffer();
    this.estimatesGone ||= map.reuseEstimates;
    if (!this.at(v, map.v)) new Float64Array(buffer, map.v, this.pairs).set(v);
    // Paged codes are multiplied where they are held; otherwise lanes take chunks as they go.
    const paged = map.codes === 'paged';
    if (!paged) resetCounter(buffer, map);
    await Promise.all(lanes.map((lane, k) => lane.product(paged ? this.held[k] : null)));
    // Gather the partial outputs, each lane a range of pairs (same sums in the same order).
    const step = Math.ceil(this.pairs / lanes.length);
    await Promise.all(lanes.map((lane, k) => lane.reduce(Math.min(this.pairs, k * step), Math.min(this.pairs, (k + 1) * step))));
    if (!this.at(y, map.partials[0])) y.set(new Float64Array(buffer, map.partials[0], this.pairs));
  }

  /**
   * S′·v over the triplets with first image < rows, v already at the map's `v`, into chunk 0's
   * partial output (which holds every pair); returns its address. The chunks of those rows add
   * in one after the other, in chunk order, each on a lane that has its codes (paged: the one
   * holding it), so the sums do not depend on the number of threads. The rank-one updates of
   * the product kernels add each pair's own entry once per triplet (with J-weighting they do
   * not): that diagonal goes again, n − 2 times for pairs (j, k) with j < rows (all their
   * triplets vote), `rows` times for the others.
   */
  private async leadingVotes(rows: number): Promise<number> {
    const { map, lanes, n } = this;
    const sum = map.partials[0];
    new Float64Array(this.buffer(), sum, this.pairs).fill(0);
    for (const chunk of this.chunks) {
      if (chunk.i0 >= rows) break;
      const holder = map.codes === 'paged' ? this.held.findIndex((chunks) => chunks.includes(chunk.index)) : 0;
      await lanes[holder].leadingRows(chunk.index, rows);
    }
    if (!this.jWeighting) {
      const leading = pairsBeforeRow(n, rows);
      this.kernels.subtractDiagonal(map.v, sum, leading, n); // n − 2 times
      this.kernels.subtractDiagonal(map.v + 8 * leading, sum + 8 * leading, this.pairs - leading, rows + 2); // rows times
    }
    return sum;
  }

  async multiplyRows(v: Float64Array, y: Float64Array, rows: number): Promise<void> {
    const { map } = this;
    if (v.length !== this.pairs || y.length !== this.pairs) throw new Error(`multiplyRows: vectors must have ${this.pairs} entries`);
    const buffer = this.buffer();
    this.estimatesGone ||= map.reuseEstimates;
    new Float64Array(buffer, map.v, this.pairs).set(v);
    const votes = await this.leadingVotes(Math.max(0, Math.min(rows, this.n - 2)));
    y.set(new Float64Array(buffer, votes, this.pairs));
  }

  /** Packed codes of row i = 0 (a copy). */
  private packedAnchorCodes(): Promise<Uint8Array> {
    // Row i = 0 is in chunk 0; paged, only the lane that classified it holds its codes.
    const holder = this.map.codes === 'paged' ? this.held.findIndex((chunks) => chunks.includes(0)) : 0;
    return this.lanes[holder].anchorCodes();
  }

  async anchorCodes(): Promise<Uint8Array> {
    const { n } = this;
    const out = new Uint8Array(((n - 1) * (n - 2)) / 2);
    unpackRowCodes(await this.packedAnchorCodes(), n, 0, out, 0);
    return out;
  }

  /** The iterates in pages of this memory that nothing else uses by then (see memory-map.ts). */
  workVectors(): Float64Array[] | undefined {
    const { map } = this;
    if (!map.work) return undefined;
    this.estimatesGone ||= map.reuseEstimates;
    const buffer = this.buffer();
    return map.work.map((at) => new Float64Array(buffer, at, this.pairs));
  }

  /** v and y of the products: the map's v and chunk 0's partial output, which receives the sum. */
  productVectors(): [Float64Array, Float64Array] {
    const { map } = this;
    this.estimatesGone ||= map.reuseEstimates;
    const buffer = this.buffer();
    return [new Float64Array(buffer, map.v, this.pairs), new Float64Array(buffer, map.partials[0], this.pairs)];
  }

  /** Whether `a` is the view of this memory at `address` (then a product need not copy it). */
  private at(a: Float64Array, address: number): boolean {
    return this.holds(a) && a.byteOffset === address;
  }

  /**
   * The power method's passes as kernels (assembly/iterate.ts, bitwise power.ts's) for iterates
   * in this memory, the work vectors; the TypeScript ones for any other array. The kernels are
   * compiled and warmed up with the rest, where the TypeScript loops would run their first
   * calls unoptimized (~10 ms at n = 1000).
   */
  powerPasses(): PowerPasses {
    return this.passes;
  }

  private readonly passes: PowerPasses = {
    dotAndNorms: (v, y) => {
      if (!(this.holds(v) && this.holds(y))) return typescriptPasses.dotAndNorms(v, y);
      this.kernels.dotAndNorms(v.byteOffset, y.byteOffset, v.length, this.map.sums);
      const sums = this.sums(3);
      return [sums[0], sums[1], sums[2]];
    },
    shiftScaleAndDiff: (y, shift, scale, v) => {
      if (!(this.holds(v) && this.holds(y))) return typescriptPasses.shiftScaleAndDiff(y, shift, scale, v);
      return this.kernels.shiftScaleAndDiff(y.byteOffset, shift, scale, v.byteOffset, y.length);
    },
    // Into chunk 0's partial output (8P bytes, dead once the last product has been copied out).
    signsOf: (v) => {
      if (!this.holds(v) || v.length !== this.pairs || v.byteOffset === this.map.partials[0]) return typescriptPasses.signsOf(v);
      this.kernels.signsOf(v.byteOffset, v.length, this.map.partials[0]);
      return new Int8Array(this.buffer(), this.map.partials[0], v.length).slice();
    },
  };

  /** LOBPCG's passes as kernels (assembly/lobpcg.ts, bitwise lobpcg.ts's) where every vector is in this memory. */
  lobpcgPasses(): LobpcgPasses {
    return this.lobpcgKernels;
  }

  private readonly lobpcgKernels: LobpcgPasses = {
    firstDirection: (x, ax, w) => {
      if (!this.holdsAll(x, ax, w)) return typescriptLobpcgPasses.firstDirection(x, ax, w);
      this.kernels.lobpcgFirstDirection(x.byteOffset, ax.byteOffset, w.byteOffset, x.length, this.map.sums);
      const sums = this.sums(3);
      return [sums[0], sums[1], sums[2]];
    },
    gram: (x, w, p, q, aw, a, withP, out) => {
      if (!this.holdsAll(x, w, p, q, aw)) return typescriptLobpcgPasses.gram(x, w, p, q, aw, a, withP, out);
      this.kernels.lobpcgGram(x.byteOffset, w.byteOffset, p.byteOffset, q.byteOffset, aw.byteOffset, a, withP ? 1 : 0, x.length, this.map.sums);
      out.fill(0);
      out.set(this.sums(withP ? 18 : 9));
    },
    update: (x, w, p, q, aw, a, cx, cw, cp, sp, ia, withP) => {
      if (!this.holdsAll(x, w, p, q, aw)) return typescriptLobpcgPasses.update(x, w, p, q, aw, a, cx, cw, cp, sp, ia, withP);
      return this.kernels.lobpcgUpdate(x.byteOffset, w.byteOffset, p.byteOffset, q.byteOffset, aw.byteOffset, a, cx, cw, cp, sp, ia, withP ? 1 : 0, x.length);
    },
    powerStep: (x, w) => {
      if (!this.holdsAll(x, w)) return typescriptLobpcgPasses.powerStep(x, w);
      this.kernels.addInto(x.byteOffset, w.byteOffset, x.length);
    },
  };

  /** The first `count` float64 that a pass kernel wrote to the map's sums. */
  private sums(count: number): Float64Array {
    return new Float64Array(this.buffer(), this.map.sums, count);
  }

  /** Whether every one of `arrays` is a whole vector (P entries) in this problem's memory. */
  private holdsAll(...arrays: Float64Array[]): boolean {
    return arrays.every((a) => this.holds(a) && a.length === this.pairs);
  }

  /** Whether `a` is a view into this problem's memory. */
  private holds(a: Float64Array): boolean {
    return this.memory !== undefined && a.buffer === this.memory.buffer;
  }

  /**
   * start.ts dataStart(this), computed here: the anchor kernel, the votes of the leading rows
   * and the averaging kernel, each bitwise the TypeScript step it replaces.
   */
  async dataStart(): Promise<Float64Array> {
    const { map, n } = this;
    let codes = map.chunkCodes[0];
    if (map.codes !== 'memory') {
      const packed = await this.packedAnchorCodes();
      new Uint8Array(this.buffer(), map.anchorCodes, packed.length).set(packed);
      codes = map.anchorCodes;
    }
    // Into the first work vector (see workVectors), else where the first product reads v from
    // (it copies v there anyway) and out. The votes read it at v.
    this.estimatesGone ||= map.reuseEstimates;
    const target = map.work ? map.work[0] : map.v;
    this.kernels.anchorStart(codes, n, map.startScratch, target);
    const buffer = this.buffer();
    if (target !== map.v) new Float64Array(buffer, map.v, this.pairs).set(new Float64Array(buffer, target, this.pairs));
    const rows = votingRows(n);
    const votes = await this.leadingVotes(rows);
    this.kernels.averageVotes(target, votes, this.pairs, pairsBeforeRow(n, rows), n, rows, map.startScratch);
    const start = new Float64Array(this.buffer(), target, this.pairs);
    return map.work ? start : start.slice();
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

/**
 * Inputs of at least this many bytes take longer to read (~3 ms per MB here) than the
 * warm-up takes (~50 ms), which then costs nothing.
 */
const WARM_WHILE_READING = 16 * 2 ** 20;

/**
 * Prepares with deferred rechecks where the plan allows them (codes in memory with a filter
 * copy: 44·n² bytes less memory), else, or when they fail on this input, without.
 */
async function prepareWasm(estimates: Estimates, n: number, options: PrepareOptions): Promise<WasmProblem> {
  try {
    return await prepareOnce(estimates, n, options, true);
  } catch (error) {
    if (!(error instanceof DeferralFailed)) throw error;
    return prepareOnce(estimates, n, options, false);
  }
}

async function prepareOnce(estimates: Estimates, n: number, options: PrepareOptions, deferRechecks: boolean): Promise<WasmProblem> {
  const { signal } = options;
  throwIfAborted(signal);
  const chunks = partition(n);
  const lanes = Math.max(1, Math.min(options.threads, chunks.length));
  const shared = lanes > 1;
  let spawned: Array<Promise<Lane>> = [];
  const runnerLanes: RunnerLane[] = [];
  const stopAll = () => {
    runnerLanes.forEach((lane) => void lane.terminate());
    spawned.forEach((worker) => void worker.then((w) => w.terminate(), () => undefined));
  };
  signal?.addEventListener('abort', stopAll, { once: true });
  let problem: WasmProblem | undefined;
  try {
    // Workers boot (~100 ms, unless prewarm() started them) while this thread plans, reads,
    // compiles and instantiates.
    spawned = Array.from({ length: workerCount(lanes, n) }, (_, k) => spawnWorker(k));
    spawned.forEach((worker) => worker.catch(() => undefined)); // failures surface where awaited
    const source = isEstimateArray(estimates) ? null : estimates;
    const elementBytes = source ? (source.dtype === 'float32' ? 4 : 8) : estimates instanceof Float32Array ? 4 : 8;
    const map = choosePlan(n, elementBytes, kernelLayout(), chunks, lanes, source !== null, deferRechecks, options);
    const pages = Math.ceil(map.totalBytes / WASM_PAGE);
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
    } catch (error) {
      throw new JsyncInputError(`n = ${n} needs ${formatBytes(map.totalBytes)} of Wasm memory, which could not be allocated (${(error as Error).message})`);
    }
    /**
     * Reads (a source) or copies (an array) the estimates of pairs first ≤ p < end into the
     * memory, laid out in pair order from pair 0 at `at`.
     */
    const deliver = async (at: number, first = 0, end = map.pairs): Promise<FloatArray> => {
      const begin = at + 9 * first * elementBytes;
      const length = 9 * (end - first);
      const view = elementBytes === 4 ? new Float32Array(memory.buffer, begin, length) : new Float64Array(memory.buffer, begin, length);
      if (source) await untilAborted(source.read(view, first), signal);
      else view.set((estimates as FloatArray).subarray(9 * first, 9 * end));
      return view;
    };
    // A source starts reading now, straight into the memory where the map has room for it
    // (else into an array of its own, shared with the workers): everything below happens
    // while Node's I/O threads read. With deferred rechecks an array is copied there too.
    let reading: Promise<FloatArray>;
    if (map.input && (source || map.deferRechecks)) {
      reading = deliver(map.input);
    } else {
      reading = source ? estimatesArray(source, shared) : Promise.resolve(estimates as FloatArray);
    }
    reading.catch(() => undefined); // surfaces where awaited
    const relaxed = options.relaxedSimd !== false && relaxedSimdAccepted();
    const module = await kernelModule(kernelVariant(shared, relaxed));
    const kernels = await instantiateKernels(memory, module);
    kernels.initSignTable(map.signTable);
    throwIfAborted(signal);
    // This thread would only wait for a large input: it gets the kernels' fast code compiled
    // instead (warmup.ts), so that the first rows are prepared and classified at full speed.
    if (source && 9 * map.pairs * elementBytes >= WARM_WHILE_READING) await warmKernels(module, shared).catch(() => undefined);

    const setup = (lane: number): RunnerSetup => ({ map, chunks, lane, jWeighting: options.jWeighting });
    // Workers start while this thread reads and lays out the estimates (when they cannot read
    // them). The calling thread's lane comes last: each phase then sends the workers their
    // requests before this thread starts its own share (which runs ~50 ms before it yields).
    const starting: Array<Promise<RunnerLane>> = [
      ...spawned.map(async (worker, k) => workerLane(await worker, module, memory, setup(k))),
      ...(spawned.length < lanes ? [Promise.resolve(localLane(kernels, memory, setup(lanes - 1)))] : []),
    ];
    starting.forEach((lane) => lane.then((ready) => runnerLanes.push(ready), () => undefined)); // for stopAll; failures surface below
    const rijs = await untilAborted(reading, signal);
    // Workers read the estimates directly when they live in shared memory (a SharedArrayBuffer,
    // or this memory when a source delivered them); otherwise this thread copies them in and
    // the lanes do the rest.
    const direct = !shared || rijs.buffer instanceof SharedArrayBuffer;
    if (!direct) {
      const rows = elementBytes === 4 ? new Float32Array(memory.buffer, map.rows, 9 * map.pairs) : new Float64Array(memory.buffer, map.rows, 9 * map.pairs);
      const firstBad = writeRows(rijs, n, 0, n - 1, rows);
      if (firstBad >= 0) throw nonFiniteError(rijs, firstBad);
    }
    throwIfAborted(signal);

    // Gram terms and the filter copy (and the layout, when direct), rows shared among the lanes;
    // with deferred rechecks, the filter copy alone, from the estimates as given. Each lane
    // joins as soon as it has started (a worker takes 0.1–0.2 s to boot): the others do not
    // wait for it.
    resetCounter(memory.buffer, map);
    const prepared = await Promise.all(starting.map(async (lane) => (await lane).prepareRows(direct && !map.deferRechecks ? rijs : null)));
    const lanesInOrder = await Promise.all(starting);
    const bad = prepared.map((p) => p.firstNonFinite).filter((index) => index >= 0);
    if (bad.length) throw nonFiniteError(rijs, Math.min(...bad));
    if (map.filter) kernels.finishFilter(map.filter, Math.max(...prepared.map((p) => p.maxAbs)));
    if (map.deferRechecks && !(new Float32Array(memory.buffer, map.filter, 1)[0] >= 0)) throw new DeferralFailed('entries too large for the float32 filter');

    problem = new WasmProblem(n, memory, map, chunks, lanesInOrder, kernels, module, options.jWeighting, signal, relaxed);
    throwIfAborted(signal);
    if (problem.cached) {
      // Deferred rechecks read the estimates again once the lanes are done (and only if needed).
      await problem.classify(async (target, first, end) => void (await deliver(target - 9 * first * elementBytes, first, end)));
    }
    return problem;
  } catch (error) {
    stopAll();
    problem?.dispose();
    throw signal?.aborted ? new JsyncAbortError() : error;
  } finally {
    signal?.removeEventListener('abort', stopAll);
  }
}

export const wasmBackend: JsyncBackend & { available(): Promise<boolean>; prewarm(n: number, threads: number, relaxedSimd?: boolean): Promise<void> } = {
  name: 'wasm',
  /** Whether this runtime can compile the SIMD kernels. */
  async available(): Promise<boolean> {
    return kernelsValid('simd');
  },
  prepare(rijs: Estimates, n: number, options: PrepareOptions): Promise<JsyncProblem> {
    return prepareWasm(rijs, n, options);
  },
  /**
   * Starts the workers that prepare() will take for n images on `threads` threads; resolves
   * once they exist. Meanwhile, and after, the kernels they will run get compiled by running
   * them on a tiny problem (warmup.ts), in the background: the caller goes on reading its
   * input, say.
   */
  async prewarm(n: number, threads: number, relaxedSimd?: boolean): Promise<void> {
    const lanes = Math.min(threads, partition(n).length);
    const shared = lanes > 1;
    const variant = kernelVariant(shared, relaxedSimd !== false && relaxedSimdAccepted());
    void kernelModule(variant)
      .then((module: WebAssembly.Module) => warmKernels(module, shared))
      .catch(() => undefined); // prepare() reports what is wrong with the kernels
    if (shared) await prewarmWorkers(workerCount(lanes, n));
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
