/**
 * The data-built start vector: the Wasm backend (assembly/start.ts and the votes of its product
 * kernels) must give exactly the vector of the TypeScript definition (ts/start.ts dataStart)
 * from the same problem, in every mode and for any thread count, and the reference's vector up
 * to rounding; the votes (multiplyRows) must equal the reference's.
 */
import test from 'ava';
import type { FloatArray, JsyncProblem, PrepareOptions } from '../ts/backend.js';
import { jsync } from '../ts/jsync.js';
import { referenceBackend, referenceCodes } from '../ts/reference.js';
import { anchorStart, dataStart, normalize, removeNodePotentials, votingRows } from '../ts/start.js';
import { pairsBeforeRow } from '../ts/pairs.js';
import { Random } from '../ts/random.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { relativeError } from './support/backends.js';

/** Codes of the triplets (0, j, k) in lexicographic order: the first C(n − 1, 2) codes. */
function anchorCodesOf(rijs: FloatArray, n: number): Uint8Array {
  return referenceCodes(rijs, n).slice(0, ((n - 1) * (n - 2)) / 2);
}

const INPUTS = [
  { label: 'clean n=3', n: 3, rijs: generateSynthetic({ n: 3, seed: 1 }).rijs },
  { label: 'clean n=9', n: 9, rijs: generateSynthetic({ n: 9, seed: 2 }).rijs },
  { label: 'noisy, outliers n=70', n: 70, rijs: generateSynthetic({ n: 70, seed: 3, noiseDeg: 5, outliers: 0.3 }).rijs },
  { label: 'random rotations n=41', n: 41, rijs: generateSynthetic({ n: 41, seed: 4, outliers: 0.999999 }).rijs },
  { label: 'float32 n=57', n: 57, rijs: generateSynthetic({ n: 57, seed: 5, noiseDeg: 8, outliers: 0.2, dtype: 'float32' }).rijs },
];

const options = (codes: PrepareOptions['codes'], threads: number, jWeighting = false): PrepareOptions => ({ jWeighting, memoryBudget: 2 ** 30, threads, codes });

for (const input of INPUTS) {
  test(`wasm start vector is bitwise the TypeScript one, and the reference's to rounding: ${input.label}`, async (t) => {
    const reference = await dataStart(await referenceBackend.prepare(input.rijs, input.n, options('auto', 1)));
    for (const codes of ['cached', 'paged', 'streaming'] as const) {
      for (const threads of [1, 2]) {
        const problem: JsyncProblem = await wasmBackend.prepare(input.rijs, input.n, options(codes, threads));
        try {
          t.truthy(problem.dataStart, 'the Wasm backend computes the start itself');
          const start = (await problem.dataStart!()).slice();
          t.deepEqual(start, await dataStart(problem), `${codes}, ${threads} thread(s)`);
          t.true(relativeError(start, reference) < 1e-12, `${codes}, ${threads} thread(s): ${relativeError(start, reference)}`);
        } finally {
          problem.dispose();
        }
      }
    }
  });
}

test('the votes (multiplyRows) equal the reference\'s, bitwise alike in every mode and for 1–3 threads', async (t) => {
  const n = 90; // several chunks of rows below 32: the votes of one chunk add to another's
  const { rijs } = generateSynthetic({ n, seed: 8, noiseDeg: 6, outliers: 0.25 });
  const v = new Float64Array((n * (n - 1)) / 2).map((_, p) => Math.sin(p * 0.37) + 0.1);
  for (const jWeighting of [false, true]) {
    for (const rows of [1, 13, votingRows(n), n - 2]) {
      const expected = new Float64Array(v.length);
      const reference = await referenceBackend.prepare(rijs, n, options('auto', 1, jWeighting));
      await reference.multiplyRows(v, expected, rows);
      let first: Float64Array | undefined;
      for (const codes of jWeighting ? (['auto'] as const) : (['cached', 'paged', 'streaming'] as const)) {
        for (const threads of [1, 2, 3]) {
          const problem = await wasmBackend.prepare(rijs, n, options(codes, threads, jWeighting));
          try {
            const y = new Float64Array(v.length).fill(NaN);
            await problem.multiplyRows(v, y, rows);
            const label = `${jWeighting ? 'J-weighted' : codes}, rows ${rows}, ${threads} thread(s)`;
            t.true(relativeError(y, expected) < 1e-12, `${label}: ${relativeError(y, expected)}`);
            if (first) t.deepEqual(y, first, label);
            else first = y;
          } finally {
            problem.dispose();
          }
        }
      }
    }
  }
});

