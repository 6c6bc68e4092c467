/**
 * Run by tests/relaxed-simd.test.ts in a child process started with V8's
 * --experimental-wasm-relaxed-simd (Node 20 needs it for relaxed SIMD): prepares the same
 * inputs with the relaxed-SIMD kernels and with the plain ones and prints, as one JSON
 * object, what a test compares: codes (and the reference's), products and jsync results.
 */
import type { FloatArray } from '../../ts/backend.js';
import { jsync } from '../../ts/jsync.js';
import { Random } from '../../ts/random.js';
import { referenceCodes } from '../../ts/reference.js';
import { generateSynthetic } from '../../ts/synthetic.js';
import { wasmBackend } from '../../ts/wasm/backend.js';
import { instantiateKernels, kernelLayout, kernelModule, relaxedSimdAccepted } from '../../ts/wasm/kernels.js';
import { warmKernels } from '../../ts/wasm/warmup.js';

interface Case {
  label: string;
  n: number;
  rijs: FloatArray;
  threads: number;
  codes: 'cached' | 'streaming';
}

const CASES: Case[] = [
  { label: 'noisy 5°, 25% outliers, n = 70', n: 70, rijs: generateSynthetic({ n: 70, seed: 81, noiseDeg: 5, outliers: 0.25 }).rijs, threads: 1, codes: 'cached' },
  { label: 'float32, n = 57', n: 57, rijs: generateSynthetic({ n: 57, seed: 82, noiseDeg: 8, outliers: 0.1, dtype: 'float32' }).rijs, threads: 1, codes: 'cached' },
  { label: 'random rotations, n = 45', n: 45, rijs: generateSynthetic({ n: 45, seed: 83, outliers: 0.999999 }).rijs, threads: 1, codes: 'cached' },
  { label: 'exact, n = 40', n: 40, rijs: generateSynthetic({ n: 40, seed: 84 }).rijs, threads: 1, codes: 'cached' },
  { label: 'streaming, n = 50', n: 50, rijs: generateSynthetic({ n: 50, seed: 85, noiseDeg: 4, outliers: 0.2 }).rijs, threads: 1, codes: 'streaming' },
  { label: '2 threads, n = 150', n: 150, rijs: generateSynthetic({ n: 150, seed: 86, noiseDeg: 6, outliers: 0.3 }).rijs, threads: 2, codes: 'cached' },
];

async function productAndCodes(c: Case, relaxedSimd: boolean) {
  const problem = await wasmBackend.prepare(c.rijs, c.n, { jWeighting: false, memoryBudget: 2 ** 30, threads: c.threads, codes: c.codes, relaxedSimd });
  try {
    const rng = new Random(c.n);
    const v = Float64Array.from({ length: problem.pairs }, () => rng.normal());
    const y = new Float64Array(problem.pairs);
    await problem.multiply(v, y);
    const codes = c.codes === 'cached' ? Array.from((problem as unknown as { allCodes(): Uint8Array }).allCodes()) : null;
    return { relaxedSimd: problem.relaxedSimd, product: Array.from(y), codes };
  } finally {
    problem.dispose();
  }
}

const report = { accepted: relaxedSimdAccepted(), variants: [] as unknown[], cases: [] as unknown[] };
// The footprint recorded at build time holds for the relaxed builds too, and the warm-up runs
// every bulk kernel of theirs in bounds.
for (const variant of ['simdRelaxed', 'threadsRelaxed'] as const) {
  const shared = variant === 'threadsRelaxed';
  const module = await kernelModule(variant);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: shared ? 65536 : 1, shared });
  const kernels = await instantiateKernels(memory, module);
  let warmed = true;
  await warmKernels(module, shared).catch(() => (warmed = false));
  report.variants.push({ variant, heapBase: kernels.heapBase(), signTableBytes: kernels.signTableBytes(), layout: kernelLayout(), warmed });
}
for (const c of CASES) {
  const plain = await productAndCodes(c, false);
  const relaxed = await productAndCodes(c, true);
  const runs = [];
  for (const relaxedSimd of [false, true]) {
    const result = await jsync(c.rijs, { threads: c.threads, codes: c.codes, epsilon: 1e-8, relaxedSimd });
    runs.push({ relaxedSimd: result.relaxedSimd, signs: Array.from(result.signs), residuals: result.residuals, eigenvalue: result.eigenvalue });
  }
  report.cases.push({
    label: c.label,
    reference: c.codes === 'cached' ? Array.from(referenceCodes(c.rijs, c.n)) : null,
    plain,
    relaxed,
    runs,
  });
}
process.stdout.write(JSON.stringify(report));
