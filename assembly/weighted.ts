// y += S_w·v with J-weighting (ASPIRE's J_weighting=True): every edge sign of a triplet is
// scaled by 1 − sqrt(c_best / c_alt). The weights need the residual values themselves, so
// this kernel recomputes the four residuals in every product (caching three weights per
// triplet would take 12–24 bytes per triplet: 2–4 GB at n = 1000).
//
// The residuals are computed with exactly the operations, in exactly the order, of the
// reference (ts/triplet.ts): every product of a J-conjugated entry is the negation of a
// product of plain entries, so all four configurations share AB's partial sums and still
// round bit for bit like the reference. That matters: on clean data the best residual is
// ~1e−32 and a cheaper formula (c0 plus a difference) would turn it into rounding noise and
// the weights with it.
import { I_BLOCK, load1, load2, rowBase, rowLength } from './layout';

const SIGN = i64x2.splat(0x8000000000000000);

/** Adds (p − q)² and (p + q)² terms: returns (x − c)², (x + c)² as needed by the caller. */
// @ts-ignore: decorator
@inline
function sq(x: v128): v128 {
  return f64x2.mul(x, x);
}

// @ts-ignore: decorator
@inline
function weight(best: v128, alt: v128): v128 {
  return f64x2.sub(f64x2.splat(1), f64x2.sqrt(f64x2.div(best, alt)));
}

