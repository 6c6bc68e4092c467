/**
 * LOBPCG steps (lobpcg.ts, option method 'lobpcg', the default): the power method's fixed
 * point and stopping rule, in fewer products; the Wasm passes bitwise the TypeScript ones.
 */
import test from 'ava';
import type { JsyncProblem } from '../ts/backend.js';
import { JsyncInputError } from '../ts/errors.js';
import { jsync } from '../ts/jsync.js';
import { lobpcg, ritzStep, typescriptLobpcgPasses } from '../ts/lobpcg.js';
import { powerMethod } from '../ts/power.js';
import { Random } from '../ts/random.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { instantiateKernels, kernelModule } from '../ts/wasm/kernels.js';
import { BACKENDS, countDifferent } from './support/backends.js';
import { awkwardVector, denseProblem, diagonalProblem } from './support/problems.js';

const unit = (v: number[]) => {
  const norm = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / norm);
};

/** A random symmetric matrix Q·diag(eigenvalues)·Qᵀ (Q from Gram–Schmidt on normals) and its eigenvectors (rows). */
function symmetricWithSpectrum(eigenvalues: number[], seed: number): { matrix: number[][]; vectors: number[][] } {
  const random = new Random(seed);
  const m = eigenvalues.length;
  const q: number[][] = [];
  while (q.length < m) {
    const v = Array.from({ length: m }, () => random.normal());
    for (const u of q) {
      const dot = u.reduce((s, ui, i) => s + ui * v[i], 0);
      for (let i = 0; i < m; i++) v[i] -= dot * u[i];
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  const matrix = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => q.reduce((s, u, k) => s + u[i] * eigenvalues[k] * u[j], 0)));
  return { matrix, vectors: q };
}

test('on a known spectrum: the leading eigenvector and eigenvalue, in far fewer products than power steps', async (t) => {
  // 40 eigenvalues: 10, then 9 (a ratio of 0.9 for power steps) down to −9.
  const eigenvalues = [10, ...Array.from({ length: 39 }, (_, k) => 9 - (18 * k) / 38)];
  const { matrix, vectors } = symmetricWithSpectrum(eigenvalues, 5);
  const start = unit(Array.from({ length: 40 }, (_, i) => 1 + (i % 3)));
  const options = { epsilon: 1e-10, maxIters: 2000 };
  const power = await powerMethod(denseProblem(matrix), Float64Array.from(start), undefined, options);
  const steps = await lobpcg(denseProblem(matrix), Float64Array.from(start), {}, options);
  for (const result of [power, steps]) {
    t.true(result.converged);
    t.true(Math.abs(result.eigenvalue - 10) < 1e-8, `eigenvalue ${result.eigenvalue}`);
    const alignment = Math.abs(vectors[0].reduce((s, u, i) => s + u * result.vector[i], 0));
    t.true(Math.abs(alignment - 1) < 1e-12, `|cos| ${alignment}`);
  }
  t.log(`power ${power.iterations} products, LOBPCG ${steps.iterations}`);
  t.true(steps.iterations < power.iterations / 4);
  t.is(steps.residuals.length, steps.iterations);
  t.true(steps.residuals.at(-1)! < 1e-10);
});

test('the first step is a power step: same first residual, and maxIters 1 returns S·x/‖S·x‖', async (t) => {
  const eigenvalues = [5, 2, -1, 0.5];
  const start = unit([0.3, 0.5, -0.7, 0.4]);
  const steps = await lobpcg(diagonalProblem(eigenvalues), Float64Array.from(start), {}, { epsilon: 1e-12, maxIters: 1 });
  const power = await powerMethod(diagonalProblem(eigenvalues), Float64Array.from(start), undefined, { epsilon: 1e-12, maxIters: 1 });
  t.false(steps.converged);
  t.is(steps.iterations, 1);
  t.true(Math.abs(steps.residuals[0] - power.residuals[0]) < 1e-15);
  const y = eigenvalues.map((l, i) => l * start[i]);
  const norm = Math.hypot(...y);
  for (let i = 0; i < 4; i++) t.true(Math.abs(steps.vector[i] - y[i] / norm) < 1e-15);
});

test('an exact eigenvector as start: residual 0 after one product', async (t) => {
  const result = await lobpcg(diagonalProblem([3, 1, -2]), unit([1, 0, 0]), {}, { epsilon: 1e-12, maxIters: 10 });
  t.true(result.converged);
  t.is(result.iterations, 1);
  t.is(result.residuals[0], 0);
  t.is(result.eigenvalue, 3);
});

test('a start that S maps to zero is degenerate input, as for the power method', async (t) => {
  await t.throwsAsync(lobpcg(diagonalProblem([0, 0, 4]), unit([1, 1, 0]), {}, { epsilon: 1e-6, maxIters: 10 }), { instanceOf: JsyncInputError, message: /maps the iterate to zero/ });
});

