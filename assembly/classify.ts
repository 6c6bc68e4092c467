// Classification of triplets into their best J-configuration (0–3), from the difference
// formulation of design §3.4: the argmin of (c0, c1, c2, c3) only needs c1 − c0, c2 − c1 and
// c3 − c0, which are cheap bilinear forms (about 30 multiplies per triplet instead of ~100).
//
// The codes are defined by float64 arithmetic (whatever the storage type T): `classifyRowPlain`,
// two triplets per f64x2 step. That kernel is compute bound (~30 mul + ~25 add per triplet on
// two lanes, ~0.1 G triplets/s), so the fast path (`classifyRowFiltered`) classifies four
// triplets per f32x4 step from a float32 copy of the estimates, with a rigorous bound on how
// far its differences can be from the float64 ones, and recomputes in float64 — with the same
// formulas in the same order, so bit for bit like the float64 kernel — only the triplets whose
// decision margin is within that bound (~1e−4 of them on noisy data). The codes are identical
// to the float64 kernel's for every triplet.
//
// Codes are written in the block layout of layout.ts (one byte per four absolute k).
import {
  codeGroupBytes, codeRowBytes, codeRowOffset, filterBlockAt, FILTER_BLOCK_BYTES, I_BLOCK, load1, load2, quarters,
  RECHECK_ENTRY_BYTES, rowBase, rowLength,
} from './layout';
import { slotOf } from './gather';

/**
 * Row Gram terms ⟨b0, b2⟩ and ⟨b1, b2⟩ of every estimate (b_r = row r), float64, indexed by
 * pair: they are shared by every i that meets the estimate as B = Rjk.
 */
export function rowGram<T>(rows: usize, n: i32, i0: i32, i1: i32, gram0: usize, gram1: usize): void {
  const sz = <usize>sizeof<T>();
  for (let i = i0; i < i1; i++) {
    const len = <usize>rowLength(n, i);
    const base = <usize>rowBase(n, i);
    const row = rows + 9 * base * sz;
    for (let t: usize = 0; t < len; t++) {
      const p = row + t * sz;
      store<f64>(gram0 + (base + t) * 8, gram0At<T>(p, len * sz));
      store<f64>(gram1 + (base + t) * 8, gram1At<T>(p, len * sz));
    }
  }
}

/** Clears the code bits of the padding lanes (k ≤ j, k ≥ n) of row (i, j)'s first and last bytes. */
// @ts-ignore: decorator
@inline
function maskPadding(n: i32, j: i32, out: usize): void {
  const lanesFirst = <u32>0xf << <u32>((j + 1) & 3) & 0xf; // lanes k ≥ j + 1 of the first block
  store<u8>(out, <u32>load<u8>(out) & (lanesFirst * 0x11));
  const last = out + <usize>(codeRowBytes(n, j) - 1);
  const lanesLast = <u32>0xf >> <u32>((4 - (n & 3)) & 3); // lanes k ≤ n − 1 of the last block
  store<u8>(last, <u32>load<u8>(last) & (lanesLast * 0x11));
}

// ---------------------------------------------------------------------------------------------
// The float64 kernel: the definition of the codes.
// ---------------------------------------------------------------------------------------------

/**
 * Writes the packed codes of row (i, j) (layout.ts) in float64, two triplets per f64x2 step,
 * four per block. The blocks start at the absolute k = 4⌊(j+1)/4⌋, so the first and last
 * steps may read up to three entries before the start or past the end of a row's arrays:
 * the memory map pads every region so that these reads stay inside memory, and the codes of
 * those lanes are cleared.
 */
