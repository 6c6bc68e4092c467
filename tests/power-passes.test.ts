// The power method's passes over its iterates as Wasm kernels (assembly/iterate.ts) must give
// exactly what power.ts's TypeScript loops give: the iterates, residuals and signs of a run
// then do not depend on where its vectors live.
import test from 'ava';
import type { JsyncProblem } from '../ts/backend.js';
import { typescriptPasses } from '../ts/power.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { instantiateKernels, kernelModule } from '../ts/wasm/kernels.js';
import { awkwardVector } from './support/problems.js';

test('the Wasm passes are bitwise the TypeScript ones (kernels called directly)', async (t) => {
  const count = 1001; // odd: no lane structure to hide behind
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const k = await instantiateKernels(memory, await kernelModule('simd'));
  const base = 8192;
  const [vAt, yAt, sumsAt, signsAt] = [base, base + 8 * count, base + 16 * count, base + 16 * count + 64];
  for (const seed of [1, 2, 3]) {
    const v = awkwardVector(count, seed);
    const y = awkwardVector(count, seed + 100);
    if (seed === 3) v[0] = -Math.abs(v[0]) - 1; // a negative first entry flips every sign
    new Float64Array(memory.buffer, vAt, count).set(v);
    new Float64Array(memory.buffer, yAt, count).set(y);

    k.dotAndNorms(vAt, yAt, count, sumsAt);
    t.deepEqual([...new Float64Array(memory.buffer, sumsAt, 3)], typescriptPasses.dotAndNorms(v, y), `dotAndNorms, seed ${seed}`);

    const shift = -0.37 * seed;
    const scale = 1 / (3.3 * seed);
    const yWasm = new Float64Array(memory.buffer, yAt, count);
    const diffWasm = k.shiftScaleAndDiff(yAt, shift, scale, vAt, count);
    const yTs = y.slice();
    const diffTs = typescriptPasses.shiftScaleAndDiff(yTs, shift, scale, v);
    t.is(diffWasm, diffTs, `shiftScaleAndDiff's sum, seed ${seed}`);
    t.deepEqual(yWasm.slice(), yTs, `shiftScaleAndDiff's y, seed ${seed}`);

    k.signsOf(vAt, count, signsAt);
    t.deepEqual(new Int8Array(memory.buffer, signsAt, count).slice(), typescriptPasses.signsOf(v), `signsOf, seed ${seed}`);
  }
});

for (const codes of ['cached', 'paged', 'streaming'] as const) {
  test(`a problem's passes on its work vectors and on arrays of its own equal the TypeScript ones (${codes})`, async (t) => {
    const n = 40;
    const { rijs } = generateSynthetic({ n, seed: 7, noiseDeg: 5, outliers: 0.2 });
    const problem: JsyncProblem = await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes });
    try {
      const passes = problem.powerPasses?.();
      t.truthy(passes, 'the Wasm backend has its own passes');
      const work = problem.workVectors?.();
      const inMemory = work ?? [new Float64Array(problem.pairs), new Float64Array(problem.pairs)];
      const outside = [new Float64Array(problem.pairs), new Float64Array(problem.pairs)];
      for (const [label, [v, y]] of [['work vectors', inMemory], ['arrays', outside]] as const) {
        v.set(awkwardVector(problem.pairs, 11));
        y.set(awkwardVector(problem.pairs, 12));
        const [vTs, yTs] = [v.slice(), y.slice()];
        t.deepEqual(passes!.dotAndNorms(v, y), typescriptPasses.dotAndNorms(vTs, yTs), label);
        t.is(passes!.shiftScaleAndDiff(y, -2.5, 0.125, v), typescriptPasses.shiftScaleAndDiff(yTs, -2.5, 0.125, vTs), label);
        t.deepEqual(y.slice(), yTs, label);
        t.deepEqual(passes!.signsOf(y), typescriptPasses.signsOf(yTs), label);
      }
      if (codes !== 'streaming') t.truthy(work, 'cached and paged plans have work vectors at n = 40');
    } finally {
      problem.dispose();
    }
  });
}
