// y += S·v from packed triplet codes, streaming over rows (i, j): for a fixed (i, j) the
// pairs (j, k) and (i, k) are contiguous in k, so the loop reads and writes two contiguous
// runs and reduces into one scalar for (i, j) (design §3.2). With the node signs σ of a
// triplet normalised so that σij = +1, its contribution is the rank-one update
// y[a] += σa·t, t = σ·v (design §3.3); the diagonal part Σ σa² v[a] = (n − 2)·v[a] that this
// adds is removed once at the end by `subtractDiagonal`.
import { codeGroupBytes, codeRowOffset, I_BLOCK, rowBase } from './layout';
import { classifyRowFiltered, classifyRowPlain, filterUsable } from './classify';

const SIGN_BIT: u64 = 0x8000000000000000;

/** Bytes of the sign table that `initSignTable` writes: 256 code bytes × 64. */
export const SIGN_TABLE_BYTES: i32 = 256 * 64;

/**
 * For each code byte (four triplets, layout.ts: bit L and bit 4 + L are the code of lane L)
 * four v128 masks with the sign bit set in the float64 lanes whose σ is −1: σjk of lanes
 * 0, 1; σik of lanes 0, 1; σjk of lanes 2, 3; σik of lanes 2, 3. Normalised node signs:
 * code 0 (+,+), 1 (−,−), 2 (−,+), 3 (+,−) for (σjk, σik).
 */
export function initSignTable(table: usize): void {
  for (let byte: u32 = 0; byte < 256; byte++) {
    for (let lane: u32 = 0; lane < 4; lane++) {
      const code = ((byte >> lane) & 1) | (((byte >> (4 + lane)) & 1) << 1);
      const negIk = code & 1;
      const negJk = ((code >> 1) ^ code) & 1;
      const at = table + byte * 64 + (lane >> 1) * 32 + (lane & 1) * 8;
      store<u64>(at, negJk ? SIGN_BIT : 0);
      store<u64>(at + 16, negIk ? SIGN_BIT : 0);
    }
  }
}

/**
 * Stores the lanes of `value` that `lanes` names (bit 0: lane 0, bit 1: lane 1) at `ptr` and
 * leaves the other lane of memory alone: a whole-vector store could put back a stale value
 * there, which another store of the same block may just have updated.
 */
// @ts-ignore: decorator
@inline
function storeLanes(ptr: usize, value: v128, lanes: u32): void {
  if (lanes == 3) v128.store(ptr, value);
  else if (lanes == 1) v128.store64_lane(ptr, value, 0);
  else if (lanes == 2) v128.store64_lane(ptr, value, 1, 8);
}

/** All ones in the float64 lanes that `lanes` names (bit 0: lane 0, bit 1: lane 1), zeros elsewhere. */
// @ts-ignore: decorator
@inline
function laneMask(lanes: u32): v128 {
  return i64x2.replace_lane(i64x2.splat(-(<i64>(lanes & 1))), 1, -(<i64>((lanes >> 1) & 1)));
}

/**
 * Contribution of the triplets (i, j, k), k > j, whose packed codes (layout.ts: one byte per
 * block of four absolute k, from k = 4⌊(j+1)/4⌋) start at `codes`, and — when `two` — of the
 * triplets (i2, j, k) too, whose codes start at `codes2`: the two rows share the pairs (j, k),
 * so their v and y entries are loaded and stored once for both. One code byte → one 64-byte
 * entry of the sign table: four triplets per row in two f64x2 steps. The whole blocks first,
 * then the partial first and last blocks (lanes k ≤ j or k ≥ n are not triplets) in the same
 * steps with those lanes masked: they add +0 to the row sums (which start at +0, so are never
 * −0, and stay as they are) and are not stored. Their loads reach at most three pairs before
 * the first or after the last pair of a row: inside memory (ts/wasm/memory-map.ts pads every
 * region by more).
 */
