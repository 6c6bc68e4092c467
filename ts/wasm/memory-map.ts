/**
 * Where everything lives in the Wasm memory of one problem. The kernels (assembly/) only get
 * pointers from here; the formulas below mirror assembly/layout.ts.
 *
 * Regions, each 64-byte aligned and padded so that the SIMD loops' one-past-the-end reads
 * stay inside memory: sign table, estimates (row layout), row Gram terms (2 × P float64),
 * v and y (P float64 each), one row of scratch codes, anchor codes, and the cached codes.
 */
import { pairCount } from '../pairs.js';

export const WASM_PAGE = 65536;
/** One wasm32 memory stops at 4 GiB. */
export const MAX_WASM_BYTES = 65536 * WASM_PAGE;

const ALIGN = 64;
const PAD = 64;
const SIGN_TABLE_BYTES = 16 * 32;

function align(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

/** Σ_{m=1}^{M} ceil(m/4): bytes of packed codes of the rows (i, j) of one i with M = n−2−i. */
function codeBytesOfRowsUpTo(M: number): number {
  // Each full group of 4 consecutive m contributes 1+1+1+1 more than the previous group.
  const q = Math.floor(M / 4);
  const r = M % 4;
  return 4 * ((q * (q + 1)) / 2) + r * (q + 1);
}

/** Bytes of packed codes for all rows (i, j) with i0 ≤ i < i1. */
export function codeBytes(n: number, i0: number, i1: number): number {
  let total = 0;
  for (let i = i0; i < i1; i++) total += codeBytesOfRowsUpTo(Math.max(0, n - 2 - i));
  return total;
}

export interface MemoryMap {
  n: number;
  pairs: number;
  /** 8 for float64 estimates, 4 for float32. */
  elementBytes: number;
  signTable: number;
  rows: number;
  gram0: number;
  gram1: number;
  v: number;
  y: number;
  scratch: number;
  anchorCodes: number;
  /** Cached codes of every row, or −1 when products stream. */
  codes: number;
  codesBytes: number;
  totalBytes: number;
}

/** The layout of a problem; `cacheCodes` decides whether the codes region exists. */
export function planMemory(n: number, elementBytes: number, heapBase: number, cacheCodes: boolean): MemoryMap {
  const pairs = pairCount(n);
  let at = align(heapBase);
  const take = (bytes: number): number => {
    const start = at;
    at = align(at + bytes + PAD);
    return start;
  };
  const signTable = take(SIGN_TABLE_BYTES);
  const rows = take(9 * pairs * elementBytes);
  const gram0 = take(8 * pairs);
  const gram1 = take(8 * pairs);
  const v = take(8 * pairs);
  const y = take(8 * pairs);
  const scratch = take(Math.ceil(n / 4));
  const anchorCodes = take(codeBytes(n, 0, 1));
  const codesBytes = cacheCodes ? codeBytes(n, 0, n - 2) : 0;
  const codes = cacheCodes ? take(codesBytes) : -1;
  return { n, pairs, elementBytes, signTable, rows, gram0, gram1, v, y, scratch, anchorCodes, codes, codesBytes, totalBytes: at };
}

/** Unpacks the codes of rows (i, j), j = i+1 … n−2, stored from `packed`, one byte per triplet. */
export function unpackRowCodes(packed: Uint8Array, n: number, i: number, out: Uint8Array, outOffset: number): number {
  let src = 0;
  let dst = outOffset;
  for (let j = i + 1; j < n - 1; j++) {
    const m = n - 1 - j;
    for (let t = 0; t < m; t++) out[dst++] = (packed[src + (t >> 2)] >> (2 * (t & 3))) & 3;
    src += (m + 3) >> 2;
  }
  return dst;
}
