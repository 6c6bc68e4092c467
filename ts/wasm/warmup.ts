/**
 * Warming the kernels up before they are needed.
 *
 * V8 runs a Wasm function in its baseline compiler (Liftoff) until it has been used enough,
 * then compiles it with TurboFan in the background; calls made after that use the fast code.
 * Compiled code belongs to the module, so every instance on every thread shares it. Left to
 * itself, a kernel tiers up during its first real use, while every core is busy and the
 * compiler thread waits: the first product at n = 1000 with 2 threads took 138–140 ms, the
 * others 63–70. Running the kernels on a tiny problem while this thread would otherwise wait
 * (reading the input, or while the workers classify) gets the fast code compiled in time.
 */
import { partition } from './chunks.js';
import { instantiateKernels, kernelLayout } from './kernels.js';
import { gatherLayout, planMemory, WASM_PAGE } from './memory-map.js';

/** Tiny problem size; a few runs of it use up the baseline compiler's budget. */
const N = 128;
const RUNS = 2;

const warmed = new WeakSet<WebAssembly.Module>();

/** Whether warmKernels has run (or is running) for this module. */
export function isWarm(module: WebAssembly.Module): boolean {
  return warmed.has(module);
}

/**
 * Runs the kernels of a float64 run with cached codes (preparation, classification with
 * deferred rechecks, start vector, product, reduction, the power method's and LOBPCG's passes) on a
 * throwaway memory of its own, once per module. The float32, paged, streaming and J-weighted
 * variants tier up by themselves.
 */
export async function warmKernels(module: WebAssembly.Module, shared: boolean): Promise<void> {
  if (warmed.has(module)) return;
  warmed.add(module);
  const map = planMemory({
    n: N,
    elementBytes: 8,
    kernel: kernelLayout(),
    chunks: partition(N),
    lanes: 1,
    codes: 'memory',
    filter: true,
    deferRechecks: true,
  });
  const pages = Math.ceil(map.totalBytes / WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  const k = await instantiateKernels(memory, module);
  k.initSignTable(map.signTable);
  const first = partition(N)[0]; // chunk 0: its codes go where this map put them
  const y = map.partials[0] - 8 * map.partialBase[0];
  // Deterministic, varied, finite entries: every code and both filter outcomes occur.
  const fill = (at: number, pairs = map.pairs) => {
    const estimates = new Float64Array(memory.buffer, at, 9 * pairs);
    for (let e = 0; e < estimates.length; e++) estimates[e] = Math.sin(1 + e * 0.7548776662466927);
  };
  for (let run = 0; run < RUNS; run++) {
    // Everything is overwritten in turn (codes over the input, v over the filter), so again every run.
    fill(map.input);
    k.finishFilter(map.filter, k.buildFilterFromPairsF64(map.input, N, 0, N - 1, map.filter));
    const listed = k.classifyRangeDeferred(map.filter, N, 0, first.i1, map.chunkCodes[0], map.recheckLists[0], map.recheckRoom, map.stash[0]);
    // The rechecks' gathering (backend.ts gatherEstimates), then the few listed triplets, many
    // times: a long list of rechecks then runs in optimized code.
    const at = gatherLayout(map);
    new Uint8Array(memory.buffer, at.bitmap, 8 * at.words).fill(0);
    k.markRecheckPairs(map.recheckLists[0], Math.max(0, listed), N, at.bitmap);
    if (k.rankPairs(at.bitmap, at.words, at.counts) <= at.tableRoom) {
      for (let p0 = 0; p0 < map.pairs; p0 += at.stagingPairs) {
        const p1 = Math.min(map.pairs, p0 + at.stagingPairs);
        fill(at.staging[0], p1 - p0);
        k.gatherPairsF64(at.staging[0], p0, p1, at.bitmap, at.counts, at.table);
      }
      for (let again = 0; again < 32; again++) k.recheckDeferredF64(at.table, N, map.recheckLists[0], Math.max(0, listed), at.bitmap, at.counts);
    }
    k.anchorStart(map.chunkCodes[0], N, map.startScratch, map.v);
    k.averageVotes(map.partials[0], map.v, map.pairs, map.pairs >> 1, N, 8, map.startScratch); // the data-built start's averaging
    k.productCached(map.chunkCodes[0], map.signTable, N, 0, first.i1, map.v, y);
  }
  // The passes over whole vectors (the reduction, the power method's): one call each per
  // product, the first of them long. Some 100k entries each get them compiled.
  const [v, w] = map.work ?? [map.v, map.partials[0]];
  for (let again = 0; again < 16; again++) {
    k.addInto(map.partials[0], map.partials[0], map.pairs);
    k.subtractDiagonal(map.v, map.partials[0], map.pairs, N);
    k.dotAndNorms(v, w, map.pairs, map.sums);
    k.shiftScaleAndDiff(w, -0.5, 0.5, v, map.pairs);
    k.signsOf(v, map.pairs, map.partials[0]);
  }
  // LOBPCG's (lobpcg.ts): x, p and S·p in the work vectors, w and S·w where the products keep v and y.
  if (map.work) {
    const [x, p, q] = map.work;
    for (let again = 0; again < 16; again++) {
      k.lobpcgFirstDirection(x, map.partials[0], map.v, map.pairs, map.sums);
      k.lobpcgGram(x, map.v, p, q, map.partials[0], 1.5, again & 1, map.pairs, map.sums);
      k.lobpcgUpdate(x, map.v, p, q, map.partials[0], 1.5, 0.75, 0.5, 0.25, 1, 0.5, again & 1, map.pairs);
    }
  }
}
