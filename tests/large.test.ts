/**
 * Large n (more chunks' worth of rows, long rows, 2 threads) where the reference cannot do a
 * whole product in test time. A single entry of S·v only involves the n − 2 triplets of its
 * pair, so sampled entries are checked against the oracle's residuals.
 */
import test from 'ava';
import { pairIndex } from '../ts/pairs.js';
import { Random } from '../ts/random.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { bestConfiguration, NODE_SIGNS, tripletResiduals } from '../ts/triplet.js';
import { wasmBackend } from '../ts/wasm/backend.js';

/** (S·v)[pair(a, b)] from the reference's residuals of the triplets that contain (a, b). */
function referenceEntry(rijs: ArrayLike<number>, n: number, a: number, b: number, v: Float64Array): number {
  const c = new Float64Array(4);
  let sum = 0;
  for (let x = 0; x < n; x++) {
    if (x === a || x === b) continue;
    const [i, j, k] = [a, b, x].sort((p, q) => p - q);
    const ij = pairIndex(n, i, j), jk = pairIndex(n, j, k), ik = pairIndex(n, i, k);
    tripletResiduals(rijs, 9 * ij, 9 * jk, 9 * ik, c);
    const [sij, sjk, sik] = NODE_SIGNS[bestConfiguration(c)];
    const sign = { [ij]: sij, [jk]: sjk, [ik]: sik };
    const p = pairIndex(n, a, b);
    // Row p of S: σp σq over the two other pairs q of the triplet.
    for (const q of [ij, jk, ik]) if (q !== p) sum += sign[p] * sign[q] * v[q];
  }
  return sum;
}

test('n = 2050, 2 threads: sampled product entries equal the reference', async (t) => {
  const n = 2050;
  const data = generateSynthetic({ n, seed: 81, noiseDeg: 5, outliers: 0.3 });
  const rng = new Random(3);
  const v = Float64Array.from({ length: data.pairs }, () => rng.normal());
  const problem = await wasmBackend.prepare(data.rijs, n, { jWeighting: false, memoryBudget: 2 ** 32, threads: 2, codes: 'auto' });
  try {
    t.is(problem.mode, 'cached');
    const y = new Float64Array(data.pairs);
    await problem.multiply(v, y);
    let worst = 0;
    const scale = Math.max(...Array.from({ length: 64 }, (_, k) => Math.abs(y[k])));
    for (let s = 0; s < 300; s++) {
      // Half the samples among the first pairs (the largest chunk, rows i < 8), half anywhere.
      const a = s % 2 ? rng.int(8) : rng.int(n - 1);
      const b = a + 1 + rng.int(n - 1 - a);
      const expected = referenceEntry(data.rijs, n, a, b, v);
      worst = Math.max(worst, Math.abs(y[pairIndex(n, a, b)] - expected) / scale);
    }
    t.log(`worst relative error over 300 sampled entries: ${worst.toExponential(2)}`);
    t.true(worst <= 1e-12);
  } finally {
    problem.dispose();
  }
});