// @ts-ignore: decorator
@inline
export function classifyRowPlain<T>(rows: usize, gram0: usize, gram1: usize, n: i32, i: i32, j: i32, out: usize): void {
  const sz = <usize>sizeof<T>();
  const lenI = <usize>rowLength(n, i);
  const lenJ = <usize>rowLength(n, j);
  const rowI = rows + 9 * <usize>rowBase(n, i) * sz;
  const rowJ = rows + 9 * <usize>rowBase(n, j) * sz;

  // A = Rij: row i, position j − i − 1.
  const pa = rowI + <usize>(j - i - 1) * sz;
  const a00 = load1<T>(pa), a01 = load1<T>(pa + lenI * sz), a02 = load1<T>(pa + 2 * lenI * sz);
  const a10 = load1<T>(pa + 3 * lenI * sz), a11 = load1<T>(pa + 4 * lenI * sz), a12 = load1<T>(pa + 5 * lenI * sz);
  const a20 = load1<T>(pa + 6 * lenI * sz), a21 = load1<T>(pa + 7 * lenI * sz), a22 = load1<T>(pa + 8 * lenI * sz);
  // Column Gram terms (AᵀA)02 and (AᵀA)12.
  const g02 = f64x2.splat(a00 * a02 + a10 * a12 + a20 * a22);
  const g12 = f64x2.splat(a01 * a02 + a11 * a12 + a21 * a22);
  const A00 = f64x2.splat(a00), A01 = f64x2.splat(a01), A02 = f64x2.splat(a02);
  const A10 = f64x2.splat(a10), A11 = f64x2.splat(a11), A12 = f64x2.splat(a12);
  const A20 = f64x2.splat(a20), A21 = f64x2.splat(a21), A22 = f64x2.splat(a22);

  // From k = 4⌊(j+1)/4⌋: C = Rik at position k − i − 1 of row i, B = Rjk at k − j − 1 of row
  // j (both may be negative, down to −3: wrapping usize arithmetic).
  const k0 = (j + 1) & ~3;
  let pc = rowI + <usize>(k0 - i - 1) * sz;
  let pb = rowJ + <usize>(k0 - j - 1) * sz;
  let pg0 = gram0 + <usize>(rowBase(n, j) + k0 - j - 1) * 8;
  let pg1 = gram1 + <usize>(rowBase(n, j) + k0 - j - 1) * 8;
  const sI = lenI * sz, sJ = lenJ * sz;
  const zero = f64x2.splat(0);
  const blocks = codeRowBytes(n, j);
  let blk = 0;
  do {
    let byte: u32 = 0;
    for (let half: u32 = 0; half < 4; half += 2) {
      const b00 = load2<T>(pb), b01 = load2<T>(pb + sJ), b02 = load2<T>(pb + 2 * sJ);
      const b10 = load2<T>(pb + 3 * sJ), b11 = load2<T>(pb + 4 * sJ), b12 = load2<T>(pb + 5 * sJ);
      const b20 = load2<T>(pb + 6 * sJ), b21 = load2<T>(pb + 7 * sJ), b22 = load2<T>(pb + 8 * sJ);
      const c00 = load2<T>(pc), c01 = load2<T>(pc + sI), c02 = load2<T>(pc + 2 * sI);
      const c10 = load2<T>(pc + 3 * sI), c11 = load2<T>(pc + 4 * sI), c12 = load2<T>(pc + 5 * sI);
      const c20 = load2<T>(pc + 6 * sI), c21 = load2<T>(pc + 7 * sI), c22 = load2<T>(pc + 8 * sI);
      const gb0 = v128.load(pg0), gb1 = v128.load(pg1);

      // u_c = a02 C0c + a12 C1c; p, q: the (0,2) and (1,2) parts of α.
      const u0 = f64x2.add(f64x2.mul(A02, c00), f64x2.mul(A12, c10));
      const u1 = f64x2.add(f64x2.mul(A02, c01), f64x2.mul(A12, c11));
      const u2 = f64x2.add(f64x2.mul(A02, c02), f64x2.mul(A12, c12));
      const p = f64x2.add(f64x2.mul(A00, c02), f64x2.mul(A10, c12));
      const q = f64x2.add(f64x2.mul(A01, c02), f64x2.mul(A11, c12));
      const alpha = f64x2.add(f64x2.mul(b02, p), f64x2.mul(b12, q));
      const beta = f64x2.mul(b22, u2);
      const h0 = f64x2.add(f64x2.mul(b00, c20), f64x2.mul(b01, c21));
      const h1 = f64x2.add(f64x2.mul(b10, c20), f64x2.mul(b11, c21));
      const gamma = f64x2.add(f64x2.mul(A20, h0), f64x2.mul(A21, h1));
      const delta = f64x2.mul(A22, f64x2.add(f64x2.mul(b20, c20), f64x2.mul(b21, c21)));
      const bc0 = f64x2.add(h0, f64x2.mul(b02, c22)); // ⟨b0, C2⟩
      const bc1 = f64x2.add(h1, f64x2.mul(b12, c22)); // ⟨b1, C2⟩

      // d1 = (c1 − c0)/4, d3 = (c3 − c0)/4, d2 = d1 + (c2 − c1)/4.
      const d1 = f64x2.sub(
        f64x2.add(
          f64x2.add(f64x2.add(f64x2.mul(b20, u0), f64x2.mul(b21, u1)), beta),
          f64x2.add(f64x2.mul(A20, bc0), f64x2.mul(A21, bc1)),
        ),
        f64x2.add(f64x2.mul(g02, gb0), f64x2.mul(g12, gb1)),
      );
      const d3 = f64x2.add(f64x2.add(alpha, beta), f64x2.add(gamma, delta));
      const d2 = f64x2.add(d1, f64x2.sub(f64x2.add(alpha, delta), f64x2.add(beta, gamma)));

      // argmin of (0, d1, d2, d3); strict comparisons keep the lowest index on ties.
      const lt1 = f64x2.lt(d1, zero);
      const best1 = v128.bitselect(d1, zero, lt1);
      const lt2 = f64x2.lt(d2, best1);
      const best2 = v128.bitselect(d2, best1, lt2);
      const lt3 = f64x2.lt(d3, best2);
      const lo = v128.or(lt3, v128.andnot(lt1, lt2)); // code 1 or 3
      const hi = v128.or(lt2, lt3); // code 2 or 3
      byte |= (<u32>i64x2.bitmask(lo) | (<u32>i64x2.bitmask(hi) << 4)) << half;

      pb += 2 * sz;
      pc += 2 * sz;
      pg0 += 16;
      pg1 += 16;
    }
    store<u8>(out + <usize>blk, byte);
  } while (++blk < blocks);
  maskPadding(n, j, out);
}

