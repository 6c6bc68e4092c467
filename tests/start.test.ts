/**
 * The data-built start vector: the Wasm kernel (assembly/start.ts) must give exactly the
 * vector of the TypeScript definition (ts/start.ts anchorStart) from the same codes, in every
 * mode and for any thread count.
 */
import test from 'ava';
import type { FloatArray, JsyncProblem } from '../ts/backend.js';
import { referenceCodes } from '../ts/reference.js';
import { anchorStart } from '../ts/start.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';

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

for (const input of INPUTS) {
  test(`wasm start vector is bitwise the TypeScript one: ${input.label}`, async (t) => {
    const expected = anchorStart(input.n, anchorCodesOf(input.rijs, input.n));
    for (const codes of ['cached', 'paged', 'streaming'] as const) {
      for (const threads of [1, 2]) {
        const problem: JsyncProblem = await wasmBackend.prepare(input.rijs, input.n, { jWeighting: false, memoryBudget: 2 ** 30, threads, codes });
        try {
          t.truthy(problem.dataStart, 'the Wasm backend computes the start itself');
          const start = await problem.dataStart!();
          t.deepEqual(start, expected, `${codes}, ${threads} thread(s)`);
        } finally {
          problem.dispose();
        }
      }
    }
  });
}

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
