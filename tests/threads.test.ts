/**
 * The Wasm backend on worker threads: products and signs bitwise equal for 1, 2 and 3
 * threads in every mode (codes in memory, paged per worker, streaming, J-weighted); workers
 * released after success, error and abort; no growth over repeated runs.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JsyncProblem } from '../ts/backend.js';
import { chooseThreads, jsync } from '../ts/jsync.js';
import { Random } from '../ts/random.js';
import { referenceProduct } from '../ts/reference.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { spawnWorker, workerLane } from '../ts/wasm/lanes.js';
import type { RunnerSetup } from '../ts/wasm/runner.js';
import { relativeError } from './support/backends.js';

const data = generateSynthetic({ n: 150, seed: 71, noiseDeg: 6, outliers: 0.25 });
const f32 = generateSynthetic({ n: 110, seed: 72, noiseDeg: 4, outliers: 0.1, dtype: 'float32' });

function randomVector(length: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length }, () => rng.normal());
}

const MODES = [
  { label: 'codes in memory', codes: 'cached', jWeighting: false, mode: 'cached' },
  { label: 'codes paged per worker', codes: 'paged', jWeighting: false, mode: 'paged' },
  { label: 'streaming', codes: 'streaming', jWeighting: false, mode: 'streaming' },
  { label: 'J-weighted', codes: 'auto', jWeighting: true, mode: 'recompute' },
] as const;

for (const input of [data, f32]) {
  for (const { label, codes, jWeighting, mode } of MODES) {
    test(`1, 2 and 3 threads give bitwise equal products (${label}, ${input.rijs instanceof Float32Array ? 'float32' : 'float64'})`, async (t) => {
      const v = randomVector(input.pairs, 5);
      const expected = new Float64Array(input.pairs);
      referenceProduct(input.rijs, input.n, v, expected, jWeighting);
      const products: Float64Array[] = [];
      for (const threads of [1, 2, 3]) {
        const problem: JsyncProblem = await wasmBackend.prepare(input.rijs, input.n, { jWeighting, memoryBudget: 2 ** 30, threads, codes });
        try {
          t.is(problem.threads, threads);
          t.is(problem.mode, mode);
          const y = new Float64Array(input.pairs);
          await problem.multiply(v, y);
          await problem.multiply(v, y); // a second product must not see the first's partials
          t.true(relativeError(y, expected) <= 1e-12);
          products.push(y);
        } finally {
          problem.dispose();
        }
      }
      t.deepEqual(products[1], products[0]);
      t.deepEqual(products[2], products[0]);
    });
  }
}

test('jsync: signs, residuals and eigenvalue are bitwise equal for 1, 2 and 3 threads', async (t) => {
  const results = [];
  for (const threads of [1, 2, 3]) results.push(await jsync(data.rijs, { threads, epsilon: 1e-8 }));
  for (const result of results.slice(1)) {
    t.deepEqual(result.signs, results[0].signs);
    t.deepEqual(result.residuals, results[0].residuals);
    t.true(Object.is(result.eigenvalue, results[0].eigenvalue));
  }
  t.deepEqual(results.map((r) => r.threads), [1, 2, 3]);
});

test('paged and streaming runs give the signs of the single-thread cached run', async (t) => {
  const cached = await jsync(data.rijs, { threads: 1, codes: 'cached' });
  const paged = await jsync(data.rijs, { threads: 2, codes: 'paged' });
  const streaming = await jsync(data.rijs, { threads: 3, codes: 'streaming' });
  t.is(cached.mode, 'cached');
  t.is(paged.mode, 'paged');
  t.true(paged.cached);
  t.is(streaming.mode, 'streaming');
  t.deepEqual(paged.signs, cached.signs);
  t.deepEqual(streaming.signs, cached.signs);
  t.deepEqual(paged.residuals, cached.residuals);
});

test('an error in one worker becomes an error of the run, not a hang', async (t) => {
  const problem = await wasmBackend.prepare(data.rijs, data.n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 2, codes: 'auto' });
  // Stop one worker behind the problem's back, as a crash would (in Node, lane 0 is a worker
  // and the last lane is the calling thread).
  const lanes = (problem as unknown as { lanes: Array<{ terminate(): Promise<void> }> }).lanes;
  await lanes[0].terminate();
  const v = randomVector(data.pairs, 1);
  await t.throwsAsync(problem.multiply(v, new Float64Array(data.pairs)), { message: /worker 0/ });
  problem.dispose();
});

test('a worker whose init fails: every request sent after it fails with its error, and the worker stops', async (t) => {
  // A module importing a function that the kernels' instantiation does not provide: init
  // (instantiateKernels in the worker) throws a LinkError. The requests are sent at once,
  // without waiting for init, as prepareWasm does.
  const importsMissing = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
    0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x07, 0x6d, 0x69, 0x73, 0x73, 0x69, 0x6e, 0x67, 0x00, 0x00, // import env.missing
  ]);
  const worker = await spawnWorker(0);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const lane = workerLane(worker, new WebAssembly.Module(importsMissing), memory, {} as RunnerSetup);
  const requests = [lane.prepareRows(null), lane.classify(), lane.product(null)];
  for (const request of requests) await t.throwsAsync(request, { message: /worker 0: .*(import|LinkError)/i });
  // Stopped: a further request is refused at once.
  await t.throwsAsync(worker.call('anchorCodes', null), { message: /stopped|exited/ });
});

const LIFECYCLE_SCRIPT = fileURLToPath(new URL('support/lifecycle.ts', import.meta.url));

test('workers are released after success, error and abort, and idle prewarmed ones do not hold the process: it exits by itself', async (t) => {
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', LIFECYCLE_SCRIPT], { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
  t.is(code, 0, stderr);
  t.regex(stdout, /success: 2 threads/);
  // Two threads for a small problem in Node: the calling thread and one worker.
  t.regex(stdout, /prewarmed: 1 waiting/);
  t.regex(stdout, /prewarmed run: 2 threads, 0 waiting, same result: true/);
  t.regex(stdout, /left waiting: 1/);
  t.regex(stdout, /large, left waiting: 2/);
  t.regex(stdout, /error: .*worker/);
  t.regex(stdout, /abort: AbortError/);
  t.regex(stdout, /done/);
  t.log(`child process ran and exited on its own in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

test.serial('no memory growth over repeated threaded runs', async (t) => {
  const small = generateSynthetic({ n: 80, seed: 73, noiseDeg: 5, outliers: 0.2 });
  const run = () => jsync(small.rijs, { threads: 2, epsilon: 1e-4 });
  for (let k = 0; k < 5; k++) await run();
  globalThis.gc?.();
  const before = process.memoryUsage();
  for (let k = 0; k < 30; k++) await run();
  globalThis.gc?.();
  const after = process.memoryUsage();
  const held = (u: NodeJS.MemoryUsage) => u.heapUsed + u.external + u.arrayBuffers;
  t.log(`30 runs: held bytes ${((held(after) - held(before)) / 1024).toFixed(0)} KiB, RSS ${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB`);
  t.true(held(after) - held(before) < 2 * 2 ** 20);
  t.true(after.rss - before.rss < 64 * 2 ** 20);
});

test('a problem too small to share among the threads asked for runs on fewer, and says so', async (t) => {
  const small = generateSynthetic({ n: 9, seed: 75 }); // 7 rows of triplets: one chunk
  const asked = await jsync(small.rijs, { threads: 2 });
  t.is(asked.threads, 1);
  t.true(asked.warnings.some((w) => /threads: 2 asked, 1 used: n = 9/.test(w)), asked.warnings.join('; '));
  const byDefault = await jsync(small.rijs);
  t.is(byDefault.threads, 1);
  t.deepEqual(byDefault.warnings, []);
  t.deepEqual(byDefault.signs, asked.signs);
});

test('browsers without cross-origin isolation run on one thread, with a warning, never a crash', (t) => {
  const browser = {
    runtime: 'browser', version: 'test', wasmSimd: true, sharedMemory: false, crossOriginIsolated: false,
    cores: 8, totalMemory: null, availableMemory: null, defaultMemoryBudget: 2 ** 30,
  } as const;
  const warnings: string[] = [];
  t.is(chooseThreads(4, 500, 'wasm', browser, warnings), 1);
  t.regex(warnings[0], /not cross-origin isolated/);
  const isolated = { ...browser, sharedMemory: true, crossOriginIsolated: true };
  const none: string[] = [];
  t.is(chooseThreads(4, 500, 'wasm', isolated, none), 4);
  t.is(chooseThreads(undefined, 500, 'wasm', isolated, none), 8, 'default: every core for a large problem');
  t.is(chooseThreads(undefined, 50, 'wasm', isolated, none), 1, 'default: one thread for a small problem');
  t.deepEqual(none, []);
});

test('an abort while the problem is being prepared stops the workers and rejects at once', async (t) => {
  const big = generateSynthetic({ n: 400, seed: 74, noiseDeg: 5, outliers: 0.2 });
  for (const delay of [0, 20, 150]) {
    const controller = new AbortController();
    const started = performance.now();
    const run = jsync(big.rijs, { threads: 2, signal: controller.signal });
    setTimeout(() => controller.abort(), delay);
    const error = await t.throwsAsync(run);
    t.is(error?.name, 'AbortError', `abort after ${delay} ms: ${error?.message}`);
    t.log(`abort after ${delay} ms: rejected after ${(performance.now() - started).toFixed(0)} ms`);
  }
  const aborted = AbortSignal.abort();
  await t.throwsAsync(wasmBackend.prepare(big.rijs, big.n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 2, codes: 'auto', signal: aborted }), { name: 'AbortError' });
});