/**
 * Code (0–3) of one triplet in float64 from its three estimates — A = Rij at `pa`, B = Rjk at
 * `pb`, C = Rik at `pc`, entry e of each at p + e·stride — and B's row Gram terms, with
 * exactly the operations, in exactly the order, of `classifyRowPlain` (IEEE operations are
 * the same per lane and as scalars, and Wasm never fuses or reassociates), so the result is
 * bit for bit the float64 kernel's. Used for the few triplets that the float32 filter cannot
 * decide.
 */
// @ts-ignore: decorator
@inline
function tripletCodeAt<T>(pa: usize, sa: usize, pb: usize, sb: usize, pc: usize, sc: usize, gb0: f64, gb1: f64): u32 {
  const a00 = load1<T>(pa), a01 = load1<T>(pa + sa), a02 = load1<T>(pa + 2 * sa);
  const a10 = load1<T>(pa + 3 * sa), a11 = load1<T>(pa + 4 * sa), a12 = load1<T>(pa + 5 * sa);
  const a20 = load1<T>(pa + 6 * sa), a21 = load1<T>(pa + 7 * sa), a22 = load1<T>(pa + 8 * sa);
  const g02 = a00 * a02 + a10 * a12 + a20 * a22;
  const g12 = a01 * a02 + a11 * a12 + a21 * a22;
  const b00 = load1<T>(pb), b01 = load1<T>(pb + sb), b02 = load1<T>(pb + 2 * sb);
  const b10 = load1<T>(pb + 3 * sb), b11 = load1<T>(pb + 4 * sb), b12 = load1<T>(pb + 5 * sb);
  const b20 = load1<T>(pb + 6 * sb), b21 = load1<T>(pb + 7 * sb), b22 = load1<T>(pb + 8 * sb);
  const c00 = load1<T>(pc), c01 = load1<T>(pc + sc), c02 = load1<T>(pc + 2 * sc);
  const c10 = load1<T>(pc + 3 * sc), c11 = load1<T>(pc + 4 * sc), c12 = load1<T>(pc + 5 * sc);
  const c20 = load1<T>(pc + 6 * sc), c21 = load1<T>(pc + 7 * sc), c22 = load1<T>(pc + 8 * sc);

  const u0 = a02 * c00 + a12 * c10;
  const u1 = a02 * c01 + a12 * c11;
  const u2 = a02 * c02 + a12 * c12;
  const p = a00 * c02 + a10 * c12;
  const q = a01 * c02 + a11 * c12;
  const alpha = b02 * p + b12 * q;
  const beta = b22 * u2;
  const h0 = b00 * c20 + b01 * c21;
  const h1 = b10 * c20 + b11 * c21;
  const gamma = a20 * h0 + a21 * h1;
  const delta = a22 * (b20 * c20 + b21 * c21);
  const bc0 = h0 + b02 * c22;
  const bc1 = h1 + b12 * c22;
  const d1 = (b20 * u0 + b21 * u1 + beta + (a20 * bc0 + a21 * bc1)) - (g02 * gb0 + g12 * gb1);
  const d3 = alpha + beta + (gamma + delta);
  const d2 = d1 + (alpha + delta - (beta + gamma));

  let best: f64 = 0;
  let code: u32 = 0;
  if (d1 < best) { best = d1; code = 1; }
  if (d2 < best) { best = d2; code = 2; }
  if (d3 < best) code = 3;
  return code;
}

/** Row Gram terms ⟨b0, b2⟩ and ⟨b1, b2⟩ of the estimate at `p` (entry e at p + e·stride), as `rowGram` computes them. */
// @ts-ignore: decorator
@inline
function gram0At<T>(p: usize, s: usize): f64 {
  return load1<T>(p) * load1<T>(p + 6 * s) + load1<T>(p + s) * load1<T>(p + 7 * s) + load1<T>(p + 2 * s) * load1<T>(p + 8 * s);
}
// @ts-ignore: decorator
@inline
function gram1At<T>(p: usize, s: usize): f64 {
  return load1<T>(p + 3 * s) * load1<T>(p + 6 * s) + load1<T>(p + 4 * s) * load1<T>(p + 7 * s) + load1<T>(p + 5 * s) * load1<T>(p + 8 * s);
}

/** Code of triplet (i, j, k) in float64 from the row layout and the Gram arrays (see tripletCodeAt). */
function tripletCodeF64<T>(rows: usize, gram0: usize, gram1: usize, n: i32, i: i32, j: i32, k: i32): u32 {
  const sz = <usize>sizeof<T>();
  const sI = <usize>rowLength(n, i) * sz;
  const sJ = <usize>rowLength(n, j) * sz;
  const rowI = rows + 9 * <usize>rowBase(n, i) * sz;
  const rowJ = rows + 9 * <usize>rowBase(n, j) * sz;
  const jk = <usize>(rowBase(n, j) + k - j - 1);
  return tripletCodeAt<T>(
    rowI + <usize>(j - i - 1) * sz, sI, rowJ + <usize>(k - j - 1) * sz, sJ, rowI + <usize>(k - i - 1) * sz, sI,
    load<f64>(gram0 + jk * 8), load<f64>(gram1 + jk * 8),
  );
}

// ---------------------------------------------------------------------------------------------
// The float32 filter.
// ---------------------------------------------------------------------------------------------