// @ts-ignore: decorator
@inline
function productRows(
  codes: usize, codes2: usize, table: usize, n: i32, i: i32, i2: i32, j: i32, v: usize, y: usize, two: bool,
): void {
  const ij = <usize>(rowBase(n, i) + j - i - 1) * 8;
  const ij2 = <usize>(rowBase(n, i2) + j - i2 - 1) * 8;
  const vij = f64x2.splat(load<f64>(v + ij));
  const vij2 = f64x2.splat(two ? load<f64>(v + ij2) : 0);
  // Byte offsets of the pairs (j, k), (i, k) and (i2, k) are jkAt + 8k, ikAt + 8k, ik2At + 8k
  // (wrapping arithmetic).
  const jkAt = <usize>(rowBase(n, j) - j - 1) * 8;
  const ikAt = <usize>(rowBase(n, i) - i - 1) * 8;
  const ik2At = <usize>(rowBase(n, i2) - i2 - 1) * 8;
  const kLo = j + 1;
  const kFirst = kLo & ~3; // first k of the first block (whose first byte is at `codes`)
  const kFull = (kLo + 3) & ~3; // first k of the first whole block
  const kFullEnd = n & ~3; // end of the last whole block
  let acc = f64x2.splat(0);
  let acc2 = f64x2.splat(0);
  if (kFull < kFullEnd) {
    const first = <usize>((kFull - kFirst) >> 2);
    let pcode = codes + first;
    let pcode2 = codes2 + first;
    let pvjk = v + jkAt + <usize>kFull * 8;
    let pyjk = y + jkAt + <usize>kFull * 8;
    let pvik = v + ikAt + <usize>kFull * 8;
    let pyik = y + ikAt + <usize>kFull * 8;
    let pvik2 = v + ik2At + <usize>kFull * 8;
    let pyik2 = y + ik2At + <usize>kFull * 8;
    const pend = pcode + <usize>((kFullEnd - kFull) >> 2);
    do {
      // Lanes 0, 1 of row i, then of row i2; then lanes 2, 3 of both. Row i: t = vij + σjk vjk
      // + σik vik; y_jk += σjk t, y_ik += σik t (row i2 likewise with s, on the same y_jk). In
      // halves, so that fewer values are live at once (V8 keeps them in 16 registers; the
      // whole block at once spilled some to the stack): the same operations in the same order
      // per entry, so the same bits.
      const entry = table + (<usize>load<u8>(pcode) << 6);
      const entry2 = two ? table + (<usize>load<u8>(pcode2) << 6) : 0; // row i2's signs, both halves
      const vjk0 = v128.load(pvjk);
      const mjk0 = v128.load(entry), mik0 = v128.load(entry, 16);
      const t0 = f64x2.add(f64x2.add(vij, v128.xor(vjk0, mjk0)), v128.xor(v128.load(pvik), mik0));
      let yjk0 = f64x2.add(v128.load(pyjk), v128.xor(t0, mjk0));
      v128.store(pyik, f64x2.add(v128.load(pyik), v128.xor(t0, mik0)));
      let s0 = t0;
      if (two) {
        const nk0 = v128.load(entry2), ni0 = v128.load(entry2, 16);
        s0 = f64x2.add(f64x2.add(vij2, v128.xor(vjk0, nk0)), v128.xor(v128.load(pvik2), ni0));
        yjk0 = f64x2.add(yjk0, v128.xor(s0, nk0));
        v128.store(pyik2, f64x2.add(v128.load(pyik2), v128.xor(s0, ni0)));
      }
      v128.store(pyjk, yjk0);
      const vjk1 = v128.load(pvjk, 16);
      const mjk1 = v128.load(entry, 32), mik1 = v128.load(entry, 48);
      const t1 = f64x2.add(f64x2.add(vij, v128.xor(vjk1, mjk1)), v128.xor(v128.load(pvik, 16), mik1));
      let yjk1 = f64x2.add(v128.load(pyjk, 16), v128.xor(t1, mjk1));
      v128.store(pyik, f64x2.add(v128.load(pyik, 16), v128.xor(t1, mik1)), 16);
      acc = f64x2.add(acc, f64x2.add(t0, t1));
      if (two) {
        const nk1 = v128.load(entry2, 32), ni1 = v128.load(entry2, 48);
        const s1 = f64x2.add(f64x2.add(vij2, v128.xor(vjk1, nk1)), v128.xor(v128.load(pvik2, 16), ni1));
        yjk1 = f64x2.add(yjk1, v128.xor(s1, nk1));
        v128.store(pyik2, f64x2.add(v128.load(pyik2, 16), v128.xor(s1, ni1)), 16);
        acc2 = f64x2.add(acc2, f64x2.add(s0, s1));
        pcode2++;
        pvik2 += 32;
        pyik2 += 32;
      }
      v128.store(pyjk, yjk1, 16);
      pvjk += 32;
      pyjk += 32;
      pvik += 32;
      pyik += 32;
    } while (++pcode < pend);
  }
  // The partial blocks: the first (lanes k ≤ j) and the last (lanes k ≥ n), or the one block
  // that is both. Bit L of `valid`: lane L (k = kb + L) is a triplet.
  const tailLanes: u32 = n & 3 ? ~(<u32>0xf << <u32>(n & 3)) & 0xf : 0xf;
  for (let edge = 0; edge < 2; edge++) {
    let kb: i32;
    let valid: u32;
    if (edge == 0) {
      if (kLo == kFirst) continue;
      kb = kFirst;
      valid = (<u32>0xf << <u32>(kLo - kFirst)) & (kb + 4 > n ? tailLanes : 0xf) & 0xf;
    } else {
      if (tailLanes == 0xf || kFullEnd < kFull) continue; // no partial last block, or it was the first
      kb = kFullEnd;
      valid = tailLanes;
    }
    const lo = valid & 3;
    const hi = valid >> 2;
    const keep0 = laneMask(lo);
    const keep1 = laneMask(hi);
    const byte = <usize>((kb - kFirst) >> 2);
    const pvjk = v + jkAt + <usize>kb * 8;
    const pyjk = y + jkAt + <usize>kb * 8;
    const pvik = v + ikAt + <usize>kb * 8;
    const pyik = y + ikAt + <usize>kb * 8;
    const entry = table + (<usize>load<u8>(codes + byte) << 6);
    const vjk0 = v128.load(pvjk), vjk1 = v128.load(pvjk, 16);
    const mjk0 = v128.load(entry), mik0 = v128.load(entry, 16);
    const mjk1 = v128.load(entry, 32), mik1 = v128.load(entry, 48);
    const t0 = v128.and(f64x2.add(f64x2.add(vij, v128.xor(vjk0, mjk0)), v128.xor(v128.load(pvik), mik0)), keep0);
    const t1 = v128.and(f64x2.add(f64x2.add(vij, v128.xor(vjk1, mjk1)), v128.xor(v128.load(pvik, 16), mik1)), keep1);
    let yjk0 = f64x2.add(v128.load(pyjk), v128.xor(t0, mjk0));
    let yjk1 = f64x2.add(v128.load(pyjk, 16), v128.xor(t1, mjk1));
    storeLanes(pyik, f64x2.add(v128.load(pyik), v128.xor(t0, mik0)), lo);
    storeLanes(pyik + 16, f64x2.add(v128.load(pyik, 16), v128.xor(t1, mik1)), hi);
    acc = f64x2.add(acc, f64x2.add(t0, t1));
    if (two) {
      const pvik2 = v + ik2At + <usize>kb * 8;
      const pyik2 = y + ik2At + <usize>kb * 8;
      const entry2 = table + (<usize>load<u8>(codes2 + byte) << 6);
      const nk0 = v128.load(entry2), ni0 = v128.load(entry2, 16);
      const nk1 = v128.load(entry2, 32), ni1 = v128.load(entry2, 48);
      const s0 = v128.and(f64x2.add(f64x2.add(vij2, v128.xor(vjk0, nk0)), v128.xor(v128.load(pvik2), ni0)), keep0);
      const s1 = v128.and(f64x2.add(f64x2.add(vij2, v128.xor(vjk1, nk1)), v128.xor(v128.load(pvik2, 16), ni1)), keep1);
      yjk0 = f64x2.add(yjk0, v128.xor(s0, nk0));
      yjk1 = f64x2.add(yjk1, v128.xor(s1, nk1));
      storeLanes(pyik2, f64x2.add(v128.load(pyik2), v128.xor(s0, ni0)), lo);
      storeLanes(pyik2 + 16, f64x2.add(v128.load(pyik2, 16), v128.xor(s1, ni1)), hi);
      acc2 = f64x2.add(acc2, f64x2.add(s0, s1));
    }
    storeLanes(pyjk, yjk0, lo);
    storeLanes(pyjk + 16, yjk1, hi);
  }
  store<f64>(y + ij, load<f64>(y + ij) + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1)));
  if (two) store<f64>(y + ij2, load<f64>(y + ij2) + (f64x2.extract_lane(acc2, 0) + f64x2.extract_lane(acc2, 1)));
}

