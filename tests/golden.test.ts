/**
 * Every backend against the original implementation's outputs (../shared/golden/): one
 * product with S to 1e-12 relative, with and without J-weighting, in every product mode;
 * the power method's signs exactly (the golden signs were computed at epsilon 1e-8).
 */
import test from 'ava';
import { jsync } from '../ts/jsync.js';
import { BACKENDS, countDifferent, relativeError } from './support/backends.js';
import { GOLDEN_CASES, loadGolden } from './support/golden.js';

const MODES = ['cached', 'streaming'] as const;

for (const { name: backendName, backend } of BACKENDS) {
  for (const golden of GOLDEN_CASES) {
    const rijs = loadGolden(golden.name, 'rijs') as Float64Array | Float32Array;
    const vec = loadGolden(golden.name, 'vec') as Float64Array;

    for (const jWeighting of [false, true]) {
      const expected = loadGolden(golden.name, jWeighting ? 'stv_jw' : 'stv_plain') as Float64Array;
      for (const codes of MODES) {
        test(`${backendName}: ${golden.name} S·v ${jWeighting ? 'J-weighted' : 'plain'} (${codes}) matches the original to 1e-12`, async (t) => {
          t.is(rijs instanceof Float32Array ? 'float32' : 'float64', golden.dtype);
          const problem = await backend.prepare(rijs, golden.n, { jWeighting, memoryBudget: 2 ** 30, threads: 1, codes });
          try {
            const y = new Float64Array(golden.pairs);
            await problem.multiply(vec, y);
            t.true(relativeError(y, expected) <= 1e-12, `relative error ${relativeError(y, expected)}`);
          } finally {
            problem.dispose();
          }
        });
      }

      test(`${backendName}: ${golden.name} signs ${jWeighting ? 'J-weighted' : 'plain'} equal the original's`, async (t) => {
        const signs = loadGolden(golden.name, jWeighting ? 'signs_jw' : 'signs_plain') as Int8Array;
        const result = await jsync(rijs, { backend: backendName, jWeighting, epsilon: 1e-8 });
        t.true(result.converged);
        t.is(result.signs[0], 1);
        t.is(countDifferent(result.signs, signs), 0);
      });
    }
  }
}