/** Largest max|entry| for which the filter is used: keeps every float32 value far from overflow. */
const FILTER_MAX_ABS: f64 = 1024;
const TWO_M20: f64 = 9.5367431640625e-7; // 2⁻²⁰
const TWO_M24: f64 = 5.9604644775390625e-8; // 2⁻²⁴, the float32 unit roundoff
const TWO_M53: f64 = 1.1102230246251565e-16; // 2⁻⁵³, the float64 unit roundoff
const TWO_M100: f64 = 7.888609052210118e-31; // 2⁻¹⁰⁰

/**
 * Writes the float32 filter copy (layout.ts) of the estimates and their row Gram terms, and
 * in its header the decision threshold; returns max|entry|.
 *
 * The threshold. Let M = max|entry|. Each of d1, d2, d3 (design §3.4) is a sum of monomials
 * ±a·b·c (|·| ≤ M³) and ±a·a·b·b (the Gram terms, |·| ≤ M⁴); counted with multiplicity, d2
 * has the most: 24 + 18 (d1: 12 + 18, d3: 12). Along the path of any monomial the float32
 * evaluation (the regrouped one of `filterBlocks`) rounds at most D = 11 times (≤ 4 input
 * roundings, since the copy is rounded from float64, plus ≤ 8 operations; the Gram terms are
 * float64 results rounded once — except A's column Gram terms in classification with
 * deferred rechecks, computed in float32 from the rounded entries: 2 input roundings and 3
 * operations, then 4 more on the way to d2, 10 in all), so
 * |d̃ − d| ≤ γ_D·S with γ_D = D·u/(1 − D·u) < 12.5·2⁻²⁴ and S = 24M³ + 18M⁴ (standard
 * forward error bound of sums of products). The float64 kernel's own values are within
 * 16·2⁻⁵³·S of exact; 2⁻¹⁰⁰ covers float32 underflow (absolute errors ≤ 2⁻¹⁵⁰ per
 * operation, amplified at most ~2³⁰ for M ≤ 1024). So E = (12.5·2⁻²⁴ + 16·2⁻⁵³)·S + 2⁻¹⁰⁰
 * bounds the gap between each float32 difference and the float64 kernel's. A decision taken
 * by comparing float32 values whose (rounded) difference exceeds T = 2E·(1 + 2⁻²⁰) is the
 * float64 kernel's; otherwise the triplet is recomputed in float64.
 *
 * Where max|entry| > FILTER_MAX_ABS (or is not finite) the threshold is −1: the filter is not
 * used and classification runs the float64 kernel only.
 */
export function buildFilter<T>(rows: usize, gram0: usize, gram1: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilterFrom<T>(rows, gram0, gram1, false, n, i0, i1, filt);
}

/**
 * As `buildFilter` (the same copy, bit for bit), from the estimates as given — pair order,
 * entry e of pair p at 9p + e — instead of the row layout, computing the Gram terms on the
 * way. Classification with deferred rechecks (classifyRangeDeferred) needs nothing else. A
 * non-finite entry makes the result NaN or +∞.
 */
export function buildFilterFromPairs<T>(input: usize, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  return buildFilterFrom<T>(input, 0, 0, true, n, i0, i1, filt);
}

// @ts-ignore: decorator
@inline
function buildFilterFrom<T>(data: usize, gram0: usize, gram1: usize, pairOrder: bool, n: i32, i0: i32, i1: i32, filt: usize): f64 {
  const sz = <usize>sizeof<T>();
  const kEnd = 4 * quarters(n);
  const nan = <f32>NaN;
  let maxAbs: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const len = <usize>rowLength(n, i);
    const base = <usize>rowBase(n, i);
    const row = data + 9 * base * sz;
    // Entry e of pair (i, k), k = i + 1 + t, is at row + t·pairStep + e·entryStep.
    const pairStep: usize = pairOrder ? 9 * sz : sz;
    const entryStep: usize = pairOrder ? sz : len * sz;
    const k0 = (i + 1) & ~3;
    let blk = filterBlockAt(filt, n, i, k0);
    for (let kb = k0; kb < kEnd; kb += 4) {
      for (let lane = 0; lane < 4; lane++) {
        const k = kb + lane;
        const at = blk + <usize>lane * 4;
        if (k > i && k < n) {
          const t = <usize>(k - i - 1);
          const p = row + t * pairStep;
          for (let e: usize = 0; e < 9; e++) {
            const x = load1<T>(p + e * entryStep);
            maxAbs = max(maxAbs, abs(x));
            store<f32>(at + e * 16, <f32>x);
          }
          if (pairOrder) {
            store<f32>(at + 144, <f32>gram0At<T>(p, sz));
            store<f32>(at + 160, <f32>gram1At<T>(p, sz));
          } else {
            store<f32>(at + 144, <f32>load<f64>(gram0 + (base + t) * 8));
            store<f32>(at + 160, <f32>load<f64>(gram1 + (base + t) * 8));
          }
        } else {
          // NaN makes every difference of this lane NaN, which the filter treats as decided:
          // padding lanes never take the float64 path (their codes are cleared).
          for (let e: usize = 0; e < 11; e++) store<f32>(at + e * 16, nan);
        }
      }
      blk += <usize>FILTER_BLOCK_BYTES;
    }
  }
  return maxAbs;
}

/**
 * Writes the filter's error threshold (above) into its header once every row of the copy is
 * built, from the largest |entry| of all rows (the maximum of buildFilter's results).
 */
