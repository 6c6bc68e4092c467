/**
 * Runs the kernels on one lane: the main thread, or one worker thread on a shared memory
 * (ts/wasm/worker.ts). Everything a lane does goes through this class, so one thread and many
 * threads execute exactly the same operations. The units of work (row ranges, kernel calls,
 * chunks of ts/wasm/chunks.ts) are fixed by n; lanes only decide who runs which.
 */
import type { FloatArray } from '../backend.js';
import { pairsBeforeRow } from '../pairs.js';
import { codeBytes, gatherLayout, RECHECK_ENTRY_BYTES, type MemoryMap } from './memory-map.js';
import type { KernelExports } from './kernels.js';
import { ROW_BLOCK, type Chunk } from './chunks.js';

export interface RunnerSetup {
  map: MemoryMap;
  chunks: Chunk[];
  lane: number;
  jWeighting: boolean;
}

/**
 * Kernel calls cover at most this many rows i: V8 has no on-stack replacement for Wasm, so a
 * single long call would run entirely in the baseline compiler (measured: classification
 * 0.28 vs 0.46 G triplets/s); short calls switch to optimized code once it is ready. Calls
 * start at multiples of ROW_BLOCK rows; how a chunk is cut into calls does not change the
 * results (see I_BLOCK in assembly/layout.ts).
 */
const ROWS_PER_CALL = 32;

/** Deferred rechecks per kernel call (see ROWS_PER_CALL). */
const RECHECKS_PER_CALL = 256;

/**
 * Copies the estimates of rows i0 ≤ i < i1 (P × 9, row-major blocks) into the row layout of
 * assembly/layout.ts, checking that they are finite on the way; returns the input index of
 * the first non-finite value, or −1.
 */
export function writeRows(rijs: FloatArray, n: number, i0: number, i1: number, target: Float64Array | Float32Array): number {
  let pair = pairsBeforeRow(n, i0);
  let bad = -1;
  for (let i = i0; i < i1; i++) {
    const len = n - 1 - i;
    const base = 9 * pair;
    for (let t = 0; t < len; t++, pair++) {
      const src = 9 * pair;
      for (let e = 0; e < 9; e++) {
        const x = rijs[src + e];
        // x − x is NaN exactly when x is NaN or ±Infinity.
        if (x - x !== 0 && bad < 0) bad = src + e;
        target[base + e * len + t] = x;
      }
    }
  }
  return bad;
}

export interface PreparedRows {
  /** Input index of the first non-finite value of these rows, or −1. */
  firstNonFinite: number;
  /** Largest |entry| of these rows (for the filter's error threshold), 0 without a filter. */
  maxAbs: number;
}

/** What a lane's share of the classification left behind. */
export interface ClassifiedShare {
  /** Triplets that the float32 filter left to float64 (deferred rechecks: listed in this lane's list). */
  rechecks: number;
  /** Deferred rechecks: the lane's list overflowed, so the codes are incomplete. */
  overflowed: boolean;
  /** 'paged': the chunks whose codes this lane now holds (their products must run here). */
  chunks: number[];
}

/**
 * Row ranges that preparation hands out, about equal in pairs. More than there are lanes, so
 * that a lane on a slower (or busier) core simply takes fewer of them.
 */
const PREPARE_UNITS = 16;

/** Rows [0, n − 1) split into at most `parts` non-empty ranges of about equal numbers of pairs. */
export function rowRanges(n: number, parts: number): Array<[number, number]> {
  const pairs = (n * (n - 1)) / 2;
  const ranges: Array<[number, number]> = [];
  let i0 = 0;
  let done = 0;
  for (let part = 0; part < parts && i0 < n - 1; part++) {
    let i1 = i0;
    const target = ((part + 1) * pairs) / parts;
    while (i1 < n - 1 && (part === parts - 1 || done < target)) done += n - 1 - i1++;
    if (i1 === i0) continue; // more parts than rows need: an earlier range went past this share
    ranges.push([i0, i1]);
    i0 = i1;
  }
  return ranges;
}

/**
 * Runs a lane's share of one parallel phase. The lanes of a phase take units from one shared
 * counter (reset by the main thread before it sends the phase), so each lane does as many as
 * its core gets through: the machine's cores need not be equally fast. Which lane runs a unit
 * never changes what the unit computes, nor where it writes, so results do not depend on it.
 * A generator, so that a lane on the main thread can yield to the event loop between units.
 */
