/**
 * Child process of tests/threads.test.ts: runs threaded J-synchronizations that succeed,
 * fail inside a worker and get aborted, then returns without process.exit(). If any worker
 * or handle were left behind, this process would not exit and the test would time out.
 */
import { jsync } from '../../ts/jsync.js';
import { generateSynthetic } from '../../ts/synthetic.js';
import { wasmBackend } from '../../ts/wasm/backend.js';

const data = generateSynthetic({ n: 150, seed: 9, noiseDeg: 5, outliers: 0.2 });

const ok = await jsync(data.rijs, { threads: 2 });
console.log(`success: ${ok.threads} threads, ${ok.iterations} iterations`);

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
console.log('done');
