/**
 * Applying J-synchronization results: J-conjugation of 3×3 blocks, applying a sign vector to
 * the estimates (ASPIRE `JSync.global_J_sync`), and synchronizing the self outer products of
 * the C3/C4 pipelines (ASPIRE `JSync.sync_viis`). Browser safe: typed arrays and Math only.
 *
 * J = diag(1, 1, −1). ASPIRE writes J = diag(−1, −1, 1); both give the same conjugation
 * J M J, which negates the entries [0,2], [1,2], [2,0], [2,1] of M and keeps the others.
 */
import { JsyncInputError } from './errors.js';
import { pairCount, pairIndex } from './pairs.js';

export type RealArray = Float64Array | Float32Array;

/** In place: the 3×3 row-major block m[offset .. offset+9) becomes J m J. */
export function jConjugate(m: RealArray, offset = 0): void {
  m[offset + 2] = -m[offset + 2];
  m[offset + 5] = -m[offset + 5];
  m[offset + 6] = -m[offset + 6];
  m[offset + 7] = -m[offset + 7];
}

/** A new array of the same type holding a copy of m. */
function copyOf<T extends RealArray>(m: T): T {
  return (m instanceof Float32Array ? new Float32Array(m) : new Float64Array(m)) as T;
}

function checkRealArray(name: string, a: unknown): asserts a is RealArray {
  if (!(a instanceof Float64Array) && !(a instanceof Float32Array)) {
    throw new JsyncInputError(`${name} must be a Float64Array or Float32Array`);
  }
}

function checkSigns(rijs: RealArray, signs: Int8Array): void {
  checkRealArray('rijs', rijs);
  if (!(signs instanceof Int8Array)) {
    throw new JsyncInputError('signs must be an Int8Array');
  }
  if (rijs.length !== 9 * signs.length) {
    throw new JsyncInputError(
      `rijs has ${rijs.length} values but ${signs.length} signs need ${9 * signs.length} (9 per estimate)`,
    );
  }
  for (let p = 0; p < signs.length; p++) {
    const s = signs[p];
    if (s !== 1 && s !== -1) {
      throw new JsyncInputError(`signs must be +1 or -1, found ${s} at index ${p}`);
    }
  }
}

/**
 * J-synchronize estimates with a sign vector: returns a NEW array of the same type in which
 * every estimate p with signs[p] = −1 is J-conjugated; the input is untouched
 * (ASPIRE `global_J_sync`: `Rijs_sync[mask] = J_conjugate(Rijs_sync[mask])`, mask = sign == −1).
 */
export function applySigns<T extends RealArray>(rijs: T, signs: Int8Array): T {
  checkSigns(rijs, signs);
  const out = copyOf(rijs);
  for (let p = 0; p < signs.length; p++) {
    if (signs[p] === -1) jConjugate(out, 9 * p);
  }
  return out;
}

/** As `applySigns`, but conjugates in place (no copy) — for large inputs. */
export function applySignsInPlace(rijs: RealArray, signs: Int8Array): void {
  checkSigns(rijs, signs);
  for (let p = 0; p < signs.length; p++) {
    if (signs[p] === -1) jConjugate(rijs, 9 * p);
  }
}

/**
 * J-synchronize the self outer products `viis` (n × 3 × 3, vii ≈ vi viᵀ, vi the third row of
 * Ri) against already J-synchronized pairwise outer products `vijs` (P × 3 × 3, vij ≈ vi vjᵀ,
 * pairs in the order of design §2). Returns a NEW array of the type of `viis`; inputs untouched.
 *
 * Decision rule, reimplemented from ASPIRE-Python `JSync.sync_viis`
 * (ComputationalCryoEM/ASPIRE-Python, src/aspire/abinitio/J_sync.py). For a unit vi,
 * vii vij = vij and vji vii = vji when vii has the handedness of the vijs. For each i, with
 * viiJ = J vii J and ‖·‖ the Frobenius norm, every j ≠ i casts one vote:
 *   j > i (v = vij):  err1 = ‖vii v − v‖,  err2 = ‖viiJ v − v‖   (vii multiplies from the left)
 *   j < i (v = vji):  err1 = ‖v vii − v‖,  err2 = ‖v viiJ − v‖   (vii multiplies from the right)
 *   vote = −1 ("keep") if err1 < err2, else +1 ("conjugate") — an exact tie votes to conjugate.
 * vii is replaced by viiJ iff the sum of the n − 1 votes is > 0; a tied vote keeps vii.
 * The votes always compare the input vii (as ASPIRE does: earlier decisions do not feed later
 * ones, since only vijs are consulted). Arithmetic is float64 whatever the input type.
 */