export function finishFilter(filt: usize, maxAbs: f64): void {
  let threshold: f64 = -1;
  if (maxAbs <= FILTER_MAX_ABS) {
    const m3 = maxAbs * maxAbs * maxAbs;
    const s = 24 * m3 + 18 * m3 * maxAbs;
    const e = (12.5 * TWO_M24 + 16 * TWO_M53) * s + TWO_M100;
    threshold = 2 * e * (1 + TWO_M20);
  }
  store<f32>(filt, <f32>threshold);
  store<f64>(filt + 8, maxAbs);
}

/** Whether the filter copy at `filt` exists and may be used. */
// @ts-ignore: decorator
@inline
export function filterUsable(filt: usize): bool {
  return filt != 0 && load<f32>(filt) >= 0;
}

/**
 * a·b + c in float32: fused (one rounding) in the relaxed-SIMD build, else a multiply and then
 * an add, bitwise as `f32x4.add(f32x4.mul(a, b), c)`. The filter's threshold (finishFilter)
 * counts the roundings of the unfused evaluation, so it covers the fused one too.
 */
// @ts-ignore: decorator
@inline
function mulAdd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** What `filterBlocks` does with the lanes it cannot decide (a constant: one loop per mode). */
const SCAN: i32 = 0; // count them
const FIX: i32 = 1; // recompute them in float64 from the row layout
const RECORD: i32 = 2; // list them for recheckDeferred


/**
 * The filter over the blocks 0 … `last` of row (i, j): writes each block's code byte to
 * `out`, and returns (number of blocks with an undecided lane) · 2¹⁶ + (index of the last
 * such block + 1). With FIX it also recomputes the undecided lanes in float64, patches their
 * codes and returns how many it recomputed; with RECORD it appends them to `list` instead
 * (at most `room` entries) and returns how many, or −1 when they do not fit. The SCAN pass
 * comes first so that its loop holds no call: V8 then keeps more of its values in registers.
 * `stash`: the lane's own STASH_BYTES (layout.ts), written and never read (see the loop).
 *
 * One step takes one block (four consecutive k) from row j (B) and row i (C).
 */
