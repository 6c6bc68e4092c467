/**
 * Where everything lives in the Wasm memory of one problem. The kernels (assembly/) only get
 * pointers from here; the formulas below mirror assembly/layout.ts.
 *
 * Regions, each 64-byte aligned and padded so that the SIMD loops' reads past the end of a
 * region (and the float64 classification kernel's reads of up to three entries before a row's
 * start, which land in the previous region's padding) stay inside memory: sign table, estimates (row layout), row Gram terms (2 × P float64),
 * the float32 filter copy of the estimates (classification's fast path, see
 * assembly/classify.ts; optional), v and y (P float64 each), one row of scratch codes,
 * anchor codes, and the cached codes.
 */
import { pairCount } from '../pairs.js';

export const WASM_PAGE = 65536;
/** One wasm32 memory stops at 4 GiB. */
export const MAX_WASM_BYTES = 65536 * WASM_PAGE;

const ALIGN = 64;
const PAD = 64;
/** assembly/product.ts: 256 code bytes × 4 triplets × 2 float64 sign masks. */
const SIGN_TABLE_BYTES = 256 * 64;

function align(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

/**
 * Bytes of the packed codes of row (i, j) (assembly/layout.ts): one byte per block of four
 * absolute k, k = 4⌊(j+1)/4⌋ … 4⌈n/4⌉ − 1.
 */
function codeRowBytes(n: number, j: number): number {
  return Math.ceil(n / 4) - Math.floor((j + 1) / 4);
}

/** S(x) = Σ_{m=1}^{x} ⌊m/4⌋ (assembly/layout.ts quarterSum). */
function quarterSum(x: number): number {
  const q = Math.floor(x / 4);
  return 2 * q * (q - 1) + q * ((x % 4) + 1);
}

/** Bytes of packed codes for all rows (i, j) with i0 ≤ i < i1: Σ_{j=i+1}^{n−2} codeRowBytes(n, j) per i. */
export function codeBytes(n: number, i0: number, i1: number): number {
  let total = 0;
  for (let i = i0; i < Math.min(i1, n - 2); i++) total += (n - 2 - i) * Math.ceil(n / 4) - (quarterSum(n - 1) - quarterSum(i + 1));
  return total;
}

/**
 * Bytes of the float32 filter copy (assembly/layout.ts): a 64-byte header, then per row i
 * ⌈n/4⌉ − ⌊(i+1)/4⌋ blocks of 11 × 4 float32 (176 bytes).
 */
export function filterBytes(n: number): number {
  const quarters = Math.ceil(n / 4);
  let blocks = 0;
  for (let i = 0; i < n - 1; i++) blocks += quarters - Math.floor((i + 1) / 4);
  return 64 + 176 * blocks;
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
  /** The float32 filter copy, or 0 when classification runs in float64 only. */
  filter: number;
  v: number;
  y: number;
  scratch: number;
  anchorCodes: number;
  /** Cached codes of every row, or −1 when products stream. */
  codes: number;
  codesBytes: number;
  totalBytes: number;
}

/**
 * The layout of a problem; `cacheCodes` decides whether the codes region exists, `filter`
 * whether the float32 filter copy does (classification is ~3× faster with it, same codes).
 */
export function planMemory(n: number, elementBytes: number, heapBase: number, cacheCodes: boolean, filter = true): MemoryMap {
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
  const filterAt = filter ? take(filterBytes(n)) : 0;
  const v = take(8 * pairs);
  const y = take(8 * pairs);
  const scratch = take(Math.ceil(n / 4));
  const anchorCodes = take(codeBytes(n, 0, 1));
  const codesBytes = cacheCodes ? codeBytes(n, 0, n - 2) : 0;
  const codes = cacheCodes ? take(codesBytes) : -1;
  return { n, pairs, elementBytes, signTable, rows, gram0, gram1, filter: filterAt, v, y, scratch, anchorCodes, codes, codesBytes, totalBytes: at };
}

/**
 * Unpacks the codes of rows (i, j), j = i+1 … n−2, stored from `packed`, one byte per
 * triplet (k = j+1 … n−1). Code of lane L of a byte: bit L, plus bit 4 + L times 2.
 */
export function unpackRowCodes(packed: Uint8Array, n: number, i: number, out: Uint8Array, outOffset: number): number {
  let src = 0;
  let dst = outOffset;
  for (let j = i + 1; j < n - 1; j++) {
    const first = (j + 1) >> 2;
    for (let k = j + 1; k < n; k++) {
      const byte = packed[src + (k >> 2) - first];
      const lane = k & 3;
      out[dst++] = ((byte >> lane) & 1) | (((byte >> (4 + lane)) & 1) << 1);
    }
    src += codeRowBytes(n, j);
  }
  return dst;
}
