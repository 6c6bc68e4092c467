/**
 * A small seeded pseudo-random number generator for synthetic data and start vectors.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state, 32-bit outputs. The state is
 * derived from a safe-integer seed and a stream number through murmur3's fmix32 (a bijection
 * of 32-bit words), so distinct (seed, stream) pairs give distinct states, and nearby seeds
 * give unrelated streams (16 outputs are discarded after seeding).
 *
 * Everything up to `next()`/`nextUint32()`/`int()` uses only 32-bit integer operations
 * (Math.imul, `>>>`, `^`, `<<`) and exact double arithmetic, so the streams are bit-identical
 * on every JavaScript engine. `normal()` additionally uses Math.log and Math.sqrt (Marsaglia's
 * polar method); Math.sqrt is correctly rounded everywhere, Math.log is not specified to the
 * last bit, so normal variates are reproducible on one engine (V8: Node, Chrome, Edge) and
 * agree to ~1 ulp elsewhere.
 *
 * Browser safe: no Node APIs.
 */
import { JsyncInputError } from './errors.js';

const TWO_POW_32 = 4294967296;
/** 2^-53 */
const INV_TWO_POW_53 = 1 / 9007199254740992;

/** murmur3 finaliser: a bijective avalanche mix of one 32-bit word (returns int32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Seeded xoshiro128** generator. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  /**
   * @param seed any safe integer (negative allowed); default 0.
   * @param stream a non-negative 32-bit integer selecting an independent stream for the same
   *   seed (default 0).
   */
  constructor(seed = 0, stream = 0) {
    if (!Number.isSafeInteger(seed)) {
      throw new JsyncInputError(`seed must be a safe integer, got ${String(seed)}`);
    }
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) {
      throw new JsyncInputError(`stream must be an integer in [0, 2^32), got ${String(stream)}`);
    }
    // Exact split of the 53-bit seed into two 32-bit words (two's complement for negatives).
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.s0 = fmix32((lo + 0x9e3779b9) | 0);
    this.s1 = fmix32((hi + 0x7f4a7c15) | 0);
    this.s2 = fmix32((stream + 0x6a09e667) | 0);
    this.s3 = fmix32(this.s0 ^ this.s1 ^ this.s2 ^ 0x3c6ef372);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1; // never all zero
    for (let k = 0; k < 16; k++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform double in [0, 1) with 53 random bits (two 32-bit outputs). */
  next(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) * INV_TWO_POW_53;
  }

  /**
   * Uniform integer in [0, maxExclusive). Exact (rejection sampling) for maxExclusive ≤ 2^32;
   * for larger bounds (up to 2^53) floor(next() · max), whose bias is below 2^-53 · max.
   */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1) {
      throw new JsyncInputError(
        `int() needs a positive safe integer bound, got ${String(maxExclusive)}`,
      );
    }
    if (maxExclusive <= TWO_POW_32) {
      // Accept u < limit, the largest multiple of maxExclusive not above 2^32.
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      for (;;) {
        const u = this.nextUint32();
        if (u < limit) return u % maxExclusive;
      }
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /** Standard normal variate (Marsaglia's polar method; the second value is cached). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Uniformly distributed rotation (Haar measure on SO(3)): a quaternion with four independent
 * standard normal components, normalised, converted to a 3×3 matrix (row-major).
 */
export function randomRotation(rng: Random): Float64Array {
  let w: number;
  let x: number;
  let y: number;
  let z: number;
  let norm2: number;
  do {
    w = rng.normal();
    x = rng.normal();
    y = rng.normal();
    z = rng.normal();
    norm2 = w * w + x * x + y * y + z * z;
  } while (!(norm2 > 1e-300));
  const inv = 1 / Math.sqrt(norm2);
  w *= inv;
  x *= inv;
  y *= inv;
  z *= inv;
  return quaternionToMatrix(w, x, y, z);
}

/** Rotation matrix (row-major) of the unit quaternion w + xi + yj + zk. */
export function quaternionToMatrix(w: number, x: number, y: number, z: number): Float64Array {
  const m = new Float64Array(9);
  m[0] = 1 - 2 * (y * y + z * z);
  m[1] = 2 * (x * y - w * z);
  m[2] = 2 * (x * z + w * y);
  m[3] = 2 * (x * y + w * z);
  m[4] = 1 - 2 * (x * x + z * z);
  m[5] = 2 * (y * z - w * x);
  m[6] = 2 * (x * z - w * y);
  m[7] = 2 * (y * z + w * x);
  m[8] = 1 - 2 * (x * x + y * y);
  return m;
}