// @ts-ignore: decorator
@inline
function filterBlocks<T>(
  rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i: i32, j: i32, out: usize, last: i32, mode: i32,
  list: usize, room: i32, aFromCopy: bool, stash: usize,
): i32 {
  // A = Rij as float32, and its column Gram terms (AᵀA)02, (AᵀA)12.
  let a00: f32 = 0, a01: f32 = 0, a02: f32 = 0, a10: f32 = 0, a11: f32 = 0, a12: f32 = 0, a20: f32 = 0, a21: f32 = 0, a22: f32 = 0;
  let g02: f32 = 0, g12: f32 = 0;
  if (aFromCopy) {
    // From the filter copy (pair (i, j) is lane j of row i's blocks), the Gram terms in
    // float32: see finishFilter for why the threshold covers them.
    const pa = filterBlockAt(filt, n, i, j) + <usize>(j & 3) * 4;
    a00 = load<f32>(pa); a01 = load<f32>(pa, 16); a02 = load<f32>(pa, 32);
    a10 = load<f32>(pa, 48); a11 = load<f32>(pa, 64); a12 = load<f32>(pa, 80);
    a20 = load<f32>(pa, 96); a21 = load<f32>(pa, 112); a22 = load<f32>(pa, 128);
    g02 = a00 * a02 + a10 * a12 + a20 * a22;
    g12 = a01 * a02 + a11 * a12 + a21 * a22;
  } else {
    // From the float64 rows, the Gram terms in float64 as in the float64 kernel, rounded once.
    const sz = <usize>sizeof<T>();
    const sI = <usize>rowLength(n, i) * sz;
    const pa = rows + 9 * <usize>rowBase(n, i) * sz + <usize>(j - i - 1) * sz;
    const x00 = load1<T>(pa), x01 = load1<T>(pa + sI), x02 = load1<T>(pa + 2 * sI);
    const x10 = load1<T>(pa + 3 * sI), x11 = load1<T>(pa + 4 * sI), x12 = load1<T>(pa + 5 * sI);
    const x20 = load1<T>(pa + 6 * sI), x21 = load1<T>(pa + 7 * sI), x22 = load1<T>(pa + 8 * sI);
    a00 = <f32>x00; a01 = <f32>x01; a02 = <f32>x02;
    a10 = <f32>x10; a11 = <f32>x11; a12 = <f32>x12;
    a20 = <f32>x20; a21 = <f32>x21; a22 = <f32>x22;
    g02 = <f32>(x00 * x02 + x10 * x12 + x20 * x22);
    g12 = <f32>(x01 * x02 + x11 * x12 + x21 * x22);
  }
  const G02 = f32x4.splat(g02), G12 = f32x4.splat(g12);
  const A00 = f32x4.splat(a00), A01 = f32x4.splat(a01), A02 = f32x4.splat(a02);
  const A10 = f32x4.splat(a10), A11 = f32x4.splat(a11), A12 = f32x4.splat(a12);
  const A20 = f32x4.splat(a20), A21 = f32x4.splat(a21), A22 = f32x4.splat(a22);
  // |x| ≤ T as an integer comparison of the bits of |x| and T (both non-negative floats):
  // bits(|x|) < bits(T) + 1.
  const thrPlus1 = i32x4.splat(load<i32>(filt) + 1);
  const absMask = i32x4.splat(0x7fffffff);
  const zero = f32x4.splat(0);

  const first = j + 1;
  let pb = filterBlockAt(filt, n, j, first);
  let pc = filterBlockAt(filt, n, i, first);
  let lastUnsure = -1;
  let unsureBlocks = 0;
  let recomputed = 0;
  // A do-while loop (a row has at least one block): V8 hoists loop-invariant values (the
  // splats above) out of a loop only when the loop body dominates the loop's exit.
  let blk = 0;
  do {
    // The float64 kernel's d1, d2, d3, regrouped to save operations: with the C-side
    // combinations p, q, u_c (a_r· C_rc terms) and h_s = b_s0 C20 + b_s1 C21,
    // α + δ = b02 p + b12 q + a22 h2, β + γ = b22 u2 + a20 h0 + a21 h1, and
    // d1 = (β + γ) + b20 u0 + b21 u1 + C22 (a20 b02 + a21 b12) − (Gram terms).
    //
    // V8 issues all loads of a basic block before any arithmetic, and with 20 loads and 11
    // splatted coefficients in 16 registers it spills heavily. Storing the results of a phase
    // to the lane's stash splits the step into three phases of fewer live values: stores and
    // loads keep their order, so the next phase's loads wait for the store, which waits for
    // the phase's arithmetic. (Never-taken branches on the xor of a phase's results did the
    // same, ~35% faster than one phase; at the cost of six xors and two bitmasks per step on
    // the vector pipes, where the eight stores go to the store pipes: 3.7–4.4% faster again,
    // kernel alone, n = 400 and 1000.) Nothing reads the stash.
    const c02 = v128.load(pc, 32), c12 = v128.load(pc, 80);
    const p = mulAdd(A10, c12, f32x4.mul(A00, c02));
    const q = mulAdd(A11, c12, f32x4.mul(A01, c02));
    const u2 = mulAdd(A12, c12, f32x4.mul(A02, c02));
    const c00 = v128.load(pc, 0), c10 = v128.load(pc, 48);
    const u0 = mulAdd(A12, c10, f32x4.mul(A02, c00));
    const c01 = v128.load(pc, 16), c11 = v128.load(pc, 64);
    const u1 = mulAdd(A12, c11, f32x4.mul(A02, c01));
    v128.store(stash, p); v128.store(stash, q, 16); v128.store(stash, u0, 32); v128.store(stash, u1, 48); v128.store(stash, u2, 64);
    const c20 = v128.load(pc, 96), c21 = v128.load(pc, 112);
    const b00 = v128.load(pb, 0), b01 = v128.load(pb, 16);
    const b10 = v128.load(pb, 48), b11 = v128.load(pb, 64);
    const b20 = v128.load(pb, 96), b21 = v128.load(pb, 112);
    const h0 = mulAdd(b01, c21, f32x4.mul(b00, c20));
    const h1 = mulAdd(b11, c21, f32x4.mul(b10, c20));
    const h2 = mulAdd(b21, c21, f32x4.mul(b20, c20));
    const g = mulAdd(A21, h1, f32x4.mul(A20, h0)); // γ
    const dl = f32x4.mul(A22, h2); // δ
    const y = mulAdd(b21, u1, f32x4.mul(b20, u0));
    v128.store(stash, g, 80); v128.store(stash, dl, 96); v128.store(stash, y, 112);
    const b02 = v128.load(pb, 32), b12 = v128.load(pb, 80), b22 = v128.load(pb, 128);
    const c22 = v128.load(pc, 128);
    const gb0 = v128.load(pb, 144), gb1 = v128.load(pb, 160);
    const ad = f32x4.add(mulAdd(b12, q, f32x4.mul(b02, p)), dl);
    const bg = mulAdd(b22, u2, g);
    const x = mulAdd(c22, mulAdd(A21, b12, f32x4.mul(A20, b02)), y);
    const d1 = f32x4.sub(f32x4.add(bg, x), mulAdd(G12, gb1, f32x4.mul(G02, gb0)));
    const d3 = f32x4.add(ad, bg);
    const d2 = f32x4.add(d1, f32x4.sub(ad, bg));

    // Tournament argmin of (0, d1, d2, d3): m01 = min(0, d1), m23 = min(d2, d3) (pmin: one
    // instruction), f = m23 − m01. Code bit 1 = sign(f) (the winner is 2 or 3); bit 0 =
    // sign(w), w = d3 − d2 if so, else d1. The decision is the float64 kernel's when |f| and
    // |w| exceed the threshold (then there are no ties either).
    const e = f32x4.sub(d3, d2);
    const m01 = f32x4.pmin(zero, d1);
    const m23 = f32x4.pmin(d2, d3);
    const f = f32x4.sub(m23, m01);
    const w = v128.bitselect(e, d1, i32x4.shr_s(f, 31));
    const code = <u32>i32x4.bitmask(w) | (<u32>i32x4.bitmask(f) << 4);
    store<u8>(out + <usize>blk, code);
    const margin = i32x4.min_s(v128.and(w, absMask), v128.and(f, absMask));
    const unsure = i32x4.bitmask(i32x4.lt_s(margin, thrPlus1));
    if (mode == FIX) {
      if (unsure != 0) {
        // Rare: decide these lanes in float64, exactly like the float64 kernel.
        let patched = code;
        let lanes = unsure;
        while (lanes != 0) {
          const lane = ctz(lanes);
          lanes &= lanes - 1;
          const k = (first & ~3) + 4 * blk + lane;
          if (k > j && k < n) {
            const c = tripletCodeF64<T>(rows, gram0, gram1, n, i, j, k);
            patched = (patched & ~(<u32>0x11 << lane)) | ((c & 1) << lane) | ((c >> 1) << (4 + lane));
            recomputed++;
          }
        }
        store<u8>(out + <usize>blk, patched);
      }
    } else if (mode == RECORD) {
      let lanes = unsure;
      while (lanes != 0) {
        const lane = ctz(lanes);
        lanes &= lanes - 1;
        const k = (first & ~3) + 4 * blk + lane;
        if (k > j && k < n) {
          if (recomputed == room) return -1;
          const entry = list + <usize>recomputed * <usize>RECHECK_ENTRY_BYTES;
          store<i32>(entry, i);
          store<i32>(entry, j, 4);
          store<i32>(entry, k, 8);
          store<u32>(entry, <u32>(out + <usize>blk), 12);
          recomputed++;
        }
      }
    } else {
      lastUnsure = select(blk, lastUnsure, unsure != 0);
      unsureBlocks += <i32>(unsure != 0);
    }
    pb += <usize>FILTER_BLOCK_BYTES;
    pc += <usize>FILTER_BLOCK_BYTES;
  } while (++blk <= last);
  return mode == SCAN ? (unsureBlocks << 16) | (lastUnsure + 1) : recomputed;
}

