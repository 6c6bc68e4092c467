// Classification of triplets into their best J-configuration (0–3), two triplets per SIMD
// step, from the difference formulation of design §3.4: the argmin of (c0, c1, c2, c3) only
// needs c1 − c0, c2 − c1 and c3 − c0, which are cheap bilinear forms (about 30 multiplies
// per triplet instead of ~100). All arithmetic is float64, whatever the storage type T.
import { codeBytesUpTo, I_BLOCK, load1, load2, rowBase, rowLength } from './layout';

/**
 * Row Gram terms ⟨b0, b2⟩ and ⟨b1, b2⟩ of every estimate (b_r = row r), float64, indexed by
 * pair: they are shared by every i that meets the estimate as B = Rjk.
 */
export function rowGram<T>(rows: usize, n: i32, gram0: usize, gram1: usize): void {
  const sz = <usize>sizeof<T>();
  for (let i = 0; i < n - 1; i++) {
    const len = <usize>rowLength(n, i);
    const base = <usize>rowBase(n, i);
    const row = rows + 9 * base * sz;
    for (let t: usize = 0; t < len; t++) {
      const p = row + t * sz;
      const m0 = load1<T>(p), m1 = load1<T>(p + len * sz), m2 = load1<T>(p + 2 * len * sz);
      const m3 = load1<T>(p + 3 * len * sz), m4 = load1<T>(p + 4 * len * sz), m5 = load1<T>(p + 5 * len * sz);
      const m6 = load1<T>(p + 6 * len * sz), m7 = load1<T>(p + 7 * len * sz), m8 = load1<T>(p + 8 * len * sz);
      store<f64>(gram0 + (base + t) * 8, m0 * m6 + m1 * m7 + m2 * m8);
      store<f64>(gram1 + (base + t) * 8, m3 * m6 + m4 * m7 + m5 * m8);
    }
  }
}

/**
 * Writes the packed codes of row (i, j) — triplets (i, j, k) for k = j+1 … n−1, 4 per byte,
 * code of the t-th triplet at bits 2(t mod 4) — to `out`. Padding bits are zero.
 *
 * The SIMD loop runs over pairs of k and may read one entry past the end of a row; the
 * memory map pads every region so that this read stays inside memory, and the code of that
 * lane is discarded.
 */
// @ts-ignore: decorator
@inline
export function classifyRow<T>(rows: usize, gram0: usize, gram1: usize, n: i32, i: i32, j: i32, out: usize): void {
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

  // C = Rik: row i from position j − i (k = j + 1); B = Rjk: row j from position 0.
  let pc = rowI + <usize>(j - i) * sz;
  let pb = rowJ;
  let pg0 = gram0 + <usize>rowBase(n, j) * 8;
  let pg1 = gram1 + <usize>rowBase(n, j) * 8;
  const sI = lenI * sz, sJ = lenJ * sz;

  const zero = f64x2.splat(0);
  const one = i64x2.splat(1), two = i64x2.splat(2), three = i64x2.splat(3);
  let byte: u32 = 0;
  let shift: u32 = 0;
  const m = <i32>lenJ;
  for (let t = 0; t < m; t += 2) {
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
    let best = v128.bitselect(d1, zero, lt1);
    let code = v128.and(one, lt1);
    const lt2 = f64x2.lt(d2, best);
    best = v128.bitselect(d2, best, lt2);
    code = v128.bitselect(two, code, lt2);
    const lt3 = f64x2.lt(d3, best);
    code = v128.bitselect(three, code, lt3);

    let pairCode = <u32>i64x2.extract_lane(code, 0);
    if (t + 1 < m) pairCode |= <u32>i64x2.extract_lane(code, 1) << 2;
    byte |= pairCode << shift;
    shift += 4;
    if (shift == 8) {
      store<u8>(out, byte);
      out++;
      byte = 0;
      shift = 0;
    }
    pb += 2 * sz;
    pc += 2 * sz;
    pg0 += 16;
    pg1 += 16;
  }
  if (shift != 0) store<u8>(out, byte);
}

/**
 * Packed codes of every row (i, j) with i0 ≤ i < i1, in row order from `codes`: row (i, j)
 * starts at Σ_{i0 ≤ i' < i} codeBytesUpTo(n−2−i') + codeBytesUpTo(n−2−i) − codeBytesUpTo(n−1−j).
 * Visited in blocks of I_BLOCK values of i (see layout.ts).
 */
export function classifyRange<T>(rows: usize, gram0: usize, gram1: usize, n: i32, i0: i32, i1: i32, codes: usize): void {
  let blockStart = codes;
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      let rowStart = blockStart;
      const before = codeBytesUpTo(n - 1 - j);
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) {
        const all = codeBytesUpTo(n - 2 - i);
        classifyRow<T>(rows, gram0, gram1, n, i, j, rowStart + all - before);
        rowStart += all;
      }
    }
    for (let i = ib; i < ie; i++) blockStart += codeBytesUpTo(n - 2 - i);
  }
}