function* drain(counter: () => Int32Array, count: number, unit: (index: number) => Generator<void, void> | void): Generator<void, void> {
  for (;;) {
    const index = Atomics.add(counter(), 0, 1);
    if (index >= count) return;
    const steps = unit(index);
    if (steps) yield* steps; // a long unit yields between its kernel calls
    yield;
  }
}

/** Runs a phase generator to its end in one go (worker threads). */
export function finish<T>(phase: Generator<void, T>): T {
  for (;;) {
    const step = phase.next();
    if (step.done) return step.value;
  }
}

/** Classification work: rows a ≤ i < b of one chunk (one kernel call, or one window when paged). */
interface Piece {
  chunk: number;
  a: number;
  b: number;
}

export class ChunkRunner {
  private readonly f32: boolean;
  /** Deferred rechecks: entries in this lane's list, or −1 once it overflowed. */
  private listed = 0;
  /** 'paged': the codes of this lane's chunks, by chunk index. */
  private readonly stores = new Map<number, Uint8Array>();

  constructor(
    private readonly kernels: KernelExports,
    private readonly memory: WebAssembly.Memory,
    private readonly setup: RunnerSetup,
  ) {
    this.f32 = setup.map.elementBytes === 4;
  }

  private bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, length);
  }

  private readonly counter = () => new Int32Array(this.memory.buffer, this.setup.map.counter, 1);

  /** Sub-ranges [a, b) of a chunk's rows for one kernel call (and, paged, one window). */
  private *pieces(chunk: Chunk): Generator<[number, number]> {
    const { n, codes, windowBytes } = this.setup.map;
    let a = chunk.i0;
    while (a < chunk.i1) {
      let b = Math.min(chunk.i1, a + ROW_BLOCK);
      while (b < chunk.i1 && b - a < ROWS_PER_CALL) {
        const next = Math.min(chunk.i1, b + ROW_BLOCK);
        if (codes === 'paged' && codeBytes(n, a, next) > windowBytes) break;
        b = next;
      }
      yield [a, b];
      a = b;
    }
  }

  private classifyInto(a: number, b: number, at: number): number {
    const { kernels: k, setup } = this;
    const m = setup.map;
    return (this.f32 ? k.classifyF32 : k.classifyF64)(m.rows, m.gram0, m.gram1, m.filter, m.n, a, b, at, m.stash[setup.lane]);
  }

  /**
   * Lays out (when `rijs` is given; else the caller already did), then computes the row Gram
   * terms and the float32 filter copy of rows i0 ≤ i < i1. Rows are independent: lanes can
   * prepare disjoint ranges at the same time (and touch their memory pages in parallel).
   */
  prepareRows(i0: number, i1: number, rijs: FloatArray | null): PreparedRows {
    const { kernels: k } = this;
    const m = this.setup.map;
    if (m.deferRechecks) {
      // The filter copy straight from the estimates as given (at m.input); nothing else.
      const maxAbs = (this.f32 ? k.buildFilterFromPairsF32 : k.buildFilterFromPairsF64)(m.input, m.n, i0, i1, m.filter);
      if (Number.isFinite(maxAbs)) return { firstNonFinite: -1, maxAbs };
      const first = 9 * pairsBeforeRow(m.n, i0);
      const end = 9 * pairsBeforeRow(m.n, i1);
      const input = this.f32 ? new Float32Array(this.memory.buffer, m.input, end) : new Float64Array(this.memory.buffer, m.input, end);
      let bad = first;
      while (bad < end && Number.isFinite(input[bad])) bad++;
      return { firstNonFinite: bad, maxAbs: 0 };
    }
    let bad = -1;
    if (rijs) {
      const target = this.f32 ? new Float32Array(this.memory.buffer, m.rows, 9 * m.pairs) : new Float64Array(this.memory.buffer, m.rows, 9 * m.pairs);
      bad = writeRows(rijs, m.n, i0, i1, target);
      if (bad >= 0) return { firstNonFinite: bad, maxAbs: 0 };
    }
    (this.f32 ? k.rowGramF32 : k.rowGramF64)(m.rows, m.n, i0, i1, m.gram0, m.gram1);
    const maxAbs = m.filter ? (this.f32 ? k.buildFilterF32 : k.buildFilterF64)(m.rows, m.gram0, m.gram1, m.n, i0, i1, m.filter) : 0;
    return { firstNonFinite: bad, maxAbs };
  }

  /** This lane's share of preparing every row (see prepareRows), taken from the shared counter. */
  *prepareShare(rijs: FloatArray | null): Generator<void, PreparedRows> {
    const ranges = rowRanges(this.setup.map.n, PREPARE_UNITS);
    let firstNonFinite = -1;
    let maxAbs = 0;
    yield* drain(this.counter, ranges.length, (u) => {
      const rows = this.prepareRows(ranges[u][0], ranges[u][1], rijs);
      if (rows.firstNonFinite >= 0 && (firstNonFinite < 0 || rows.firstNonFinite < firstNonFinite)) firstNonFinite = rows.firstNonFinite;
      maxAbs = Math.max(maxAbs, rows.maxAbs);
    });
    return { firstNonFinite, maxAbs };
  }

  /**
   * The classification's units: every kernel call of every chunk when the codes stay in the
   * shared memory (pieces write disjoint bytes, any lane can do any of them); whole chunks when
   * they are paged (a chunk's codes then live with the lane that classified it).
   */
  private classifyPieces(): Piece[] {
    const { map, chunks } = this.setup;
    if (map.codes === 'paged') return chunks.map((chunk) => ({ chunk: chunk.index, a: chunk.i0, b: chunk.i1 }));
    return chunks.flatMap((chunk) => [...this.pieces(chunk)].map(([a, b]) => ({ chunk: chunk.index, a, b })));
  }

  /** Classifies a piece; returns the number of rechecks. Paged, it yields between windows. */
  private *classifyPiece({ chunk: c, a, b }: Piece): Generator<void, number> {
    const m = this.setup.map;
    const chunk = this.setup.chunks[c];
    if (m.deferRechecks) {
      if (this.listed < 0) return 0; // overflowed: the classification starts again without deferral
      const list = m.recheckLists[this.setup.lane] + this.listed * RECHECK_ENTRY_BYTES;
      const added = this.kernels.classifyRangeDeferred(m.filter, m.n, a, b, m.chunkCodes[c] + codeBytes(m.n, chunk.i0, a), list, m.recheckRoom - this.listed, m.stash[this.setup.lane]);
      this.listed = added < 0 ? -1 : this.listed + added;
      return Math.max(added, 0);
    }
    if (m.codes === 'memory') return this.classifyInto(a, b, m.chunkCodes[c] + codeBytes(m.n, chunk.i0, a));
    // Paged: the whole chunk, window by window, into a store this lane keeps.
    let rechecks = 0;
    const store = new Uint8Array(m.chunkCodeBytes[c]);
    const window = m.windows[this.setup.lane];
    for (const [a, b] of this.pieces(chunk)) {
      rechecks += this.classifyInto(a, b, window);
      store.set(this.bytes(window, codeBytes(m.n, a, b)), codeBytes(m.n, chunk.i0, a));
      yield;
    }
    this.stores.set(c, store);
    return rechecks;
  }

  /** This lane's share of classifying every triplet once, taken from the shared counter. */
  *classifyShare(): Generator<void, ClassifiedShare> {
    if (this.setup.map.codes === 'none') return { rechecks: 0, overflowed: false, chunks: [] };
    this.stores.clear(); // a classification again: another lane may take a chunk this one held
    this.listed = 0;
    const pieces = this.classifyPieces();
    let rechecks = 0;
    const runner = this;
    yield* drain(this.counter, pieces.length, function* (u) {
      rechecks += yield* runner.classifyPiece(pieces[u]);
    });
    return { rechecks, overflowed: this.listed < 0, chunks: [...this.stores.keys()] };
  }

  /**
   * Deferred rechecks: decides the triplets this lane listed while classifying, in float64,
   * from the estimates gathered into the table of gatherLayout (`gathered`), else read again
   * whole at the map's `reread`. Every code byte belongs to one row, classified by one lane,
   * so lanes patch disjoint bytes.
   */
  recheck(gathered: boolean): void {
    const m = this.setup.map;
    if (!m.deferRechecks) return;
    const recheck = this.f32 ? this.kernels.recheckDeferredF32 : this.kernels.recheckDeferredF64;
    const at = gathered ? gatherLayout(m) : null;
    // In short calls, like the kernel calls of ROWS_PER_CALL: optimized code, once V8 has it,
    // only serves calls that start after it is ready.
    for (let from = 0; from < this.listed; from += RECHECKS_PER_CALL) {
      const list = m.recheckLists[this.setup.lane] + from * RECHECK_ENTRY_BYTES;
      const count = Math.min(RECHECKS_PER_CALL, this.listed - from);
      if (at) recheck(at.table, m.n, list, count, at.bitmap, at.counts);
      else recheck(m.reread, m.n, list, count, 0, 0);
    }
  }

  /** Partial product of chunk c into its own partial output (zeroed first); yields between kernel calls. */
  private *productChunk(c: number): Generator<void, void> {
    const m = this.setup.map;
    new Float64Array(this.memory.buffer, m.partials[c], m.pairs - m.partialBase[c]).fill(0);
    // The kernels index y by pair; this chunk's region holds pairs from partialBase[c] on.
    yield* this.addProduct(c, this.setup.chunks[c].i1, m.partials[c] - 8 * m.partialBase[c]);
  }

  /**
   * Adds to y (indexed by pair) the contributions of the triplets of chunk c whose first image
   * is below rowEnd; yields between kernel calls.
   */
  private *addProduct(c: number, rowEnd: number, y: number): Generator<void, void> {
    const { kernels: k, setup } = this;
    const m = setup.map;
    const chunk = setup.chunks[c];
    if (setup.jWeighting) {
      const end = Math.min(chunk.i1, rowEnd);
      if (chunk.i0 < end) (this.f32 ? k.productWeightedF32 : k.productWeightedF64)(m.rows, m.n, chunk.i0, end, m.v, y);
      return;
    }
    for (const [a, pieceEnd] of this.pieces(chunk)) {
      if (a >= rowEnd) return;
      const b = Math.min(pieceEnd, rowEnd);
      const offset = codeBytes(m.n, chunk.i0, a);
      if (m.codes === 'memory') {
        k.productCached(m.chunkCodes[c] + offset, m.signTable, m.n, a, b, m.v, y);
      } else if (m.codes === 'paged') {
        const window = m.windows[setup.lane];
        const store = this.stores.get(c);
        if (!store) throw new Error(`chunk ${c} has no codes on lane ${setup.lane}`);
        const length = codeBytes(m.n, a, b);
        this.bytes(window, length).set(store.subarray(offset, offset + length));
        k.productCached(window, m.signTable, m.n, a, b, m.v, y);
      } else {
        const scratch = m.scratch[setup.lane];
        (this.f32 ? k.productStreamingF32 : k.productStreamingF64)(m.rows, m.gram0, m.gram1, m.filter, m.signTable, m.n, a, b, m.v, y, scratch, m.stash[setup.lane]);
      }
      yield;
    }
  }

  /**
   * Adds to chunk 0's partial output (which the caller zeroed) the contributions of the
   * triplets of chunk c whose first image is below rowEnd: a share of WasmProblem.multiplyRows.
   */
  *leadingRows(c: number, rowEnd: number): Generator<void, void> {
    yield* this.addProduct(c, rowEnd, this.setup.map.partials[0]);
  }

  /**
   * This lane's share of one product: the given chunks (paged codes: the ones it holds), or,
   * with `null`, chunks taken from the shared counter.
   */
  *productShare(chunks: number[] | null): Generator<void, void> {
    if (chunks === null) {
      yield* drain(this.counter, this.setup.chunks.length, (c) => this.productChunk(c));
      return;
    }
    for (const c of chunks) {
      yield* this.productChunk(c);
      yield;
    }
  }

  /**
   * y[p] = Σ_c partial_c[p] for p0 ≤ p < p1, summed in chunk order into chunk 0's partial
   * (then minus the diagonal the rank-one updates add, without J-weighting).
   */
  reduce(p0: number, p1: number): void {
    const { kernels: k, setup } = this;
    const m = setup.map;
    for (let c = 1; c < m.partials.length; c++) {
      const lo = Math.max(p0, m.partialBase[c]);
      if (lo < p1) k.addInto(m.partials[0] + 8 * lo, m.partials[c] + 8 * (lo - m.partialBase[c]), p1 - lo);
    }
    if (!setup.jWeighting && p1 > p0) k.subtractDiagonal(m.v + 8 * p0, m.partials[0] + 8 * p0, p1 - p0, m.n);
  }

  /** Packed codes of row i = 0 (on the lane that owns chunk 0, or any lane when streaming). */
  anchorCodes(): Uint8Array {
    const m = this.setup.map;
    const length = codeBytes(m.n, 0, 1);
    if (m.codes === 'memory') return this.bytes(m.chunkCodes[0], length).slice();
    if (m.codes === 'paged') {
      const store = this.stores.get(0);
      if (!store) throw new Error(`chunk 0 has no codes on lane ${this.setup.lane}`);
      return store.slice(0, length);
    }
    this.classifyInto(0, 1, m.anchorCodes);
    return this.bytes(m.anchorCodes, length).slice();
  }
}
