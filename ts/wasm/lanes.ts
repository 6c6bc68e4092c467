/**
 * The lanes a problem runs on: one ChunkRunner in the calling thread, or one per worker
 * thread on a shared memory. Same interface, so the backend does not care which.
 */
import { startLane, workerUrl, type Lane } from '../threads/lane.js';
import type { FloatArray } from '../backend.js';
import { ChunkRunner, type ClassifiedShare, type PreparedRows, type RunnerSetup } from './runner.js';
import type { KernelExports } from './kernels.js';

export interface RunnerLane {
  /** This lane's share of preparing the rows (ChunkRunner.prepareShare); `rijs` must be shareable with the lane, or null. */
  prepareRows(rijs: FloatArray | null): Promise<PreparedRows>;
  /** This lane's share of the classification (ChunkRunner.classifyShare). */
  classify(): Promise<ClassifiedShare>;
  /** Deferred rechecks: decides the triplets this lane listed (ChunkRunner.recheck). */
  recheck(gathered: boolean): Promise<void>;
  /** This lane's share of a product: these chunks, or (null) chunks from the shared counter. */
  product(chunks: number[] | null): Promise<void>;
  /** Adds chunk c's triplets with first image below rowEnd to chunk 0's partial output (ChunkRunner.leadingRows). */
  leadingRows(chunk: number, rowEnd: number): Promise<void>;
  reduce(p0: number, p1: number): Promise<void>;
  anchorCodes(): Promise<Uint8Array>;
  /** Idempotent; stops a worker even mid-computation. */
  terminate(): Promise<void>;
}

/** Let timers, I/O and abort signals run between units when a call has taken this long. */
const BREATHE_AFTER_MS = 50;

function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs a phase generator of ChunkRunner on this thread, yielding to the event loop now and then. */
async function finishBreathing<T>(phase: Generator<void, T>, check: () => void): Promise<T> {
  let since = performance.now();
  for (;;) {
    check();
    const step = phase.next();
    if (step.done) return step.value;
    if (performance.now() - since > BREATHE_AFTER_MS) {
      await breathe();
      since = performance.now();
    }
  }
}

/** The calling thread as a lane. Yields to the event loop between units of work. */
export function localLane(kernels: KernelExports, memory: WebAssembly.Memory, setup: RunnerSetup): RunnerLane {
  const runner = new ChunkRunner(kernels, memory, setup);
  let stopped = false;
  const check = () => {
    if (stopped) throw new Error('lane stopped');
  };
  return {
    prepareRows: (rijs) => finishBreathing(runner.prepareShare(rijs), check),
    classify: () => finishBreathing(runner.classifyShare(), check),
    product: (chunks) => finishBreathing(runner.productShare(chunks), check),
    leadingRows: (chunk, rowEnd) => finishBreathing(runner.leadingRows(chunk, rowEnd), check),
    async recheck(gathered) {
      check();
      runner.recheck(gathered);
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

/** Workers started ahead of a run (prewarmWorkers), waiting to be taken by spawnWorker. */
const prewarmed: Array<Promise<Lane>> = [];

/**
 * Starts workers now, up to `count` waiting, so that the next run takes them ready instead of
 * waiting for them to boot (0.1–0.2 s each here). While they wait they do not keep a Node
 * process alive. The promise resolves once the threads exist; they boot on their own.
 */
export async function prewarmWorkers(count: number): Promise<void> {
  const started: Array<Promise<unknown>> = [];
  while (prewarmed.length < count) {
    const worker = startLane(workerUrl(import.meta.url, 'worker'), 'worker');
    // A failed start surfaces in the run that takes the worker.
    started.push(worker.then((lane) => lane.keepAlive(false), () => undefined));
    prewarmed.push(worker);
  }
  await Promise.all(started);
}

/** How many prewarmed workers wait to be taken (for tests and diagnostics). */
export function waitingWorkers(): number {
  return prewarmed.length;
}

/** A worker thread for a lane (a prewarmed one if any); it boots while the caller prepares memory. */
export function spawnWorker(lane: number): Promise<Lane> {
  const start = () => startLane(workerUrl(import.meta.url, 'worker'), `worker ${lane}`);
  const waiting = prewarmed.shift();
  if (!waiting) return start();
  return waiting.then(
    (worker) => {
      worker.keepAlive(true);
      return worker;
    },
    start, // the prewarmed one could not start: a fresh one reports why, if it cannot either
  );
}

/**
 * A started worker as a lane, on the shared `memory`. Its `init` (instantiating the kernels)
 * is sent now and not waited for: the lane's requests are sent as they are made and the
 * worker runs them after it (serveLane answers in order). A worker that is still booting
 * then starts its first share as soon as it is up, instead of when this thread next turns
 * to its messages (the calling thread's lane yields only every BREATHE_AFTER_MS). If `init`
 * fails, every request fails with its error, and the worker is stopped.
 */
export function workerLane(worker: Lane, module: WebAssembly.Module, memory: WebAssembly.Memory, setup: RunnerSetup): RunnerLane {
  const initialized = worker.call('init', { module, memory, setup });
  initialized.catch(() => void worker.terminate());
  const call = <T>(method: string, args: unknown): Promise<T> => {
    const answer = worker.call<T>(method, args);
    answer.catch(() => undefined); // when init failed, its error is the one reported
    return initialized.then(() => answer);
  };
  return {
    prepareRows: (rijs) => call<PreparedRows>('prepareRows', rijs),
    classify: () => call<ClassifiedShare>('classify', null),
    product: (chunks) => call<void>('product', chunks),
    leadingRows: (chunk, rowEnd) => call<void>('leadingRows', [chunk, rowEnd]),
    recheck: (gathered) => call<void>('recheck', gathered),
    reduce: (p0, p1) => call<void>('reduce', [p0, p1]),
    anchorCodes: () => call<Uint8Array>('anchorCodes', null),
    terminate: () => worker.terminate(),
  };
}