test('ritzStep: the Ritz vector of [x, w]; p dropped when it lies in span{x, w}; a power step when w does', (t) => {
  // S = diag(4, 1) with x = e1·cos + e2·sin: the Ritz vector of span{x, w} = R² is e1, exactly.
  const x = [Math.cos(0.3), Math.sin(0.3)];
  const ax = [4 * x[0], 1 * x[1]];
  const a = Math.hypot(...ax);
  const w = [ax[0] / a - x[0], ax[1] / a - x[1]];
  const aw = [4 * w[0], 1 * w[1]];
  const dot = (u: number[], v: number[]) => u[0] * v[0] + u[1] * v[1];
  const sums = Float64Array.from([dot(x, x), dot(x, w), dot(w, w), dot(x, ax), dot(x, aw), dot(w, aw), dot(ax, ax), dot(ax, aw), dot(aw, aw)]);
  const step = ritzStep(sums, false);
  const next = [step.cx * x[0] + step.cw * w[0], step.cx * x[1] + step.cw * w[1]];
  t.true(Math.abs(next[0] - 1) < 1e-12 && Math.abs(next[1]) < 1e-12, `x′ = ${next}`);
  t.true(Math.abs(step.mu - 4) < 1e-12 && Math.abs(step.a2 - 16) < 1e-11);
  t.false(step.withP);
  // p = w/‖w‖ (so in span{x, w}): the same step, without p.
  const pw = w.map((v) => v / Math.hypot(...w));
  const apw = aw.map((v) => v / Math.hypot(...w));
  const withP = ritzStep(
    Float64Array.from([dot(x, x), dot(x, w), dot(x, pw), dot(w, w), dot(w, pw), dot(pw, pw), dot(x, ax), dot(x, aw), dot(x, apw), dot(w, aw), dot(w, apw), dot(pw, apw), dot(ax, ax), dot(ax, aw), dot(ax, apw), dot(aw, aw), dot(aw, apw), dot(apw, apw)]),
    true,
  );
  t.false(withP.withP);
  t.is(withP.cp, 0);
  t.true(Math.abs(withP.cx - step.cx) < 1e-12 && Math.abs(withP.cw - step.cw) < 1e-12);
  // w at rounding level (1e-9 of x, parallel to it): x + w, the power step.
  const tiny = ritzStep(Float64Array.from([1, 1e-9, 1e-18, 2, 2e-9, 2e-18, 4, 4e-9, 4e-18]), false);
  t.true(Math.abs(tiny.cx - tiny.cw) < 1e-15, `${tiny.cx} ${tiny.cw}`);
});

test('the Wasm passes are bitwise the TypeScript ones (kernels called directly)', async (t) => {
  const count = 1001; // odd: no lane structure to hide behind
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
  const k = await instantiateKernels(memory, await kernelModule('simd'));
  const at = (slot: number) => 8192 + slot * 8 * (count + 8);
  const [xAt, wAt, pAt, qAt, awAt, sumsAt] = [0, 1, 2, 3, 4, 5].map(at);
  const view = (address: number, length = count) => new Float64Array(memory.buffer, address, length);
  for (const seed of [1, 2, 3]) {
    for (const withP of [false, true]) {
      const ts = [awkwardVector(count, seed), awkwardVector(count, seed + 10), awkwardVector(count, seed + 20), awkwardVector(count, seed + 30), awkwardVector(count, seed + 40)];
      ts.forEach((v, i) => view([xAt, wAt, pAt, qAt, awAt][i]).set(v));
      const [x, w, p, q, aw] = ts;
      const label = `seed ${seed}${withP ? ', with p' : ''}`;

      k.lobpcgFirstDirection(xAt, awAt, wAt, count, sumsAt);
      t.deepEqual([...view(sumsAt, 3)], typescriptLobpcgPasses.firstDirection(x, aw, w), `firstDirection, ${label}`);
      t.deepEqual(view(wAt).slice(), w, `firstDirection's w, ${label}`);

      const sums = new Float64Array(18);
      typescriptLobpcgPasses.gram(x, w, p, q, aw, 1.7 * seed, withP, sums);
      k.lobpcgGram(xAt, wAt, pAt, qAt, awAt, 1.7 * seed, withP ? 1 : 0, count, sumsAt);
      t.deepEqual([...view(sumsAt, withP ? 18 : 9)], [...sums.subarray(0, withP ? 18 : 9)], `gram, ${label}`);

      const coefficients = [1.7 * seed, 0.8, -0.3, 0.2 * seed, 1.3, 0.6] as const;
      const r2 = k.lobpcgUpdate(xAt, wAt, pAt, qAt, awAt, ...coefficients, withP ? 1 : 0, count);
      t.is(r2, typescriptLobpcgPasses.update(x, w, p, q, aw, ...coefficients, withP), `update, ${label}`);
      for (const [name, address, expected] of [['x', xAt, x], ['w', wAt, w], ['p', pAt, p], ['q', qAt, q]] as const) {
        t.deepEqual(view(address).slice(), expected, `update's ${name}, ${label}`);
      }
    }
  }
});

