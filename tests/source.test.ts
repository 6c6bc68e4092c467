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

/** A source that copies `rijs`, asynchronously, and counts its reads. */
function sourceOf(rijs: FloatArray): EstimateSource & { reads: number } {
  return {
    pairs: rijs.length / 9,
    dtype: rijs instanceof Float64Array ? 'float64' : 'float32',
    reads: 0,
    async read(target) {
      this.reads++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      target.set(rijs);
    },
  };
}

test('wasm: a source large enough is read straight into the Wasm memory, a small one into an array; same results', async (t) => {
  // The source's data shares the pages of the codes where they have room for it: n = 1000 in
  // float64 (36 MB of estimates, 41 MB of codes), not n = 90 (29 KB of codes).
  for (const n of [90, 1000]) {
    const { rijs } = generateSynthetic({ n, seed: 23, noiseDeg: 5, outliers: 0.2 });
    const problem = await wasmBackend.prepare(sourceOf(rijs), n, { jWeighting: false, memoryBudget: 2 ** 32, threads: 2, codes: 'auto' });
    const inMemory = (problem as unknown as { map: { input: number } }).map.input !== 0;
    problem.dispose();
    t.is(inMemory, n === 1000, `n = ${n}`);
    const fromArray = await jsync(rijs, { threads: 2 });
    const fromSource = await jsync(sourceOf(rijs), { threads: 2 });
    t.deepEqual(fromSource.signs, fromArray.signs);
    t.deepEqual(fromSource.residuals, fromArray.residuals);
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
        t.is(source.reads, 1);
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
