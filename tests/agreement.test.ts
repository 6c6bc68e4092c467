/**
 * Fast paths against the reference oracle: Wasm codes equal the reference's (float64 and
 * float32 input) on clean, noisy, outlier-heavy and purely random inputs; products in every
 * mode equal the reference's to 1e-12; cached and streaming agree bit for bit.
 */
import test from 'ava';
import type { FloatArray } from '../ts/backend.js';
import { referenceCodes, referenceProduct } from '../ts/reference.js';
import { Random } from '../ts/random.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { countDifferent, relativeError } from './support/backends.js';

interface Input {
  label: string;
  n: number;
  rijs: FloatArray;
}

const INPUTS: Input[] = [
  { label: 'clean n=3', n: 3, rijs: generateSynthetic({ n: 3, seed: 1 }).rijs },
  { label: 'clean n=4', n: 4, rijs: generateSynthetic({ n: 4, seed: 2 }).rijs },
  { label: 'clean n=37', n: 37, rijs: generateSynthetic({ n: 37, seed: 3 }).rijs },
  { label: 'noisy 8° n=45', n: 45, rijs: generateSynthetic({ n: 45, seed: 4, noiseDeg: 8 }).rijs },
  { label: 'outliers 40% n=50', n: 50, rijs: generateSynthetic({ n: 50, seed: 5, noiseDeg: 3, outliers: 0.4 }).rijs },
  { label: 'random rotations n=41', n: 41, rijs: generateSynthetic({ n: 41, seed: 6, outliers: 0.999999 }).rijs },
  { label: 'float32 noisy n=46', n: 46, rijs: generateSynthetic({ n: 46, seed: 7, noiseDeg: 5, outliers: 0.2, dtype: 'float32' }).rijs },
  { label: 'float32 random n=33', n: 33, rijs: generateSynthetic({ n: 33, seed: 8, outliers: 0.999999, dtype: 'float32' }).rijs },
  { label: 'non-rotation matrices n=30', n: 30, rijs: gaussianMatrices(30, 9) },
];

/** Entries N(0, 1): no orthogonality, as the difference formulation must not assume it. */
function gaussianMatrices(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array((9 * n * (n - 1)) / 2);
  for (let k = 0; k < out.length; k++) out[k] = rng.normal();
  return out;
}

function randomVector(length: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length }, () => rng.normal());
}

for (const input of INPUTS) {
  const pairs = (input.n * (input.n - 1)) / 2;

  test(`wasm codes equal the reference's: ${input.label}`, async (t) => {
    const expected = referenceCodes(input.rijs, input.n);
    const codes = await wasmBackend.classifyAll(input.rijs, input.n);
    t.is(codes.length, expected.length);
    t.is(countDifferent(codes, expected), 0);
    // All four configurations occur on the random inputs, so every code path is exercised.
    if (input.label.includes('random')) t.is(new Set(codes).size, 4);
  });

  for (const jWeighting of [false, true]) {
    test(`wasm products equal the reference's (${jWeighting ? 'J-weighted' : 'plain'}): ${input.label}`, async (t) => {
      const v = randomVector(pairs, 42);
      const expected = new Float64Array(pairs);
      referenceProduct(input.rijs, input.n, v, expected, jWeighting);
      const results: Float64Array[] = [];
      for (const codes of ['cached', 'streaming'] as const) {
        const problem = await wasmBackend.prepare(input.rijs, input.n, { jWeighting, memoryBudget: 2 ** 30, threads: 1, codes });
        try {
          const y = new Float64Array(pairs);
          await problem.multiply(v, y);
          t.true(relativeError(y, expected) <= 1e-12, `${codes}: relative error ${relativeError(y, expected)}`);
          results.push(y);
        } finally {
          problem.dispose();
        }
      }
      t.deepEqual(results[0], results[1], 'cached and streaming products are bitwise equal');
    });
  }
}

// Rows whose first or last block of four k is partial (every n mod 4, rows that fit one block)
// and chunks of 3 threads whose first rows' partial blocks sit next to another chunk's output.
test('wasm products equal the reference for every n mod 4, with 1 and 3 threads', async (t) => {
  for (const n of [5, 6, 7, 8, 9, 10, 11, 12, 62, 63, 64, 65]) {
    const { rijs } = generateSynthetic({ n, seed: 100 + n, noiseDeg: 4, outliers: 0.3 });
    const pairs = (n * (n - 1)) / 2;
    const v = randomVector(pairs, n);
    const expected = new Float64Array(pairs);
    referenceProduct(rijs, n, v, expected, false);
    for (const threads of [1, 3]) {
      for (const codes of ['cached', 'streaming'] as const) {
        const problem = await wasmBackend.prepare(rijs, n, { memoryBudget: 2 ** 30, threads, codes });
        try {
          const y = new Float64Array(pairs);
          await problem.multiply(v, y);
          t.true(relativeError(y, expected) <= 1e-12, `n = ${n}, ${threads} threads, ${codes}: relative error ${relativeError(y, expected)}`);
        } finally {
          problem.dispose();
        }
      }
    }
  }
});

test('wasm chooses cached codes when they fit and streams when they do not', async (t) => {
  const { rijs } = generateSynthetic({ n: 120, seed: 10, noiseDeg: 2 });
  const roomy = await wasmBackend.prepare(rijs, 120, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes: 'auto' });
  t.is(roomy.mode, 'cached');
  t.true(roomy.cached);
  t.true(roomy.classifySeconds > 0);
  // Just too small for the codes (C(120,3)/4 ≈ 70 KB) but enough for the estimates.
  const tight = await wasmBackend.prepare(rijs, 120, { jWeighting: false, memoryBudget: roomy.memoryBytes - 80_000, threads: 1, codes: 'auto' });
  t.is(tight.mode, 'streaming');
  t.false(tight.cached);
  const v = randomVector(roomy.pairs, 1);
  const a = new Float64Array(roomy.pairs);
  const b = new Float64Array(roomy.pairs);
  await roomy.multiply(v, a);
  await tight.multiply(v, b);
  t.deepEqual(a, b);
  roomy.dispose();
  tight.dispose();
});

test('with codes kept, later products (whose vectors reuse the estimates’ memory) stay exact, and reclassifying is refused', async (t) => {
  const n = 60;
  const { rijs } = generateSynthetic({ n, seed: 11, noiseDeg: 4, outliers: 0.2 });
  const pairs = (n * (n - 1)) / 2;
  for (const codes of ['cached', 'paged'] as const) {
    const problem = (await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes })) as Awaited<
      ReturnType<typeof wasmBackend.prepare>
    > & { classify(): Promise<void> };
    try {
      for (const seed of [1, 2, 3]) {
        const v = randomVector(pairs, seed);
        const expected = new Float64Array(pairs);
        referenceProduct(rijs, n, v, expected, false);
        const y = new Float64Array(pairs);
        await problem.multiply(v, y);
        t.true(relativeError(y, expected) <= 1e-12, `${codes}, product ${seed}: relative error ${relativeError(y, expected)}`);
      }
      await t.throwsAsync(problem.classify(), { message: /overwritten/ });
    } finally {
      problem.dispose();
    }
  }
});