test('the votes of the first images bring the start closer to the leading eigenvector than the anchor alone', async (t) => {
  // Noisy data with outliers: propagated signs are mostly right, but every entry has the same
  // magnitude; averaged votes give the inconsistent pairs the smaller entries they have in the
  // leading eigenvector.
  for (const seed of [11, 12, 13]) {
    const n = 150;
    const { rijs } = generateSynthetic({ n, seed, noiseDeg: 5, outliers: 0.3 });
    const voted = await jsync(rijs, { init: 'data', epsilon: 1e-4 });
    const anchored = await jsync(rijs, { init: anchorStart(n, anchorCodesOf(rijs, n)), epsilon: 1e-4 });
    t.log(`seed ${seed}: first residual ${voted.residuals[0].toFixed(3)} voted, ${anchored.residuals[0].toFixed(3)} anchor alone; ${voted.iterations} and ${anchored.iterations} products`);
    t.true(voted.residuals[0] < 0.7 * anchored.residuals[0]);
    t.true(voted.iterations < anchored.iterations);
    t.deepEqual(voted.signs, anchored.signs);
  }
});

test('a product after the start vector is still exact (the start lands where v goes)', async (t) => {
  const n = 50;
  const { rijs } = generateSynthetic({ n, seed: 6, noiseDeg: 3, outliers: 0.1 });
  const plain = await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes: 'cached' });
  const started = await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes: 'cached' });
  try {
    const v = await started.dataStart!();
    const a = new Float64Array(v.length);
    const b = new Float64Array(v.length);
    await plain.multiply(v, a);
    await started.multiply(v, b);
    t.deepEqual(b, a);
  } finally {
    plain.dispose();
    started.dispose();
  }
});

test('removeNodePotentials takes the node potentials out of |x| and keeps the signs', (t) => {
  const n = 40;
  const rng = new Random(21);
  const a = Array.from({ length: n }, () => rng.normal() * 0.05);
  const meanA = a.reduce((sum, ai) => sum + ai, 0) / n;
  for (let i = 0; i < n; i++) a[i] -= meanA; // Σ a = 0
  const mu = 1;
  const signs: number[] = [];
  const x = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++, p++) {
      signs.push(rng.next() < 0.5 ? -1 : 1);
      x[p] = signs[p] * (mu + a[i] + a[j]); // every |x| far above μ/16
    }
  }
  removeNodePotentials(n, x);
  t.true(relativeError(x, signs.map((s) => s * mu)) < 1e-12, `${relativeError(x, signs.map((s) => s * mu))}`);
});

test('removeNodePotentials is continuous through zero: a tie that rounding tips either way moves by the rounding only', (t) => {
  const n = 30;
  const rng = new Random(22);
  const x = new Float64Array((n * (n - 1)) / 2).map(() => (rng.next() < 0.5 ? -1 : 1) * (0.5 + rng.next()));
  const tipped = [x.slice(), x.slice()];
  tipped[0][7] = 1e-17;
  tipped[1][7] = -1e-17;
  for (const y of tipped) removeNodePotentials(n, y);
  t.true(Math.abs(tipped[0][7] - tipped[1][7]) < 1e-15, `${tipped[0][7]} against ${tipped[1][7]}`);
  t.true(relativeError(tipped[0], tipped[1]) < 1e-15);
});

test('removing the node potentials from the averaged votes saves power steps', async (t) => {
  // The start without that step, built here from the same votes: anchor, votes of the first
  // images, their average, normalised. (LOBPCG steps, the default, take the same number of
  // products from either start, 22 over these inputs: their Ritz step removes much of the
  // same error by itself.)
  const n = 300;
  let withRemoval = 0;
  let without = 0;
  for (const outliers of [0.1, 0.2, 0.3]) {
    for (const seed of [31, 32]) {
      const { rijs, inlier } = generateSynthetic({ n, seed, noiseDeg: 5, outliers });
      const problem = await wasmBackend.prepare(rijs, n, options('cached', 1));
      try {
        const rows = votingRows(n);
        const x = anchorStart(n, await problem.anchorCodes());
        const votes = new Float64Array(x.length);
        await problem.multiplyRows(x, votes, rows);
        const leading = pairsBeforeRow(n, rows);
        const averaged = normalize(votes.map((vote, q) => vote / (q < leading ? n - 2 : rows)));
        const plain = await jsync(rijs, { init: averaged, method: 'power' });
        const removed = await jsync(rijs, { init: 'data', method: 'power' });
        // At epsilon 1e-2 the two may still disagree on a few outliers, never on an inlier.
        let differ = 0;
        for (let q = 0; q < removed.signs.length; q++) {
          if (removed.signs[q] === plain.signs[q]) continue;
          differ++;
          t.is(inlier[q], 0, `pair ${q}`);
        }
        t.log(`outliers ${outliers}, seed ${seed}: ${removed.iterations} and ${plain.iterations} products; ${differ} outlier signs differ`);
        withRemoval += removed.iterations;
        without += plain.iterations;
      } finally {
        problem.dispose();
      }
    }
  }
  t.log(`products at epsilon 1e-2 over 6 inputs (n = ${n}): ${withRemoval} with the node potentials removed, ${without} without`);
  t.true(withRemoval < without);
});
