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
