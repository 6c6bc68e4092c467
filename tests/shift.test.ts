/**
 * The shifted power steps (power.ts, option `shift`): the same fixed point as the plain power
 * method, reached in fewer products, on every backend and with J-weighting.
 */
import test from 'ava';
import { JsyncInputError } from '../ts/errors.js';
import { jsync } from '../ts/jsync.js';
import { powerMethod } from '../ts/power.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { BACKENDS, countDifferent } from './support/backends.js';
import { diagonalProblem as diagonal } from './support/problems.js';

const uniform = (length: number) => new Float64Array(length).fill(1 / Math.sqrt(length));

test('on a known spectrum the shifted steps reach the leading eigenvector in fewer products', async (t) => {
  // Eigenvalues 20, 10, 10, −1 and the floor B = 10 (S ⪰ −10·I, loose, as on real data):
  // plain steps gain a factor 2 per product; shifted ones (c → 0.9·(10 − 20)/2 = −4.5) a
  // factor 15.5/5.5 ≈ 2.8.
  const eigenvalues = [20, 10, 10, -1];
  const options = { epsilon: 1e-10, maxIters: 200 };
  const plain = await powerMethod(diagonal(eigenvalues), uniform(4), undefined, options);
  const shifted = await powerMethod(diagonal(eigenvalues), uniform(4), undefined, { ...options, spectrumFloor: 10 });
  for (const result of [plain, shifted]) {
    t.true(result.converged);
    t.true(Math.abs(Math.abs(result.vector[0]) - 1) < 1e-9);
    t.true(Math.abs(result.eigenvalue - 20) < 1e-8);
  }
  t.log(`plain ${plain.iterations} products, shifted ${shifted.iterations}`);
  t.true(shifted.iterations < 0.75 * plain.iterations);
});

test('the shift never lets an eigenvalue at the floor win over the leading one', async (t) => {
  // |λ + c| < λ₁ + c for every λ ≥ −B: with −B itself an eigenvalue and a start that leans
  // on it, the iteration still ends on the leading eigenvector (slowly: that is the price).
  const eigenvalues = [12, 3, -10];
  const start = Float64Array.from([0.05, 0.05, 1]);
  const norm = Math.hypot(...start);
  const result = await powerMethod(diagonal(eigenvalues), start.map((x) => x / norm), undefined, { epsilon: 1e-8, maxIters: 5000, spectrumFloor: 10 });
  t.true(result.converged, `${result.iterations} products, residual ${result.residuals.at(-1)}`);
  t.true(Math.abs(Math.abs(result.vector[0]) - 1) < 1e-6, `ended on ${Array.from(result.vector)}`);
});

for (const { name: backend, maxN } of BACKENDS) {
  for (const jWeighting of [false, true]) {
    test(`${backend}${jWeighting ? ', J-weighted' : ''}: shifted and plain steps converge to the same signs, the shifted ones in fewer products`, async (t) => {
      const n = Math.min(maxN, 120);
      let saved = 0;
      for (const [seed, noiseDeg, outliers] of [[41, 5, 0.2], [42, 10, 0.3], [43, 2, 0]] as const) {
        const { rijs } = generateSynthetic({ n, seed, noiseDeg, outliers });
        const shifted = await jsync(rijs, { backend, jWeighting, epsilon: 1e-9, method: 'power' });
        const plain = await jsync(rijs, { backend, jWeighting, epsilon: 1e-9, method: 'power', shift: false });
        t.true(shifted.shift);
        t.false(plain.shift);
        t.true(shifted.converged && plain.converged);
        t.is(countDifferent(shifted.signs, plain.signs), 0, `seed ${seed}`);
        t.true(Math.abs(shifted.eigenvalue - plain.eigenvalue) <= 1e-9 * plain.eigenvalue);
        t.true(shifted.iterations <= plain.iterations, `seed ${seed}: ${shifted.iterations} > ${plain.iterations}`);
        saved += plain.iterations - shifted.iterations;
      }
      t.true(saved > 0, 'the shift saves products');
    });
  }
}

test('option shift must be a boolean', async (t) => {
  const { rijs } = generateSynthetic({ n: 10, seed: 1 });
  await t.throwsAsync(jsync(rijs, { shift: 'yes' as unknown as boolean }), { instanceOf: JsyncInputError, message: /option shift/ });
});
