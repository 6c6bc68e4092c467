/**
 * The small dense problem of each LOBPCG step (lobpcg.ts): the Rayleigh–Ritz vector of
 * largest Ritz value in a basis of two or three vectors, from the basis' Gram matrix G and
 * its matrix H = Bᵀ·S·B. Symmetric, m ≤ 3: Cholesky and Jacobi rotations, written out.
 */

/** A symmetric m × m matrix (m = 2 or 3), row-major, full. */
export type Small = number[][];

/** c·M·c. */
export function quadratic(m: Small, c: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < c.length; i++) for (let j = 0; j < c.length; j++) sum += c[i] * m[i][j] * c[j];
  return sum;
}

/**
 * The lower Cholesky factor of G, or null when G is not numerically positive definite:
 * a pivot² below `minPivot2` times its diagonal entry (the basis vectors are then nearly
 * dependent).
 */
export function cholesky(g: Small, minPivot2: number): Small | null {
  const m = g.length;
  const l: Small = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > minPivot2 * g[i][i])) return null;
        l[i][i] = Math.sqrt(s);
      } else {
        l[i][j] = s / l[j][j];
      }
    }
  }
  return l;
}

/** Eigenvalues and eigenvectors (columns of the returned vectors) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(a: Small): { values: number[]; vectors: Small } {
  const m = a.length;
  const s = a.map((row) => row.slice());
  const v: Small = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += s[p][q] * s[p][q];
    if (off === 0) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        if (s[p][q] === 0) continue;
        // The rotation that zeroes s[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const theta = (s[q][q] - s[p][p]) / (2 * s[p][q]);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let k = 0; k < m; k++) {
          const x = s[k][p];
          const y = s[k][q];
          s[k][p] = cos * x - sin * y;
          s[k][q] = sin * x + cos * y;
        }
        for (let k = 0; k < m; k++) {
          const x = s[p][k];
          const y = s[q][k];
          s[p][k] = cos * x - sin * y;
          s[q][k] = sin * x + cos * y;
        }
        for (let k = 0; k < m; k++) {
          const x = v[k][p];
          const y = v[k][q];
          v[k][p] = cos * x - sin * y;
          v[k][q] = sin * x + cos * y;
        }
      }
    }
  }
  return { values: s.map((row, i) => row[i]), vectors: v };
}

/**
 * Coefficients c of the Ritz vector B·c of largest Ritz value: H·c = μ·G·c with cᵀ·G·c = 1,
 * given the Cholesky factor L of G (G = L·Lᵀ). With C = L⁻¹·H·L⁻ᵀ and C·y = μ·y (‖y‖ = 1),
 * c = L⁻ᵀ·y.
 */
export function largestRitz(h: Small, l: Small): number[] {
  const m = l.length;
  const forward = (b: number[]): number[] => {
    const y = new Array<number>(m);
    for (let i = 0; i < m; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
      y[i] = s / l[i][i];
    }
    return y;
  };
  const backward = (b: number[]): number[] => {
    const y = new Array<number>(m);
    for (let i = m - 1; i >= 0; i--) {
      let s = b[i];
      for (let k = i + 1; k < m; k++) s -= l[k][i] * y[k];
      y[i] = s / l[i][i];
    }
    return y;
  };
  // Column j of H·L⁻ᵀ is H·(L⁻ᵀ·e_j); C's column j is L⁻¹ times it.
  const columns: number[][] = [];
  for (let j = 0; j < m; j++) {
    const e = new Array<number>(m).fill(0);
    e[j] = 1;
    const u = backward(e);
    columns.push(forward(h.map((row) => row.reduce((sum, hk, k) => sum + hk * u[k], 0))));
  }
  // Symmetrize away the rounding of the two triangular solves.
  const c: Small = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (columns[j][i] + columns[i][j]) / 2));
  const { values, vectors } = symmetricEigen(c);
  let best = 0;
  for (let i = 1; i < m; i++) if (values[i] > values[best]) best = i;
  return backward(vectors.map((row) => row[best]));
}
