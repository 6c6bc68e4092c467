/**
 * Benchmarks (benchmark.js): the reference and the Wasm backend on one thread at
 * n = 100, 200, 400, 1000 — classification and one product, in triplets per second — and the
 * Wasm backend end to end (one thread); writes bench/RESULTS.md with the machine it ran on
 * (bench/threads.ts appends the thread and scale table). The Wasm rows come twice where the
 * runtime has relaxed SIMD (the npm script turns it on in Node 20): the plain SIMD kernels and
 * their relaxed-SIMD build (fused multiply-add in the classification filter; same results).
 *
 *   npm run bench                 # everything (the reference at n = 1000 takes minutes)
 *   npm run bench -- --quick      # n ≤ 400 only
 */
import Benchmark from 'benchmark';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsync } from '../ts/jsync.js';
import { tripletCount } from '../ts/pairs.js';
import { referenceCodes, referenceProduct } from '../ts/reference.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { relaxedSimdAccepted } from '../ts/wasm/kernels.js';

const quick = process.argv.includes('--quick');
const SIZES = quick ? [100, 200, 400] : [100, 200, 400, 1000];

interface Row {
  n: number;
  backend: string;
  classifySeconds: number;
  productSeconds: number;
}

/** Mean seconds per call of `fn` measured by benchmark.js (synchronous or deferred). */
function measure(name: string, fn: () => void | Promise<void>, slow: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      defer: true,
      fn: (deferred: { resolve(): void }) => {
        Promise.resolve(fn()).then(() => deferred.resolve(), reject);
      },
      minSamples: slow ? 2 : 5,
      maxTime: slow ? 1 : 3,
      initCount: 1,
      onComplete: () => resolve(bench.stats.mean),
      onError: (event: { target: { error: unknown } }) => reject(event.target.error),
    } as Benchmark.Options);
    bench.run({ async: true });
  });
}

function rate(n: number, seconds: number): string {
  return `${(tripletCount(n) / seconds / 1e9).toFixed(3)} G/s`;
}

async function benchSize(n: number): Promise<Row[]> {
  const data = generateSynthetic({ n, seed: 1, noiseDeg: 5, outliers: 0.2 });
  const pairs = data.pairs;
  const v = new Float64Array(pairs).fill(1 / Math.sqrt(pairs));
  const y = new Float64Array(pairs);
  const rows: Row[] = [];

  // Wasm: classification, and one cached product. A problem classifies once, overwriting its
  // inputs as it goes (the estimates with the codes, the filter copy with the second read of
  // the deferred rechecks, memory-map.ts), so classification is timed inside prepare(): the
  // mean of the problems' own classification times, after one to warm up (a long first call
  // runs in the baseline compiler). The rechecks, second read included, count as classification.
  // The two builds take turns, so that both see the same process (heap, compiled code) and
  // machine. Measured one after the other, the relaxed build (second) came out 18% slower at
  // n = 1000, where in separate processes taken in turns it is 7% faster.
  const variants = relaxedSimdAccepted() ? [false, true] : [false];
  const prepare = (relaxedSimd: boolean) =>
    wasmBackend.prepare(data.rijs, n, { jWeighting: false, memoryBudget: 2 ** 32, threads: 1, codes: 'cached', relaxedSimd });
  for (const relaxedSimd of variants) (await prepare(relaxedSimd)).dispose(); // warm-up
  const runs = n >= 1000 ? 3 : 5;
  const classifyTotal = variants.map(() => 0);
  for (let run = 0; run < runs; run++) {
    for (const [k, relaxedSimd] of variants.entries()) {
      const problem = await prepare(relaxedSimd);
      classifyTotal[k] += problem.classifySeconds;
      problem.dispose();
    }
  }
  for (const [k, relaxedSimd] of variants.entries()) {
    const backend = relaxedSimd ? 'wasm, relaxed SIMD' : 'wasm';
    const wasmClassify = classifyTotal[k] / runs;
    const problem = await prepare(relaxedSimd);
    await problem.multiply(v, y);
    const wasmProduct = await measure(`${backend} product n=${n}`, () => problem.multiply(v, y), false);
    problem.dispose();
    rows.push({ n, backend, classifySeconds: wasmClassify, productSeconds: wasmProduct });
    console.log(`n=${n} ${backend}: classify ${wasmClassify.toFixed(4)} s (${rate(n, wasmClassify)}), product ${wasmProduct.toFixed(4)} s (${rate(n, wasmProduct)})`);
  }

  // Reference: its product recomputes every residual, so classification ≈ one product.
  const slow = n >= 400;
  const refClassify = await measure(`reference classify n=${n}`, () => void referenceCodes(data.rijs, n), slow);
  const refProduct = await measure(`reference product n=${n}`, () => referenceProduct(data.rijs, n, v, y, false), slow);
  rows.push({ n, backend: 'reference', classifySeconds: refClassify, productSeconds: refProduct });
  console.log(`n=${n} reference: classify ${refClassify.toFixed(4)} s (${rate(n, refClassify)}), product ${refProduct.toFixed(4)} s (${rate(n, refProduct)})`);
  return rows;
}

