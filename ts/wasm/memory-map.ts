/**
 * Where everything lives in the Wasm memory of one problem. The kernels (assembly/) only get
 * pointers from here; the formulas below mirror assembly/layout.ts.
 *
 * Regions, each 64-byte aligned and padded so that the SIMD loops' reads past the end of a
 * region (and the reads of up to three entries before a row's start by the float64
 * classification kernel and by the products, in v and the partial outputs, which land in the
 * previous region's padding) stay inside memory: sign table,
 * the lanes' work counter, estimates (row layout), row Gram terms (2 × P float64), the
 * float32 filter copy of the estimates (classification's fast path, see
 * assembly/classify.ts; optional), v, one partial output per chunk (ts/wasm/chunks.ts) and
 * the iterates (WORK_VECTORS; these overlap the estimates when codes are kept), scratch codes and a stash per lane,
 * anchor codes, the start vector's scratch, and the codes (in memory, or one paging window per lane). Estimates
 * that a source delivers in pair order share the pages after the estimates (see `input`).
 *
 * With deferred rechecks (codes in memory, filter copy; see `deferRechecks`) there are no
 * rows and no Gram arrays: the estimates arrive in pair order in the codes' pages, the filter
 * copy is built from them, and the classification lists the few triplets the filter cannot
 * decide (one list per lane) instead of reading float64 rows. Afterwards the estimates stream
 * through the dead filter copy's pages a second time, the pairs those triplets need are
 * gathered there (gatherLayout; when they do not fit, the estimates are read whole into the
 * region, which has room for them), the listed triplets decided in float64, and then v, the
 * partial outputs and the iterates reuse those pages.
 */
import { pairCount, pairsBeforeRow } from '../pairs.js';
import { ROW_BLOCK, type Chunk } from './chunks.js';

export const WASM_PAGE = 65536;
/** One wasm32 memory stops at 4 GiB. */
export const MAX_WASM_BYTES = 65536 * WASM_PAGE;

const ALIGN = 64;
const PAD = 64;

