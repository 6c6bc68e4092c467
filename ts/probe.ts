/**
 * The capability probe: what this runtime offers (Wasm SIMD, threads, cores, memory), so that
 * `backend: 'auto'` and the defaults can be chosen at run time, in Node and in browsers.
 * Node-only facts come from a dynamic import of node:os, never from the numeric path.
 */
import { wasmBackend } from './wasm/backend.js';
import { relaxedSimdAccepted } from './wasm/kernels.js';

export interface Capabilities {
  runtime: 'node' | 'browser' | 'other';
  /** Runtime version (Node's, or the browser's user agent). */
  version: string;
  /** WebAssembly with 128-bit SIMD: the Wasm backend's requirement. */
  wasmSimd: boolean;
  /**
   * Relaxed SIMD (fused multiply-add): the Wasm backend then runs the relaxed-SIMD build of
   * its kernels, same results, faster classification (option relaxedSimd).
   */
  wasmRelaxedSimd: boolean;
  /** SharedArrayBuffer and Wasm shared memory (needed by threads). */
  sharedMemory: boolean;
  /** Browsers: whether the page is cross-origin isolated (threads need it); Node: true. */
  crossOriginIsolated: boolean;
  /** Logical cores the runtime reports. */
  cores: number;
  /** Total and currently available physical memory in bytes, where the runtime says. */
  totalMemory: number | null;
  availableMemory: number | null;
  /** Default memory budget for a run (bytes): half of the total, at most 3/4 of the available. */
  defaultMemoryBudget: number;
}

const FALLBACK_BUDGET = 1024 ** 3;

interface NodeOs {
  totalmem(): number;
  freemem(): number;
  availableParallelism?(): number;
  cpus(): unknown[];
}

let cached: Promise<Capabilities> | undefined;

/** Probes once per process (or page); later calls return the same answer. */
export function probe(): Promise<Capabilities> {
  cached ??= runProbe();
  return cached;
}

async function runProbe(): Promise<Capabilities> {
  const g = globalThis as any;
  const isNode = typeof g.process?.versions?.node === 'string';
  const isBrowser = !isNode && typeof g.navigator !== 'undefined' && typeof g.document !== 'undefined';
  const wasmSimd = await wasmBackend.available();
  const wasmRelaxedSimd = wasmSimd && relaxedSimdAccepted();
  const sharedMemory = sharedWasmMemoryWorks();
  if (isNode) {
    const os = (await import('node:os')) as unknown as NodeOs;
    const totalMemory = os.totalmem();
    const availableMemory = os.freemem();
    return {
      runtime: 'node',
      version: g.process.versions.node,
      wasmSimd,
      wasmRelaxedSimd,
      sharedMemory,
      crossOriginIsolated: true,
      cores: os.availableParallelism?.() ?? os.cpus().length,
      totalMemory,
      availableMemory,
      defaultMemoryBudget: Math.floor(Math.min(totalMemory / 2, (availableMemory * 3) / 4)),
    };
  }
  // navigator.deviceMemory is in GiB, rounded, Chromium only.
  const deviceMemory = typeof g.navigator?.deviceMemory === 'number' ? g.navigator.deviceMemory * 1024 ** 3 : null;
  return {
    runtime: isBrowser ? 'browser' : 'other',
    version: typeof g.navigator?.userAgent === 'string' ? g.navigator.userAgent : 'unknown',
    wasmSimd,
    wasmRelaxedSimd,
    sharedMemory,
    crossOriginIsolated: g.crossOriginIsolated === true,
    cores: typeof g.navigator?.hardwareConcurrency === 'number' ? g.navigator.hardwareConcurrency : 1,
    totalMemory: deviceMemory,
    availableMemory: null,
    defaultMemoryBudget: deviceMemory ? Math.floor(deviceMemory / 4) : FALLBACK_BUDGET,
  };
}

function sharedWasmMemoryWorks(): boolean {
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
