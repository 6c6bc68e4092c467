/**
 * Child process of tests/threads.test.ts: runs threaded J-synchronizations that succeed,
 * take prewarmed workers, fail inside a worker and get aborted, then leaves prewarmed workers
 * unused and returns without process.exit(). If any worker or handle kept the process alive,
 * it would not exit and the test would time out.
 */
import { jsync, prewarm } from '../../ts/jsync.js';
import { waitingWorkers } from '../../ts/wasm/lanes.js';
import { generateSynthetic } from '../../ts/synthetic.js';
import { wasmBackend } from '../../ts/wasm/backend.js';

const data = generateSynthetic({ n: 150, seed: 9, noiseDeg: 5, outliers: 0.2 });

const ok = await jsync(data.rijs, { threads: 2 });
console.log(`success: ${ok.threads} threads, ${ok.iterations} iterations`);

await prewarm(data.n, { threads: 2 });
console.log(`prewarmed: ${waitingWorkers()} waiting`);
const warm = await jsync(data.rijs, { threads: 2 });
const same = warm.signs.every((sign, p) => sign === ok.signs[p]) && warm.eigenvalue === ok.eigenvalue;
console.log(`prewarmed run: ${warm.threads} threads, ${waitingWorkers()} waiting, same result: ${same}`);

const problem = await wasmBackend.prepare(data.rijs, data.n, { jWeighting: false, memoryBudget: 2 ** 30, threads: 2, codes: 'auto' });
await (problem as unknown as { lanes: Array<{ terminate(): Promise<void> }> }).lanes[0].terminate();
try {
  await problem.multiply(new Float64Array(data.pairs).fill(1), new Float64Array(data.pairs));
  console.log('error: none');
} catch (error) {
  console.log(`error: ${(error as Error).message}`);
} finally {
  problem.dispose();
}

const controller = new AbortController();
try {
  await jsync(data.rijs, {
    threads: 2,
    epsilon: Number.MIN_VALUE,
    signal: controller.signal,
    onProgress: ({ iteration }) => iteration === 2 && controller.abort(),
  });
  console.log('abort: not aborted');
} catch (error) {
  console.log(`abort: ${(error as Error).name}`);
}
// Workers left waiting must not keep the process alive.
await prewarm(data.n, { threads: 2 });
console.log(`left waiting: ${waitingWorkers()}`);
// A large problem keeps the calling thread free: two threads are two workers.
await prewarm(2000, { threads: 2 });
console.log(`large, left waiting: ${waitingWorkers()}`);
console.log('done');
