/**
 * The compiled Wasm kernels: one WebAssembly.Module per build variant, compiled once per
 * process and instantiated on a memory that the caller owns (the kernels import it).
 */
import { instantiate } from '@assemblyscript/loader';
import { simdWasm } from './kernels.generated.js';

/** Exports of assembly/index.ts (byte pointers are plain numbers). */
export interface KernelExports {
  heapBase(): number;
  signTableBytes(): number;
  initSignTable(table: number): void;
  rowGramF64(rows: number, n: number, gram0: number, gram1: number): void;
  rowGramF32(rows: number, n: number, gram0: number, gram1: number): void;
  /** Writes the float32 filter copy; returns max|entry|. */
  buildFilterF64(rows: number, gram0: number, gram1: number, n: number, filter: number): number;
  buildFilterF32(rows: number, gram0: number, gram1: number, n: number, filter: number): number;
  /** `filter` 0: float64 kernel only. Returns the number of triplets the filter recomputed in float64. */
  classifyF64(rows: number, gram0: number, gram1: number, filter: number, n: number, i0: number, i1: number, codes: number): number;
  classifyF32(rows: number, gram0: number, gram1: number, filter: number, n: number, i0: number, i1: number, codes: number): number;
  productCached(codes: number, table: number, n: number, i0: number, i1: number, v: number, y: number): void;
  productStreamingF64(rows: number, gram0: number, gram1: number, filter: number, table: number, n: number, i0: number, i1: number, v: number, y: number, scratch: number): void;
  productStreamingF32(rows: number, gram0: number, gram1: number, filter: number, table: number, n: number, i0: number, i1: number, v: number, y: number, scratch: number): void;
  productWeightedF64(rows: number, n: number, i0: number, i1: number, v: number, y: number): void;
  productWeightedF32(rows: number, n: number, i0: number, i1: number, v: number, y: number): void;
  subtractDiagonal(v: number, y: number, count: number, n: number): void;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let simdModule: Promise<WebAssembly.Module> | undefined;

/** The SIMD build, compiled once. Rejects where the runtime lacks Wasm SIMD. */
export function simdKernelModule(): Promise<WebAssembly.Module> {
  simdModule ??= WebAssembly.compile(decodeBase64(simdWasm) as Uint8Array<ArrayBuffer>);
  return simdModule;
}

/** Instantiates the kernels on `memory`. */
export async function instantiateKernels(memory: WebAssembly.Memory): Promise<KernelExports> {
  const module = await simdKernelModule();
  const { exports } = await instantiate<Record<string, unknown>>(module, { env: { memory } });
  return exports as unknown as KernelExports;
}