// The float64 kernel for one row, out of line (the filtered path's fallback for degenerate rows).
function classifyRowPlainF64(rows: usize, gram0: usize, gram1: usize, n: i32, i: i32, j: i32, out: usize): void {
  classifyRowPlain<f64>(rows, gram0, gram1, n, i, j, out);
}
function classifyRowPlainF32(rows: usize, gram0: usize, gram1: usize, n: i32, i: i32, j: i32, out: usize): void {
  classifyRowPlain<f32>(rows, gram0, gram1, n, i, j, out);
}

// Second pass of `classifyRowFiltered` over the blocks 0 … last (rare: kept out of line).
function refilterRowF64(rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i: i32, j: i32, out: usize, last: i32, stash: usize): i32 {
  return filterBlocks<f64>(rows, gram0, gram1, filt, n, i, j, out, last, FIX, 0, 0, false, stash);
}
function refilterRowF32(rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i: i32, j: i32, out: usize, last: i32, stash: usize): i32 {
  return filterBlocks<f32>(rows, gram0, gram1, filt, n, i, j, out, last, FIX, 0, 0, false, stash);
}
// Second pass of `classifyRowDeferred` (rare: kept out of line); the filter copy is all it reads.
function recordRow(filt: usize, n: i32, i: i32, j: i32, out: usize, last: i32, list: usize, room: i32, stash: usize): i32 {
  return filterBlocks<f32>(0, 0, 0, filt, n, i, j, out, last, RECORD, list, room, true, stash);
}

/**
 * As `classifyRowPlain` (same output, bit for bit), from the float32 filter copy, four
 * triplets per f32x4 step. Returns how many triplets needed float64: when there are any, the
 * row's blocks up to the last of them are filtered again, with the float64 patches — unless
 * more than a quarter of the blocks have such triplets (degenerate data, e.g. ties
 * everywhere), where redoing the whole row with the float64 kernel is cheaper (those rows
 * count all their triplets).
 */
// @ts-ignore: decorator
@inline
export function classifyRowFiltered<T>(
  rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i: i32, j: i32, out: usize, stash: usize,
): i32 {
  const blocks = codeRowBytes(n, j);
  const found = filterBlocks<T>(rows, gram0, gram1, filt, n, i, j, out, blocks - 1, SCAN, 0, 0, false, stash);
  if (found == 0) {
    maskPadding(n, j, out);
    return 0;
  }
  if (4 * (found >> 16) > blocks) {
    if (sizeof<T>() == 8) classifyRowPlainF64(rows, gram0, gram1, n, i, j, out);
    else classifyRowPlainF32(rows, gram0, gram1, n, i, j, out);
    return n - 1 - j;
  }
  const last = (found & 0xffff) - 1;
  const recomputed = sizeof<T>() == 8
    ? refilterRowF64(rows, gram0, gram1, filt, n, i, j, out, last, stash)
    : refilterRowF32(rows, gram0, gram1, filt, n, i, j, out, last, stash);
  maskPadding(n, j, out);
  return recomputed;
}

/**
 * Packed codes of every row (i, j) with i0 ≤ i < i1, in row order from `codes` (layout.ts),
 * visited in blocks of I_BLOCK values of i. Uses the float32 filter copy at `filt` when it is
 * usable (filt = 0: none), else the float64 kernel; the codes are the same. `stash`: the
 * lane's stash (layout.ts STASH_BYTES). Returns the number of triplets that the filter left
 * to float64.
 */
