/**
 * Estimates from an EstimateSource (the backend reads them into its own memory, as the CLI
 * does with .npy files) give exactly what the same estimates in an array give, on every
 * backend; a source's failures and bad data are errors of the run.
 */
import test from 'ava';
import type { EstimateSource, FloatArray } from '../ts/backend.js';
import { JsyncInputError } from '../ts/errors.js';
import { jsync } from '../ts/jsync.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { BACKENDS } from './support/backends.js';
import { wasmBackend } from '../ts/wasm/backend.js';

/** A source that copies `rijs`, asynchronously, and records its reads as [first pair, pairs]. */
function sourceOf(rijs: FloatArray): EstimateSource & { reads: Array<[number, number]> } {
  return {
    pairs: rijs.length / 9,
    dtype: rijs instanceof Float64Array ? 'float64' : 'float32',
    reads: [],
    async read(target, firstPair = 0) {
      this.reads.push([firstPair, target.length / 9]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      target.set(rijs.subarray(9 * firstPair, 9 * firstPair + target.length));
    },
  };
}

/** How many times each pair was read. */
function readCounts(source: { pairs: number; reads: Array<[number, number]> }): Uint8Array {
  const counts = new Uint8Array(source.pairs);
  for (const [first, count] of source.reads) for (let p = first; p < first + count; p++) counts[p]++;
  return counts;
}

test('wasm: a source is read straight into the Wasm memory where there is room (always with deferred rechecks), else into an array; same results', async (t) => {
  // Deferred rechecks take the estimates into the codes' pages (or past them) at any n.
  // Entries too large for the float32 filter (scaled by 4096) make the classification start
  // again without deferral, on float64 rows: the estimates then share the codes' pages where
  // those have room for them — at n = 1000 in float64 (36 MB of estimates, 41 MB of codes),
  // not at n = 90 (29 KB of codes).
  for (const n of [90, 1000]) {
    const { rijs } = generateSynthetic({ n, seed: 23, noiseDeg: 5, outliers: 0.2 });
    for (const scale of [1, 4096]) {
      const estimates = rijs.map((x) => x * scale);
      const what = `n = ${n}, scale ${scale}`;
      const problem = await wasmBackend.prepare(sourceOf(estimates), n, { jWeighting: false, memoryBudget: 2 ** 32, threads: 2, codes: 'auto' });
      const { map } = problem as unknown as { map: { input: number; deferRechecks: boolean } };
      t.is(problem.mode, 'cached', what);
      problem.dispose();
      t.is(map.deferRechecks, scale === 1, what);
      t.is(map.input !== 0, scale === 1 || n === 1000, what);
      if (n === 1000) continue; // the same code paths as at n = 90, only slower
      const fromArray = await jsync(estimates, { threads: 2 });
      const fromSource = await jsync(sourceOf(estimates), { threads: 2 });
      t.deepEqual(fromSource.signs, fromArray.signs, what);
      t.deepEqual(fromSource.residuals, fromArray.residuals, what);
    }
  }
});

test('an abort while a source is still reading rejects at once', async (t) => {
  const { rijs } = generateSynthetic({ n: 200, seed: 24 });
  const never: EstimateSource = { pairs: rijs.length / 9, dtype: 'float64', read: () => new Promise<void>(() => undefined) };
  for (const threads of [1, 2]) {
    const controller = new AbortController();
    const run = jsync(never, { threads, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await t.throwsAsync(run, { name: 'AbortError' });
  }
});

for (const { name: backend, maxN } of BACKENDS) {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const threads of backend === 'wasm' ? [1, 2] : [1]) {
      test(`${backend}, ${dtype}, ${threads} thread(s): a source gives bitwise the result of the array`, async (t) => {
        const n = Math.min(maxN, 90);
        const { rijs } = generateSynthetic({ n, seed: 21, noiseDeg: 5, outliers: 0.2, dtype });
        const fromArray = await jsync(rijs, { backend, threads });
        const source = sourceOf(rijs);
        const fromSource = await jsync(source, { backend, threads });
        // Read once whole; the Wasm backend reads them a second time when the float32 filter
        // left triplets to decide in float64 (deferred rechecks: codes in memory), never more.
        t.deepEqual(source.reads[0], [0, source.pairs]);
        const counts = readCounts(source);
        const twice = backend === 'wasm' && fromSource.mode === 'cached';
        t.true(counts.every((c) => c === (twice ? 2 : 1)), `reads ${JSON.stringify(source.reads)}`);
        t.deepEqual(fromSource.signs, fromArray.signs);
        t.deepEqual(fromSource.residuals, fromArray.residuals);
        t.is(fromSource.eigenvalue, fromArray.eigenvalue);
        t.is(fromSource.mode, fromArray.mode);
      });
    }
  }

  test(`${backend}: a source's failure, a bad pair count and non-finite data are errors of the run`, async (t) => {
    const { rijs } = generateSynthetic({ n: 30, seed: 22 });
    const failing: EstimateSource = { pairs: rijs.length / 9, dtype: 'float64', read: async () => Promise.reject(new Error('disk on fire')) };
    await t.throwsAsync(jsync(failing, { backend }), { message: 'disk on fire' });
    await t.throwsAsync(jsync({ ...sourceOf(rijs), pairs: 434 }, { backend }), { instanceOf: JsyncInputError, message: /434 relative rotations is not n\(n-1\)\/2/ });
    const bad = Float64Array.from(rijs);
    bad[9 * 17 + 4] = NaN;
    await t.throwsAsync(jsync(sourceOf(bad), { backend }), { instanceOf: JsyncInputError, message: /entry 4 of estimate 17 is NaN/ });
  });
}
