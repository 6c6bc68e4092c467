/**
 * The lanes a problem runs on: one ChunkRunner in the calling thread, or one per worker
 * thread on a shared memory. Same interface, so the backend does not care which.
 */
import { startLane, workerUrl, type Lane } from '../threads/lane.js';
import type { FloatArray } from '../backend.js';
import { ChunkRunner, type PreparedRows, type RunnerSetup } from './runner.js';
import type { KernelExports } from './kernels.js';

export interface RunnerLane {
  /** See ChunkRunner.prepareRows; `rijs` must be shareable with the lane (or null). */
  prepareRows(i0: number, i1: number, rijs: FloatArray | null): Promise<PreparedRows>;
  classify(chunks: number[]): Promise<number>;
  product(chunks: number[]): Promise<void>;
  reduce(p0: number, p1: number): Promise<void>;
  anchorCodes(): Promise<Uint8Array>;
  /** Idempotent; stops a worker even mid-computation. */
  terminate(): Promise<void>;
}

/** Let timers, I/O and abort signals run between chunks when a call has taken this long. */
const BREATHE_AFTER_MS = 50;

function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs `work` for each chunk, yielding to the event loop now and then. */
async function eachChunk(chunks: number[], check: () => void, work: (chunk: number) => void): Promise<void> {
  let since = performance.now();
  for (const c of chunks) {
    check();
    work(c);
    if (performance.now() - since > BREATHE_AFTER_MS) {
      await breathe();
      since = performance.now();
    }
  }
}

/** The calling thread as a lane. Yields to the event loop between chunks. */
export function localLane(kernels: KernelExports, memory: WebAssembly.Memory, setup: RunnerSetup): RunnerLane {
  const runner = new ChunkRunner(kernels, memory, setup);
  let stopped = false;
  const check = () => {
    if (stopped) throw new Error('lane stopped');
  };
  return {
    async prepareRows(i0, i1, rijs) {
      check();
      return runner.prepareRows(i0, i1, rijs);
    },
    async classify(chunks) {
      let rechecks = 0;
      await eachChunk(chunks, check, (c) => (rechecks += runner.classify([c])));
      return rechecks;
    },
    async product(chunks) {
      await eachChunk(chunks, check, (c) => runner.product([c]));
    },
    async reduce(p0, p1) {
      check();
      runner.reduce(p0, p1);
    },
    async anchorCodes() {
      check();
      return runner.anchorCodes();
    },
    async terminate() {
      stopped = true;
    },
  };
}

/** Starts a worker thread for a lane; it loads its code while the caller prepares memory. */
export function spawnWorker(lane: number): Promise<Lane> {
  return startLane(workerUrl(import.meta.url, 'worker'), `worker ${lane}`);
}

/** A started worker as a lane, on the shared `memory`. */
export async function workerLane(worker: Lane, module: WebAssembly.Module, memory: WebAssembly.Memory, setup: RunnerSetup): Promise<RunnerLane> {
  try {
    await worker.call('init', { module, memory, setup });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    prepareRows: (i0, i1, rijs) => worker.call<PreparedRows>('prepareRows', [i0, i1, rijs]),
    classify: (chunks) => worker.call<number>('classify', chunks),
    product: (chunks) => worker.call<void>('product', chunks),
    reduce: (p0, p1) => worker.call<void>('reduce', [p0, p1]),
    anchorCodes: () => worker.call<Uint8Array>('anchorCodes', null),
    terminate: () => worker.terminate(),
  };
}