/** Contribution of the triplets (i, j, k), k > j, whose packed codes start at `codes`. */
// @ts-ignore: decorator
@inline
export function productRow(codes: usize, table: usize, n: i32, i: i32, j: i32, v: usize, y: usize): void {
  productRows(codes, codes, table, n, i, i, j, v, y, false);
}

/**
 * y += Σ over triplets with i0 ≤ i < i1, from cached codes starting at `codes` (row i0),
 * visited in blocks of I_BLOCK values of i like classifyRange.
 */
export function productCached(codes: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize): void {
  let blockStart = codes;
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      let groupStart = blockStart;
      const iEnd = min(ie, j);
      // Rows (i, j) and (i + 1, j) together: they share the pairs (j, k).
      let i = ib;
      for (; i + 1 < iEnd; i += 2) {
        const groupNext = groupStart + codeGroupBytes(n, i);
        productRows(
          groupStart + codeRowOffset(n, i, j), groupNext + codeRowOffset(n, i + 1, j), table, n, i, i + 1, j, v, y, true,
        );
        groupStart = groupNext + codeGroupBytes(n, i + 1);
      }
      if (i < iEnd) productRow(groupStart + codeRowOffset(n, i, j), table, n, i, j, v, y);
    }
    for (let i = ib; i < ie; i++) blockStart += codeGroupBytes(n, i);
  }
}

