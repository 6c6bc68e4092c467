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
import { planMemory, WASM_PAGE } from './memory-map.js';

/** Tiny problem size; a few runs of it use up the baseline compiler's budget. */
const N = 128;
const RUNS = 2;

const warmed = new WeakSet<WebAssembly.Module>();

/** Whether warmKernels has run (or is running) for this module. */
export function isWarm(module: WebAssembly.Module): boolean {
  return warmed.has(module);
}

/**
 * Runs the kernels of a float64 run with cached codes (preparation, classification, start
 * vector, product, reduction) on a throwaway memory of its own, once per module. The float32,
 * streaming and J-weighted variants tier up by themselves.
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
  });
  const pages = Math.ceil(map.totalBytes / WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  const k = await instantiateKernels(memory, module);
  k.initSignTable(map.signTable);
  const rows = new Float64Array(memory.buffer, map.rows, 9 * map.pairs);
  const first = partition(N)[0]; // chunk 0: its codes go where this map put them
  const y = map.partials[0] - 8 * map.partialBase[0];
  for (let run = 0; run < RUNS; run++) {
    // Deterministic, varied, finite entries (v and the outputs reuse this region, so again
    // every run): every code and both filter outcomes occur.
    for (let e = 0; e < rows.length; e++) rows[e] = Math.sin(1 + e * 0.7548776662466927);
    k.rowGramF64(map.rows, N, 0, N - 1, map.gram0, map.gram1);
    k.finishFilter(map.filter, k.buildFilterF64(map.rows, map.gram0, map.gram1, N, 0, N - 1, map.filter));
    k.classifyF64(map.rows, map.gram0, map.gram1, map.filter, N, 0, first.i1, map.chunkCodes[0]);
    k.anchorStart(map.chunkCodes[0], N, map.startScratch, map.v);
    k.productCached(map.chunkCodes[0], map.signTable, N, 0, first.i1, map.v, y);
    k.addInto(map.partials[0], map.partials[0], map.pairs);
    k.subtractDiagonal(map.v, map.partials[0], map.pairs, N);
  }
}