export function classifyRange<T>(
  rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i0: i32, i1: i32, codes: usize, stash: usize,
): i32 {
  return classifyRows<T>(rows, gram0, gram1, filt, n, i0, i1, codes, false, 0, 0, stash);
}

/**
 * The loop of classifyRange and classifyRangeDeferred (`deferred`, a constant): every row
 * (i, j) of i0 ≤ i < i1 in blocks of I_BLOCK values of i. Returns the triplets left to
 * float64 (recomputed, or listed at `list` when deferred), or −1 when the list overflowed.
 */
// @ts-ignore: decorator
@inline
function classifyRows<T>(
  rows: usize, gram0: usize, gram1: usize, filt: usize, n: i32, i0: i32, i1: i32, codes: usize,
  deferred: bool, list: usize, room: i32, stash: usize,
): i32 {
  const filtered = deferred || filterUsable(filt);
  let count = 0;
  let blockStart = codes;
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      let groupStart = blockStart;
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) {
        const out = groupStart + codeRowOffset(n, i, j);
        if (deferred) {
          const added = classifyRowDeferred(filt, n, i, j, out, list + <usize>count * <usize>RECHECK_ENTRY_BYTES, room - count, stash);
          if (added < 0) return -1;
          count += added;
        } else if (filtered) {
          count += classifyRowFiltered<T>(rows, gram0, gram1, filt, n, i, j, out, stash);
        } else {
          classifyRowPlain<T>(rows, gram0, gram1, n, i, j, out);
        }
        groupStart += codeGroupBytes(n, i);
      }
    }
    for (let i = ib; i < ie; i++) blockStart += codeGroupBytes(n, i);
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Deferred rechecks: classification from the filter copy alone.
// ---------------------------------------------------------------------------------------------

/**
 * As `classifyRowFiltered`, from the filter copy alone (A included, see filterBlocks): the
 * triplets it cannot decide keep the float32 decision for now and are appended to `list`
 * (at most `room` entries), for `recheckDeferred` to decide in float64 later. Returns how
 * many it appended, or −1 when they did not fit.
 */
// @ts-ignore: decorator
@inline
function classifyRowDeferred(filt: usize, n: i32, i: i32, j: i32, out: usize, list: usize, room: i32, stash: usize): i32 {
  const blocks = codeRowBytes(n, j);
  const found = filterBlocks<f32>(0, 0, 0, filt, n, i, j, out, blocks - 1, SCAN, 0, 0, true, stash);
  if (found == 0) {
    maskPadding(n, j, out);
    return 0;
  }
  const recorded = recordRow(filt, n, i, j, out, (found & 0xffff) - 1, list, room, stash);
  maskPadding(n, j, out);
  return recorded;
}

/**
 * Codes of every row (i, j) with i0 ≤ i < i1, like `classifyRange`, from the filter copy
 * alone (it must be usable: filterUsable), with the undecided triplets listed at `list`
 * (room for `room` entries of RECHECK_ENTRY_BYTES) instead of recomputed, and the lane's
 * `stash` (layout.ts STASH_BYTES). Returns how many it listed, or −1 when they did not fit
 * (the codes are then incomplete).
 */
export function classifyRangeDeferred(filt: usize, n: i32, i0: i32, i1: i32, codes: usize, list: usize, room: i32, stash: usize): i32 {
  return classifyRows<f32>(0, 0, 0, filt, n, i0, i1, codes, true, list, room, stash);
}

/**
 * Decides the `count` triplets listed at `list` (classifyRangeDeferred) in float64, bit for
 * bit like the float64 kernel, and writes their codes into their code bytes. The estimates
 * (nine entries of T per pair) are read at `input`: with `bitmap` 0, every pair in pair order
 * (pair p at 9p); else only the marked pairs, gathered at their slots (gather.ts).
 */
export function recheckDeferred<T>(input: usize, n: i32, list: usize, count: i32, bitmap: usize, counts: usize): void {
  const pairBytes: usize = sizeof<T>() * 9;
  const sz = <usize>sizeof<T>();
  for (let e = 0; e < count; e++) {
    const entry = list + <usize>e * <usize>RECHECK_ENTRY_BYTES;
    const i = load<i32>(entry), j = load<i32>(entry, 4), k = load<i32>(entry, 8);
    const at = <usize>load<u32>(entry, 12);
    let ij = rowBase(n, i) + j - i - 1;
    let jk = rowBase(n, j) + k - j - 1;
    let ik = rowBase(n, i) + k - i - 1;
    if (bitmap != 0) {
      ij = slotOf(bitmap, counts, ij);
      jk = slotOf(bitmap, counts, jk);
      ik = slotOf(bitmap, counts, ik);
    }
    const pa = input + <usize>ij * pairBytes;
    const pb = input + <usize>jk * pairBytes;
    const pc = input + <usize>ik * pairBytes;
    const code = tripletCodeAt<T>(pa, sz, pb, sz, pc, sz, gram0At<T>(pb, sz), gram1At<T>(pb, sz));
    const lane = <u32>(k & 3);
    const byte = (<u32>load<u8>(at) & ~(<u32>0x11 << lane)) | ((code & 1) << lane) | ((code >> 1) << (4 + lane));
    store<u8>(at, byte);
  }
}