/**
 * As productCached, classifying each row into `scratch` (⌈n/4⌉ bytes) just before using it,
 * with the float32 filter copy at `filt` when it is usable (see classify.ts; 0: none) and the
 * lane's `stash` (layout.ts STASH_BYTES).
 */
export function productStreaming<T>(
  rows: usize, gram0: usize, gram1: usize, filt: usize, table: usize, n: i32, i0: i32, i1: i32, v: usize, y: usize, scratch: usize,
  stash: usize,
): void {
  const filtered = filterUsable(filt);
  for (let ib = i0; ib < i1; ib += I_BLOCK) {
    const ie = min(ib + I_BLOCK, i1);
    for (let j = ib + 1; j < n - 1; j++) {
      const iEnd = min(ie, j);
      for (let i = ib; i < iEnd; i++) {
        if (filtered) classifyRowFiltered<T>(rows, gram0, gram1, filt, n, i, j, scratch, stash);
        else classifyRowPlain<T>(rows, gram0, gram1, n, i, j, scratch);
        productRow(scratch, table, n, i, j, v, y);
      }
    }
  }
}

/** y −= (n − 2)·v: removes the diagonal that the rank-one updates add. */
export function subtractDiagonal(v: usize, y: usize, count: i32, n: i32): void {
  const d = f64x2.splat(<f64>(n - 2));
  let p: usize = 0;
  const end = <usize>count * 8;
  for (; p + 16 <= end; p += 16) v128.store(y + p, f64x2.sub(v128.load(y + p), f64x2.mul(d, v128.load(v + p))));
  for (; p < end; p += 8) store<f64>(y + p, load<f64>(y + p) - <f64>(n - 2) * load<f64>(v + p));
}