function align(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

/**
 * Bytes of the packed codes of row (i, j) (assembly/layout.ts): one byte per block of four
 * absolute k, k = 4⌊(j+1)/4⌋ … 4⌈n/4⌉ − 1.
 */
function codeRowBytes(n: number, j: number): number {
  return Math.ceil(n / 4) - Math.floor((j + 1) / 4);
}

/** S(x) = Σ_{m=1}^{x} ⌊m/4⌋ (assembly/layout.ts quarterSum). */
function quarterSum(x: number): number {
  const q = Math.floor(x / 4);
  return 2 * q * (q - 1) + q * ((x % 4) + 1);
}

/** Bytes of packed codes for all rows (i, j) with i0 ≤ i < i1: Σ_{j=i+1}^{n−2} codeRowBytes(n, j) per i. */
export function codeBytes(n: number, i0: number, i1: number): number {
  let total = 0;
  for (let i = i0; i < Math.min(i1, n - 2); i++) total += (n - 2 - i) * Math.ceil(n / 4) - (quarterSum(n - 1) - quarterSum(i + 1));
  return total;
}

/**
 * Bytes of the float32 filter copy (assembly/layout.ts): a 64-byte header, then per row i
 * ⌈n/4⌉ − ⌊(i+1)/4⌋ blocks of 11 × 4 float32 (176 bytes).
 */
export function filterBytes(n: number): number {
  const quarters = Math.ceil(n / 4);
  let blocks = 0;
  for (let i = 0; i < n - 1; i++) blocks += quarters - Math.floor((i + 1) / 4);
  return 64 + 176 * blocks;
}

/**
 * Where the triplet codes live. 'memory': in the Wasm memory, classified once. 'paged':
 * classified once into per-chunk stores outside the Wasm memory (so that they can exceed its
 * 4 GiB), copied through a window per lane for every product. 'none': every product
 * reclassifies (streaming), or recomputes the residuals (J-weighting).
 */
export type CodeStorage = 'memory' | 'paged' | 'none';

/** What the kernels themselves occupy and need, read from an instance (assembly/index.ts). */
export interface KernelLayout {
  /** First byte past the kernels' static data. */
  heapBase: number;
  /** Bytes of the sign table that initSignTable writes. */
  signTableBytes: number;
}

export interface PlanRequest {
  n: number;
  /** 8 for float64 estimates, 4 for float32. */
  elementBytes: number;
  kernel: KernelLayout;
  chunks: Chunk[];
  /** Threads that run kernels on this memory, each with its own scratch (and window). */
  lanes: number;
  codes: CodeStorage;
  /** Whether the float32 filter copy exists (classification ~3× faster, same codes). */
  filter: boolean;
  /** Whether the estimates arrive in pair order into the memory itself (an EstimateSource), where there is room. */
  input?: boolean;
  /**
   * Classify with deferred rechecks where possible (codes in memory with a filter copy):
   * about 44·n² bytes less memory (36 MB at n = 1000), but the estimates are read twice.
   */
  deferRechecks?: boolean;
}

/** Bytes of one entry of a deferred-recheck list (assembly/classify.ts RECHECK_ENTRY_BYTES). */
export const RECHECK_ENTRY_BYTES = 16;

/** Bytes of a lane's stash (assembly/layout.ts STASH_BYTES), which the classification writes and never reads. */
export const STASH_BYTES = 128;

/**
 * Room of the deferred-recheck lists, in triplets, for all lanes together: one in 2048. The
 * filter left 0.6–2·10⁻⁴ of the triplets undecided at n = 300 on every kind of synthetic
 * data (exact, 1–40° of noise, up to 50% outliers, random rotations); a classification that
 * lists more starts again without deferral (ts/wasm/backend.ts). Pages of a list that is not
 * filled are never touched.
 */
export function recheckRoom(n: number): number {
  return Math.max(4096, Math.ceil((n * (n - 1) * (n - 2)) / 6 / 2048));
}

export interface MemoryMap {
  n: number;
  pairs: number;
  elementBytes: number;
  signTable: number;
  /** An int32 work counter shared by the lanes of one parallel phase (ts/wasm/runner.ts). */
  counter: number;
  rows: number;
  gram0: number;
  gram1: number;
  /** The float32 filter copy, or 0 when classification runs in float64 only. */
  filter: number;
  /**
   * v and the partial outputs overlap the estimates, Gram terms and filter copy (codes kept:
   * those are dead once classified). The first product then ends any classification.
   */
  reuseEstimates: boolean;
  v: number;
  /**
   * Per chunk, its partial output: pairs from `partialBase[c]` (the first pair of row i0) to
   * P − 1, which are the only ones its triplets touch. Chunk 0's starts at pair 0 and receives
   * the sum: it is y.
   */
  partials: number[];
  partialBase: number[];
  /**
   * WORK_VECTORS vectors of P float64 for the iterates (the power method's two, LOBPCG's x, p
   * and S·p; over the dead estimates), or null: no room.
   */
  work: number[] | null;
  /** Per lane: one row of scratch codes (streaming). */
  scratch: number[];
  /** Per lane: its stash (STASH_BYTES), for every classification kernel it runs. */
  stash: number[];
  /** Packed codes of row i = 0 when they are not in memory anyway. */
  anchorCodes: number;
  /** 3(n − 1) float64 for the start-vector kernel (assembly/start.ts). */
  startScratch: number;
  /** SUMS float64 for the sums of the iteration's passes (assembly/iterate.ts dotAndNorms, assembly/lobpcg.ts). */
  sums: number;
  codes: CodeStorage;
  /** Per chunk: where its codes start ('memory') and how many bytes they take. */
  chunkCodes: number[];
  chunkCodeBytes: number[];
  /** 'paged': per lane, the window codes are copied through, and its size. */
  windows: number[];
  windowBytes: number;
  /**
   * Where an EstimateSource delivers the estimates in pair order (9P entries), or 0: no room,
   * read them elsewhere. With deferred rechecks every estimate array is copied there too.
   */
  input: number;
  /** Deferred rechecks (see the top of this file): then rows, gram0 and gram1 are 0. */
  deferRechecks: boolean;
  /**
   * Deferred rechecks: where the estimates are read a second time, whole (pair order), over the
   * dead filter copy and past it, when the pairs that the rechecks need do not fit the
   * gathered table (gatherLayout); the region has room for it.
   */
  reread: number;
  /** Deferred rechecks: per lane, its list of undecided triplets, with room for `recheckRoom` entries each. */
  recheckLists: number[];
  recheckRoom: number;
  /** Bytes of the Wasm memory, and of the code stores outside it ('paged'). */
  totalBytes: number;
  pagedBytes: number;
}

/** The window of a paged lane: 128 MiB, or one row block of chunk 0 if that is larger. */
function windowSize(n: number, chunks: Chunk[]): number {
  const firstBlock = codeBytes(n, 0, Math.min(chunks[0].i1, ROW_BLOCK));
  return Math.max(128 * 2 ** 20, firstBlock);
}

/** Hands out 64-byte aligned regions, each padded, one after the other from `at`. */
class Placer {
  constructor(public at: number) {}

  take(bytes: number): number {
    const start = this.at;
    this.at = align(this.at + bytes + PAD);
    return start;
  }
}

/** float64 sums the iteration's passes write (lobpcgGram with p: 18). */
export const SUMS = 18;

/** Vectors of P float64 that the iteration keeps in the memory where there is room (see MemoryMap.work). */
export const WORK_VECTORS = 3;

/**
 * v, one partial output per chunk (pairs from the chunk's first row on) and, where they fit
 * before `deadEnd` too, the iterates (WORK_VECTORS), from `place.at` — over pages that are
 * dead by then, so that the iteration touches as few fresh pages as can be. Leaves `place.at`
 * at or past `deadEnd`.
 *
 * With the iterates, they come before the partial outputs: where the dead pages are not all
 * touched yet (deferred rechecks in float64 keep room for a whole second read, 72·P bytes,
 * and only the filter copy's 44·P have been written; the vectors take 65·P), the fresh ones
 * then fall to the last partial outputs, which the lanes first write in parallel in the first
 * product, instead of to the iterates, which the calling thread alone first writes (the start
 * vector, the copy of the first product; ~12 µs a page on this VM). Measured at n = 1000 with
 * 2 threads: the start phase 34 → 28 ms.
 */
function placeVectors(place: Placer, n: number, chunks: Chunk[], deadEnd: number, withWork: boolean) {
  const pairs = pairCount(n);
  const partialBase = chunks.map((c) => pairsBeforeRow(n, c.i0));
  const v = place.take(8 * pairs);
  let work: number[] | null = withWork ? Array.from({ length: WORK_VECTORS }, () => place.take(8 * pairs)) : null;
  let partials = partialBase.map((base) => place.take(8 * (pairs - base)));
  if (work && place.at > deadEnd) {
    // No room for the iterates too: the iteration uses arrays of its own.
    place.at = work[0]; // back to just after v
    work = null;
    partials = partialBase.map((base) => place.take(8 * (pairs - base)));
  }
  place.at = Math.max(place.at, deadEnd);
  return { v, partialBase, partials, work };
}

export function planMemory(request: PlanRequest): MemoryMap {
  const { n, elementBytes, kernel, chunks, lanes, codes } = request;
  const pairs = pairCount(n);
  const place = new Placer(align(kernel.heapBase));
  const take = (bytes: number) => place.take(bytes);
  const signTable = take(kernel.signTableBytes);
  const counter = take(4);
  if (codes === 'memory' && request.filter && request.deferRechecks) return planDeferred(request, place, signTable, counter);
  const rows = take(9 * pairs * elementBytes);
  const gram0 = take(8 * pairs);
  const gram1 = take(8 * pairs);
  const filter = request.filter ? take(filterBytes(n)) : 0;
  // With codes kept, nothing reads the estimates, Gram terms or filter copy after the
  // classification: v and the partial outputs reuse their pages. Fresh pages cost ~3 ms per
  // MB to touch on this VM, and it is 20 MB fewer at n = 1000 (0.5 GB at n = 5000).
  // The iterates go there too where they fit (12 MB fewer at n = 1000).
  const reuseEstimates = codes !== 'none';
  const afterEstimates = place.at;
  if (reuseEstimates) place.at = rows;
  const { v, partialBase, partials, work } = placeVectors(place, n, chunks, afterEstimates, reuseEstimates);
  const scratch = Array.from({ length: lanes }, () => take(Math.ceil(n / 4) + 16));
  const stash = Array.from({ length: lanes }, () => take(STASH_BYTES));
  const anchorCodes = take(codeBytes(n, 0, 1));
  const startScratch = take(3 * 8 * (n - 1));
  const sums = take(8 * SUMS);
  const chunkCodeBytes = chunks.map((c) => codeBytes(n, c.i0, c.i1));
  const chunkCodes = chunkCodeBytes.map((bytes) => (codes === 'memory' ? take(bytes) : -1));
  const windowBytes = codes === 'paged' ? Math.min(windowSize(n, chunks), Math.max(...chunkCodeBytes)) : 0;
  const windows = codes === 'paged' ? Array.from({ length: lanes }, () => take(windowBytes)) : [];
  const pagedBytes = codes === 'paged' ? chunkCodeBytes.reduce((a, b) => a + b, 0) : 0;
  // The estimates as given (pair order), read straight into the memory: they are dead once
  // laid out in rows, before anything after the estimates is first written, so they can share
  // those pages (the codes' pages, say, which the read has then already touched) — where
  // there is room for them there, so that they never make the memory larger.
  const inputFits = align(afterEstimates + 9 * pairs * elementBytes + PAD) <= place.at;
  const input = request.input && inputFits ? afterEstimates : 0;
  return {
    n, pairs, elementBytes, signTable, counter, rows, gram0, gram1, filter, reuseEstimates, v, partials, partialBase, work, scratch, stash, anchorCodes, startScratch, sums,
    codes, chunkCodes, chunkCodeBytes, windows, windowBytes, input, totalBytes: place.at, pagedBytes,
    deferRechecks: false, reread: 0, recheckLists: [], recheckRoom: 0,
  };
}

/**
 * The plan with deferred rechecks (see the top of this file), from `at`, after the sign table
 * and the counter. One region holds, in turn, the filter copy (classification), the gathered
 * estimates of the rechecks (or, when they do not fit, the whole second read, which the region
 * has room for), and v, the partial outputs and the iterates (products);
 * after it, the scratch areas and stashes, the recheck lists and the codes, whose pages first receive the
 * estimates as given (dead once the filter copy is built, before anything else there is
 * written).
 */
function planDeferred(request: PlanRequest, place: Placer, signTable: number, counter: number): MemoryMap {
  const { n, elementBytes, chunks, lanes } = request;
  const pairs = pairCount(n);
  const inputBytes = 9 * pairs * elementBytes;
  const take = (bytes: number) => place.take(bytes);
  const filter = take(filterBytes(n));
  const regionEnd = Math.max(place.at, align(filter + inputBytes + PAD));
  const reread = filter;
  place.at = filter; // the vectors reuse the region from its start
  const { v, partialBase, partials, work } = placeVectors(place, n, chunks, regionEnd, true);
  const input = place.at;
  const scratch = Array.from({ length: lanes }, () => take(Math.ceil(n / 4) + 16));
  const stash = Array.from({ length: lanes }, () => take(STASH_BYTES));
  const anchorCodes = take(codeBytes(n, 0, 1));
  const startScratch = take(3 * 8 * (n - 1));
  const sums = take(8 * SUMS);
  const room = Math.ceil(recheckRoom(n) / lanes);
  const recheckLists = Array.from({ length: lanes }, () => take(room * RECHECK_ENTRY_BYTES));
  const chunkCodeBytes = chunks.map((c) => codeBytes(n, c.i0, c.i1));
  const chunkCodes = chunkCodeBytes.map((bytes) => take(bytes));
  const totalBytes = Math.max(place.at, align(input + inputBytes + PAD));
  return {
    n, pairs, elementBytes, signTable, counter, rows: 0, gram0: 0, gram1: 0, filter, reuseEstimates: true, v, partials, partialBase, work, scratch, stash,
    anchorCodes, startScratch, sums, codes: 'memory', chunkCodes, chunkCodeBytes, windows: [], windowBytes: 0, input, totalBytes, pagedBytes: 0,
    deferRechecks: true, reread, recheckLists, recheckRoom: room,
  };
}

/** Bytes of each of the two staging areas through which the estimates stream for gathered rechecks. */
const GATHER_STAGING_BYTES = 4 * 2 ** 20;

/**
 * Where gathered rechecks (deferred rechecks, see ts/wasm/backend.ts) put their data: in the
 * dead filter copy's own pages (never past them, so that the common case touches no fresh
 * page): a bitmap over the pairs and a count per 64-bit word of it (assembly/gather.ts), two
 * staging areas for runs of `stagingPairs` pairs as read (one is read while the other is
 * gathered from), and the table of the marked pairs' estimates, with room for `tableRoom` of
 * them.
 */
export interface GatherLayout {
  bitmap: number;
  words: number;
  counts: number;
  staging: [number, number];
  stagingPairs: number;
  table: number;
  tableRoom: number;
}

export function gatherLayout(map: MemoryMap): GatherLayout {
  const pairBytes = 9 * map.elementBytes;
  const words = Math.ceil(map.pairs / 64);
  const bitmap = map.filter;
  const counts = align(bitmap + 8 * words);
  // Both together at most a quarter of the region, so that small problems keep room for their table.
  const stagingBytes = Math.min(GATHER_STAGING_BYTES, filterBytes(map.n) / 8);
  const stagingPairs = Math.max(1, Math.min(map.pairs, Math.floor(stagingBytes / pairBytes)));
  const first = align(counts + 4 * words);
  const second = align(first + stagingPairs * pairBytes);
  const staging: [number, number] = [first, second];
  const table = align(second + stagingPairs * pairBytes + PAD);
  const end = map.filter + filterBytes(map.n) - PAD;
  return { bitmap, words, counts, staging, stagingPairs, table, tableRoom: Math.max(0, Math.floor((end - table) / pairBytes)) };
}

/**
 * Unpacks the codes of rows (i, j), j = i+1 … n−2, stored from `packed`, one byte per
 * triplet (k = j+1 … n−1). Code of lane L of a byte: bit L, plus bit 4 + L times 2.
 */
export function unpackRowCodes(packed: Uint8Array, n: number, i: number, out: Uint8Array, outOffset: number): number {
  let src = 0;
  let dst = outOffset;
  for (let j = i + 1; j < n - 1; j++) {
    const first = (j + 1) >> 2;
    for (let k = j + 1; k < n; k++) {
      const byte = packed[src + (k >> 2) - first];
      const lane = k & 3;
      out[dst++] = ((byte >> lane) & 1) | (((byte >> (4 + lane)) & 1) << 1);
    }
    src += codeRowBytes(n, j);
  }
  return dst;
}