interface EndToEnd {
  n: number;
  iterations: number;
  classify: number;
  iterate: number;
  total: number;
  cliSeconds: number;
}

async function endToEnd(n: number): Promise<EndToEnd> {
  const data = generateSynthetic({ n, seed: 2, noiseDeg: 5, outliers: 0.2 });
  await jsync(data.rijs, { backend: 'wasm', threads: 1 }); // warm-up
  const runs = [];
  for (let k = 0; k < 3; k++) runs.push(await jsync(data.rijs, { backend: 'wasm', threads: 1 }));
  const best = runs.reduce((a, b) => (a.seconds.total <= b.seconds.total ? a : b));
  // The command line as a user runs it: process start, .npy read, run, .npy write.
  const dir = fileURLToPath(new URL('../../bench/', import.meta.url));
  const bin = fileURLToPath(new URL('../../bin/jsync.js', import.meta.url));
  execFileSync(process.execPath, [bin, 'generate', '--n', String(n), '--seed', '2', '--noise-deg', '5', '--outliers', '0.2', '--out', `${dir}.e2e.npy`]);
  let cliSeconds = Infinity;
  for (let k = 0; k < 3; k++) {
    const start = performance.now();
    execFileSync(process.execPath, [bin, 'run', `${dir}.e2e.npy`, '--out', `${dir}.e2e-signs.npy`, '--threads', '1']);
    cliSeconds = Math.min(cliSeconds, (performance.now() - start) / 1000);
  }
  execFileSync('rm', ['-f', `${dir}.e2e.npy`, `${dir}.e2e-signs.npy`]);
  const s = best.seconds;
  console.log(`end to end n=${n}: ${best.iterations} iterations, classify ${s.classify.toFixed(3)} s, iterate ${s.iterate.toFixed(3)} s, total ${s.total.toFixed(3)} s; CLI ${cliSeconds.toFixed(3)} s`);
  return { n, iterations: best.iterations, classify: s.classify, iterate: s.iterate, total: s.total, cliSeconds };
}

function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; Node ${process.versions.node} (V8 ${process.versions.v8})`;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of SIZES) rows.push(...(await benchSize(n)));
  const e2e = await endToEnd(quick ? 400 : 1000);

  const lines = [
    '# Benchmark results',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench${quick ? ' -- --quick' : ''}\` (benchmark.js) on: ${machine()}.`,
    'One thread. Input: synthetic, 20% outliers, 5° noise, float64. Rates are triplets per second',
    '(C(n,3) triplets per classification or per product). Wasm classification: the mean of the',
    'classification times of 3–5 prepared problems (a problem classifies once), the deferred',
    'float64 rechecks and their second read of the estimates included. "wasm, relaxed SIMD": the',
    'relaxed-SIMD build of the kernels (fused multiply-add in the classification filter; the same',
    'codes, products and signs; the product kernel is the same code). The machine is shared',
    'and noisy: compare rows of one run, not across runs.',
    '',
    '## Classification and product',
    '',
    '| n | triplets | backend | classify (s) | classify rate | product (s) | product rate |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.n} | ${tripletCount(r.n).toLocaleString('en-US')} | ${r.backend} | ${r.classifySeconds.toFixed(4)} | ${rate(r.n, r.classifySeconds)} | ${r.productSeconds.toFixed(4)} | ${rate(r.n, r.productSeconds)} |`,
    ),
    '',
    '## Wasm against the reference (same run)',
    '',
    '| n | kernels | classification speed-up | product speed-up |',
    '|---|---|---|---|',
    ...rows.filter((r) => r.backend !== 'reference').map((w) => {
      const ref = rows.find((r) => r.n === w.n && r.backend === 'reference')!;
      return `| ${w.n} | ${w.backend} | ${(ref.classifySeconds / w.classifySeconds).toFixed(0)}× | ${(ref.productSeconds / w.productSeconds).toFixed(0)}× |`;
    }),
    '',
    `## End to end, Wasm, n = ${e2e.n}`,
    '',
    `\`jsync()\` from the estimates in memory to the signs (best of 3 after a warm-up; ${relaxedSimdAccepted() ? 'relaxed-SIMD kernels' : 'plain SIMD kernels'}), and the`,
    'command line `jsync run` as a user runs it (process start, .npy in and out; best of 3; it',
    'turns relaxed SIMD on by itself in Node 20).',
    '',
    '| iterations | classify (s) | iterate (s) | total (s) | `jsync run` wall (s) |',
    '|---|---|---|---|---|',
    `| ${e2e.iterations} | ${e2e.classify.toFixed(3)} | ${e2e.iterate.toFixed(3)} | ${e2e.total.toFixed(3)} | ${e2e.cliSeconds.toFixed(3)} |`,
    '',
  ];
  const out = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
  // The sections other benchmarks write (bench/threads.ts, from its heading on) stay.
  const existing = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const others = existing.indexOf('\n## Threads and scale');
  writeFileSync(out, lines.join('\n') + (others >= 0 ? '\n' + existing.slice(others + 1) : ''));
  console.log(`wrote ${out}`);
}

await main();