/** Contribution of the triplets (i, j, k), k > j, J-weighted, recomputed from the estimates. */
// @ts-ignore: decorator
@inline
function weightedRow<T>(rows: usize, n: i32, i: i32, j: i32, v: usize, y: usize): void {
  const sz = <usize>sizeof<T>();
  const lenI = <usize>rowLength(n, i);
  const lenJ = <usize>rowLength(n, j);
  const rowI = rows + 9 * <usize>rowBase(n, i) * sz;
  const rowJ = rows + 9 * <usize>rowBase(n, j) * sz;
  const pa = rowI + <usize>(j - i - 1) * sz;
  const A00 = f64x2.splat(load1<T>(pa)), A01 = f64x2.splat(load1<T>(pa + lenI * sz)), A02 = f64x2.splat(load1<T>(pa + 2 * lenI * sz));
  const A10 = f64x2.splat(load1<T>(pa + 3 * lenI * sz)), A11 = f64x2.splat(load1<T>(pa + 4 * lenI * sz)), A12 = f64x2.splat(load1<T>(pa + 5 * lenI * sz));
  const A20 = f64x2.splat(load1<T>(pa + 6 * lenI * sz)), A21 = f64x2.splat(load1<T>(pa + 7 * lenI * sz)), A22 = f64x2.splat(load1<T>(pa + 8 * lenI * sz));
  const sI = lenI * sz, sJ = lenJ * sz;
  let pc = rowI + <usize>(j - i) * sz;
  let pb = rowJ;

  const ij = <usize>(rowBase(n, i) + j - i - 1);
  const vijS = load<f64>(v + ij * 8);
  const vij = f64x2.splat(vijS);
  const jk0 = <usize>rowBase(n, j) * 8;
  const ik0 = <usize>(rowBase(n, i) + j - i) * 8;
  const m = n - 1 - j;
  let acc = f64x2.splat(0);
  let accS: f64 = 0;
  for (let t = 0; t < m; t += 2) {
    const b00 = load2<T>(pb), b01 = load2<T>(pb + sJ), b02 = load2<T>(pb + 2 * sJ);
    const b10 = load2<T>(pb + 3 * sJ), b11 = load2<T>(pb + 4 * sJ), b12 = load2<T>(pb + 5 * sJ);
    const b20 = load2<T>(pb + 6 * sJ), b21 = load2<T>(pb + 7 * sJ), b22 = load2<T>(pb + 8 * sJ);

    // Residuals summed in row-major (r, c) order, as the reference does. For entry (r, c):
    // s = a_r0 b_0c + a_r1 b_1c, u = a_r2 b_2c, x = s + u (AB), y = s − u (the J variants).
    let c0 = f64x2.splat(0), c1 = c0, c2 = c0, c3 = c0;
    // Row r = 0.
    {
      let s = f64x2.add(f64x2.mul(A00, b00), f64x2.mul(A01, b10)); let u = f64x2.mul(A02, b20);
      let x = f64x2.add(s, u), w = f64x2.sub(s, u), c = load2<T>(pc);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.sub(x, c)));
      s = f64x2.add(f64x2.mul(A00, b01), f64x2.mul(A01, b11)); u = f64x2.mul(A02, b21);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.sub(x, c)));
      s = f64x2.add(f64x2.mul(A00, b02), f64x2.mul(A01, b12)); u = f64x2.mul(A02, b22);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + 2 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.add(w, c))); c3 = f64x2.add(c3, sq(f64x2.add(x, c)));
    }
    // Row r = 1.
    {
      let s = f64x2.add(f64x2.mul(A10, b00), f64x2.mul(A11, b10)); let u = f64x2.mul(A12, b20);
      let x = f64x2.add(s, u), w = f64x2.sub(s, u), c = load2<T>(pc + 3 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.sub(x, c)));
      s = f64x2.add(f64x2.mul(A10, b01), f64x2.mul(A11, b11)); u = f64x2.mul(A12, b21);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + 4 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.sub(x, c)));
      s = f64x2.add(f64x2.mul(A10, b02), f64x2.mul(A11, b12)); u = f64x2.mul(A12, b22);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + 5 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.sub(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.add(w, c))); c3 = f64x2.add(c3, sq(f64x2.add(x, c)));
    }
    // Row r = 2: conf 1 negates the whole row of JAJ·B, conf 3 negates C20 and C21.
    {
      let s = f64x2.add(f64x2.mul(A20, b00), f64x2.mul(A21, b10)); let u = f64x2.mul(A22, b20);
      let x = f64x2.add(s, u), w = f64x2.sub(s, u), c = load2<T>(pc + 6 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.add(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.add(x, c)));
      s = f64x2.add(f64x2.mul(A20, b01), f64x2.mul(A21, b11)); u = f64x2.mul(A22, b21);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + 7 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.add(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.sub(w, c))); c3 = f64x2.add(c3, sq(f64x2.add(x, c)));
      s = f64x2.add(f64x2.mul(A20, b02), f64x2.mul(A21, b12)); u = f64x2.mul(A22, b22);
      x = f64x2.add(s, u); w = f64x2.sub(s, u); c = load2<T>(pc + 8 * sI);
      c0 = f64x2.add(c0, sq(f64x2.sub(x, c))); c1 = f64x2.add(c1, sq(f64x2.add(w, c)));
      c2 = f64x2.add(c2, sq(f64x2.add(w, c))); c3 = f64x2.add(c3, sq(f64x2.sub(x, c)));
    }

    // Best configuration (lowest index on ties) and its residual.
    const lt1 = f64x2.lt(c1, c0);
    let best = v128.bitselect(c1, c0, lt1);
    let is1 = lt1;
    const lt2 = f64x2.lt(c2, best);
    best = v128.bitselect(c2, best, lt2);
    is1 = v128.andnot(is1, lt2);
    let is2 = lt2;
    const lt3 = f64x2.lt(c3, best);
    best = v128.bitselect(c3, best, lt3);
    is1 = v128.andnot(is1, lt3);
    is2 = v128.andnot(is2, lt3);
    const is3 = lt3;

    // Alternatives per edge (ALTS of design §1) and the signed, weighted edge values.
    const alt0 = v128.bitselect(f64x2.min(c0, c3), f64x2.min(c1, c2), v128.or(is1, is2));
    const alt1 = v128.bitselect(f64x2.min(c0, c1), f64x2.min(c2, c3), v128.or(is2, is3));
    const alt2 = v128.bitselect(f64x2.min(c0, c2), f64x2.min(c1, c3), v128.or(is1, is3));
    const eIjJk = v128.xor(weight(best, alt0), v128.and(SIGN, v128.or(is1, is2)));
    const eIkJk = v128.xor(weight(best, alt1), v128.and(SIGN, v128.or(is2, is3)));
    const eIjIk = v128.xor(weight(best, alt2), v128.and(SIGN, v128.or(is1, is3)));

    const o = <usize>t * 8;
    if (t + 2 <= m) {
      const vjk = v128.load(v + jk0 + o), vik = v128.load(v + ik0 + o);
      acc = f64x2.add(acc, f64x2.add(f64x2.mul(eIjJk, vjk), f64x2.mul(eIjIk, vik)));
      v128.store(y + jk0 + o, f64x2.add(v128.load(y + jk0 + o), f64x2.add(f64x2.mul(eIjJk, vij), f64x2.mul(eIkJk, vik))));
      v128.store(y + ik0 + o, f64x2.add(v128.load(y + ik0 + o), f64x2.add(f64x2.mul(eIjIk, vij), f64x2.mul(eIkJk, vjk))));
    } else {
      // Last, odd triplet of the row: lane 0 only (lane 1 read padding).
      const w0 = f64x2.extract_lane(eIjJk, 0), w1 = f64x2.extract_lane(eIkJk, 0), w2 = f64x2.extract_lane(eIjIk, 0);
      const vjk = load<f64>(v + jk0 + o), vik = load<f64>(v + ik0 + o);
      accS += w0 * vjk + w2 * vik;
      store<f64>(y + jk0 + o, load<f64>(y + jk0 + o) + (w0 * vijS + w1 * vik));
      store<f64>(y + ik0 + o, load<f64>(y + ik0 + o) + (w2 * vijS + w1 * vjk));
    }
    pb += 2 * sz;
    pc += 2 * sz;
  }
  store<f64>(y + ij * 8, load<f64>(y + ij * 8) + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + accS));
}

/** y += S_w·v over the triplets with i0 ≤ i < i1 (J-weighted; y is not cleared). */
export function productWeighted<T>(rows: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize): void {
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) weightedRow<T>(rows, n, i, j, v, y);
    }
  }
}