test('Wasm: a run keeps its vectors in the memory (work vectors, the product arrays) and the kernels give the TypeScript results', async (t) => {
  const n = 40;
  const { rijs } = generateSynthetic({ n, seed: 7, noiseDeg: 5, outliers: 0.2 });
  const problem: JsyncProblem = await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 1, codes: 'cached' });
  try {
    const work = problem.workVectors?.();
    const product = problem.productVectors?.();
    t.is(work?.length, 3);
    t.truthy(product);
    const [x, p, q] = work!;
    const [w, aw] = product!;
    const arrays = () => [x, w, p, q, aw].map((v) => new Float64Array(v.length));
    const passes = problem.lobpcgPasses!();
    for (const withP of [false, true]) {
      const inMemory = [x, w, p, q, aw];
      const outside = arrays();
      inMemory.forEach((v, i) => v.set(awkwardVector(v.length, 50 + i)));
      inMemory.forEach((v, i) => outside[i].set(v));
      const sums = [new Float64Array(18), new Float64Array(18)];
      passes.gram(x, w, p, q, aw, 2.5, withP, sums[0]);
      typescriptLobpcgPasses.gram(outside[0], outside[1], outside[2], outside[3], outside[4], 2.5, withP, sums[1]);
      t.deepEqual(sums[0], sums[1]);
      t.is(passes.update(x, w, p, q, aw, 2.5, 0.9, 0.4, -0.2, 1.1, 0.3, withP), typescriptLobpcgPasses.update(outside[0], outside[1], outside[2], outside[3], outside[4], 2.5, 0.9, 0.4, -0.2, 1.1, 0.3, withP));
      inMemory.forEach((v, i) => t.deepEqual(v.slice(), outside[i]));
      passes.powerStep(x, w);
      typescriptLobpcgPasses.powerStep(outside[0], outside[1]);
      t.deepEqual(x.slice(), outside[0]);
    }
    // A product of the product arrays themselves: the same y as of copies.
    w.set(awkwardVector(w.length, 3).map((v) => Math.tanh(v)));
    const v = w.slice();
    const y = new Float64Array(v.length);
    await problem.multiply(v, y);
    await problem.multiply(w, aw);
    t.deepEqual(aw.slice(), y);
    t.deepEqual(w.slice(), v, 'the product leaves its input as it was');
  } finally {
    problem.dispose();
  }
});

for (const { name: backend, maxN } of BACKENDS) {
  for (const jWeighting of [false, true]) {
    test(`${backend}${jWeighting ? ', J-weighted' : ''}: LOBPCG and power steps converge to the same signs and eigenvalue, LOBPCG in fewer products`, async (t) => {
      const n = Math.min(maxN, 120);
      for (const [seed, noiseDeg, outliers] of [[61, 5, 0.2], [62, 10, 0.4], [63, 2, 0]] as const) {
        const { rijs } = generateSynthetic({ n, seed, noiseDeg, outliers });
        const steps = await jsync(rijs, { backend, jWeighting, epsilon: 1e-9 });
        const power = await jsync(rijs, { backend, jWeighting, epsilon: 1e-9, method: 'power' });
        t.is(steps.method, 'lobpcg');
        t.is(power.method, 'power');
        t.false(steps.shift);
        t.true(steps.converged && power.converged);
        t.is(countDifferent(steps.signs, power.signs), 0, `seed ${seed}`);
        t.true(Math.abs(steps.eigenvalue - power.eigenvalue) <= 1e-9 * power.eigenvalue, `${steps.eigenvalue} vs ${power.eigenvalue}`);
        t.true(steps.iterations < power.iterations, `seed ${seed}: ${steps.iterations} ≥ ${power.iterations} products`);
      }
    });
  }
}

test('option method: lobpcg or power; shift: false with LOBPCG is ignored with a warning', async (t) => {
  const { rijs } = generateSynthetic({ n: 12, seed: 3 });
  await t.throwsAsync(jsync(rijs, { method: 'lanczos' as unknown as 'power' }), { instanceOf: JsyncInputError, message: /option method/ });
  const result = await jsync(rijs, { shift: false });
  t.is(result.method, 'lobpcg');
  t.true(result.warnings.some((w) => /shift: false ignored/.test(w)));
  const power = await jsync(rijs, { shift: false, method: 'power' });
  t.false(power.shift);
  t.deepEqual(power.warnings, []);
});
