/** 3×3 matrix helpers for tests, written independently of the code under test. */
export type Mat = ArrayLike<number>;

/** Ri Rjᵀ of the rotations array (row-major blocks). */
export function relative(rot: Float64Array, i: number, j: number): Float64Array {
  const m = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += rot[9 * i + 3 * r + k] * rot[9 * j + 3 * c + k];
      m[3 * r + c] = s;
    }
  }
  return m;
}

/** J m J with J = diag(1, 1, −1). */
export function jConj(m: Mat): Float64Array {
  const out = Float64Array.from(m);
  out[2] = -out[2];
  out[5] = -out[5];
  out[6] = -out[6];
  out[7] = -out[7];
  return out;
}

/** The p-th 3×3 block. */
export function block(a: Mat, p: number): Float64Array {
  const out = new Float64Array(9);
  for (let e = 0; e < 9; e++) out[e] = a[9 * p + e];
  return out;
}

export function maxAbsDiff(a: Mat, b: Mat): number {
  let d = 0;
  for (let e = 0; e < a.length; e++) d = Math.max(d, Math.abs(a[e] - b[e]));
  return d;
}