export function syncViis<T extends RealArray>(vijs: RealArray, viis: T): T {
  checkRealArray('vijs', vijs);
  checkRealArray('viis', viis);
  if (viis.length % 9 !== 0) {
    throw new JsyncInputError(`viis has ${viis.length} values, not a multiple of 9 (n × 3 × 3)`);
  }
  const n = viis.length / 9;
  if (n < 3) {
    throw new JsyncInputError(`viis holds ${n} outer products; J-synchronization needs n >= 3`);
  }
  const P = pairCount(n);
  if (vijs.length !== 9 * P) {
    throw new JsyncInputError(
      `vijs has ${vijs.length} values but n = ${n} viis need ${P} pairs (${9 * P} values)`,
    );
  }

  const out = copyOf(viis);
  const a = new Float64Array(9); // vii
  const b = new Float64Array(9); // J vii J
  for (let i = 0; i < n; i++) {
    const oi = 9 * i;
    for (let e = 0; e < 9; e++) a[e] = viis[oi + e];
    b.set(a);
    jConjugate(b);
    let consensus = 0;
    // j < i: pair (j, i), vii on the right.
    for (let j = 0; j < i; j++) {
      const o = 9 * pairIndex(n, j, i);
      const err1 = normRightResidual(vijs, o, a);
      const err2 = normRightResidual(vijs, o, b);
      consensus += err1 < err2 ? -1 : 1;
    }
    // j > i: pairs (i, j) are contiguous, vii on the left.
    const base = 9 * pairIndex(n, i, i + 1);
    for (let j = i + 1; j < n; j++) {
      const o = base + 9 * (j - i - 1);
      const err1 = normLeftResidual(vijs, o, a);
      const err2 = normLeftResidual(vijs, o, b);
      consensus += err1 < err2 ? -1 : 1;
    }
    if (consensus > 0) jConjugate(out, oi);
  }
  return out;
}

/** ‖m v − v‖_F with v = vs[o .. o+9) (3×3 row-major). */
function normLeftResidual(vs: RealArray, o: number, m: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    const v0 = vs[o + c];
    const v1 = vs[o + 3 + c];
    const v2 = vs[o + 6 + c];
    const r0 = m[0] * v0 + m[1] * v1 + m[2] * v2 - v0;
    const r1 = m[3] * v0 + m[4] * v1 + m[5] * v2 - v1;
    const r2 = m[6] * v0 + m[7] * v1 + m[8] * v2 - v2;
    sum += r0 * r0 + r1 * r1 + r2 * r2;
  }
  return Math.sqrt(sum);
}

/** ‖v m − v‖_F with v = vs[o .. o+9) (3×3 row-major). */
function normRightResidual(vs: RealArray, o: number, m: Float64Array): number {
  let sum = 0;
  for (let r = 0; r < 3; r++) {
    const v0 = vs[o + 3 * r];
    const v1 = vs[o + 3 * r + 1];
    const v2 = vs[o + 3 * r + 2];
    const r0 = v0 * m[0] + v1 * m[3] + v2 * m[6] - v0;
    const r1 = v0 * m[1] + v1 * m[4] + v2 * m[7] - v1;
    const r2 = v0 * m[2] + v1 * m[5] + v2 * m[8] - v2;
    sum += r0 * r0 + r1 * r1 + r2 * r2;
  }
  return Math.sqrt(sum);
}
