import test from 'ava';
import { applySigns, applySignsInPlace, jConjugate, syncViis } from '../ts/apply.js';
import { JsyncInputError } from '../ts/errors.js';
import { pairCount, pairIndex } from '../ts/pairs.js';
import { Random } from '../ts/random.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { block, jConj, maxAbsDiff, relative, type Mat } from './support/matrices.js';

function randomSigns(rng: Random, P: number): Int8Array {
  const s = new Int8Array(P);
  for (let p = 0; p < P; p++) s[p] = rng.next() < 0.5 ? -1 : 1;
  return s;
}

// ---------------------------------------------------------------- jConjugate

test('jConjugate negates exactly [0,2], [1,2], [2,0], [2,1] of the block at offset', (t) => {
  const m = Float64Array.from({ length: 20 }, (_, k) => k + 1);
  jConjugate(m, 9);
  const expected = Array.from({ length: 20 }, (_, k) => k + 1);
  for (const e of [2, 5, 6, 7]) expected[9 + e] = -expected[9 + e];
  t.deepEqual(Array.from(m), expected);
  // equals J M J with J = diag(1, 1, -1), and with ASPIRE's diag(-1, -1, 1)
  const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const J of [
    [1, 1, -1],
    [-1, -1, 1],
  ]) {
    const jmj = a.map((v, e) => J[Math.floor(e / 3)] * v * J[e % 3]);
    t.deepEqual(Array.from(jConj(a)), Array.from(jmj));
  }
  const f = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  jConjugate(f);
  t.deepEqual(Array.from(f), [1, 2, -3, 4, 5, -6, -7, -8, 9]);
});

// ---------------------------------------------------------------- applySigns

test('applySigns conjugates exactly where -1 and leaves the input untouched', (t) => {
  for (const Ctor of [Float64Array, Float32Array]) {
    const P = 37;
    const rng = new Random(1);
    const rijs = new Ctor(9 * P);
    for (let e = 0; e < rijs.length; e++) rijs[e] = rng.normal();
    const before = new Ctor(rijs);
    const signs = randomSigns(rng, P);
    const out = applySigns(rijs, signs);
    t.true(out instanceof Ctor);
    t.not(out, rijs);
    t.deepEqual(Array.from(rijs), Array.from(before));
    for (let p = 0; p < P; p++) {
      const want = signs[p] === -1 ? jConj(block(before, p)) : block(before, p);
      t.deepEqual(Array.from(block(out, p)), Array.from(want), `estimate ${p}`);
    }
    // in place gives the same result
    const copy = new Ctor(before);
    applySignsInPlace(copy, signs);
    t.deepEqual(Array.from(copy), Array.from(out));
    // all +1 is the identity
    t.deepEqual(Array.from(applySigns(rijs, new Int8Array(P).fill(1))), Array.from(rijs));
  }
});

test('applying the truth signs to J-mixed synthetic data recovers RiRjᵀ for every inlier', (t) => {
  const n = 40;
  const d = generateSynthetic({ n, seed: 4, outliers: 0.2 });
  const synced = applySigns(d.rijs, d.truth);
  t.true(synced instanceof Float64Array);
  let inliers = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = pairIndex(n, i, j);
      if (d.inlier[p] !== 1) continue;
      inliers++;
      const diff = maxAbsDiff(block(synced, p), relative(d.rotations, i, j));
      if (diff > 1e-12) t.fail(`pair (${i}, ${j}) off by ${diff}`);
    }
  }
  t.true(inliers > 0.6 * d.pairs);
  // The global flip (all signs negated) gives the consistently mirrored set instead.
  const flipped = applySigns(d.rijs, d.truth.map((s) => -s));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = pairIndex(n, i, j);
      if (d.inlier[p] !== 1) continue;
      const diff = maxAbsDiff(block(flipped, p), jConj(relative(d.rotations, i, j)));
      if (diff > 1e-12) t.fail(`flipped pair (${i}, ${j}) off by ${diff}`);
    }
  }
});

test('applySigns validates lengths, types and sign values', (t) => {
  const rijs = new Float64Array(27);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => applySigns(rijs, new Int8Array(2).fill(1)), /27 values but 2 signs need 18/],
    [() => applySigns(rijs, new Int8Array(4).fill(1)), /9 per estimate/],
    [() => applySigns(new Float64Array(26), new Int8Array(3).fill(1)), /26 values/],
    [() => applySigns(rijs, Int8Array.from([1, 0, -1])), /\+1 or -1, found 0 at index 1/],
    [() => applySigns(rijs, Int8Array.from([1, 2, -1])), /found 2/],
    [() => applySigns(rijs, [1, 1, 1] as unknown as Int8Array), /Int8Array/],
    [() => applySigns([0] as unknown as Float64Array, Int8Array.from([1])), /Float64Array or Float32Array/],
    [() => applySignsInPlace(rijs, new Int8Array(2).fill(1)), /9 per estimate/],
  ];
  for (const [f, message] of cases) {
    const err = t.throws(f, { instanceOf: JsyncInputError });
    t.regex(err?.message ?? '', message);
  }
});

// ---------------------------------------------------------------- syncViis

/** Third rows vi of random rotations, and their outer products vij (i<j) and vii. */
function outerProducts(n: number, seed: number): { vijs: Float64Array; viis: Float64Array } {
  const d = generateSynthetic({ n, seed, jFraction: 0 });
  const v = (i: number, r: number) => d.rotations[9 * i + 6 + r];
  const vijs = new Float64Array(9 * pairCount(n));
  const viis = new Float64Array(9 * n);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) viis[9 * i + 3 * r + c] = v(i, r) * v(i, c);
    for (let j = i + 1; j < n; j++) {
      const o = 9 * pairIndex(n, i, j);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) vijs[o + 3 * r + c] = v(i, r) * v(j, c);
    }
  }
  return { vijs, viis };
}

test('syncViis restores J-conjugated viis against synced vijs (and leaves inputs untouched)', (t) => {
  for (const n of [3, 4, 30]) {
    const { vijs, viis } = outerProducts(n, 100 + n);
    const rng = new Random(n);
    const flips = randomSigns(rng, n);
    flips[0] = -1; // at least one
    const mixed = new Float64Array(viis);
    for (let i = 0; i < n; i++) if (flips[i] === -1) jConjugate(mixed, 9 * i);
    const mixedBefore = new Float64Array(mixed);
    const vijsBefore = new Float64Array(vijs);
    const out = syncViis(vijs, mixed);
    t.not(out, mixed);
    t.deepEqual(Array.from(out), Array.from(viis), `n = ${n}`);
    t.deepEqual(Array.from(mixed), Array.from(mixedBefore));
    t.deepEqual(Array.from(vijs), Array.from(vijsBefore));
  }
});

test('syncViis follows the handedness of the vijs (all vijs mirrored → all viis mirrored)', (t) => {
  const n = 25;
  const { vijs, viis } = outerProducts(n, 7);
  const vijsJ = new Float64Array(vijs);
  for (let p = 0; p < pairCount(n); p++) jConjugate(vijsJ, 9 * p);
  const viisJ = new Float64Array(viis);
  for (let i = 0; i < n; i++) jConjugate(viisJ, 9 * i);
  // whatever handedness the viis come in, they end up with the handedness of the vijs
  const mixed = new Float64Array(viis);
  for (let i = 0; i < n; i += 2) jConjugate(mixed, 9 * i);
  t.deepEqual(Array.from(syncViis(vijsJ, viis)), Array.from(viisJ));
  t.deepEqual(Array.from(syncViis(vijsJ, mixed)), Array.from(viisJ));
  t.deepEqual(Array.from(syncViis(vijsJ, viisJ)), Array.from(viisJ));
});

test('syncViis is a majority vote: a minority of wrong-handed vijs does not change the result', (t) => {
  const n = 30;
  const { vijs, viis } = outerProducts(n, 8);
  const noisy = new Float64Array(vijs);
  const rng = new Random(2);
  // mirror ~20% of the vijs: every vii still has a clear majority of right-handed votes
  for (let p = 0; p < pairCount(n); p++) if (rng.next() < 0.2) jConjugate(noisy, 9 * p);
  const mixed = new Float64Array(viis);
  for (let i = 1; i < n; i += 3) jConjugate(mixed, 9 * i);
  t.deepEqual(Array.from(syncViis(noisy, mixed)), Array.from(viis));
});

test('syncViis ties: an exact tie of one comparison votes "conjugate"; a tied vote keeps vii', (t) => {
  // All vijs zero: err1 = err2 = 0 for every j, every vote is +1, so every vii is conjugated.
  const n = 3;
  const rng = new Random(5);
  const viis = Float64Array.from({ length: 9 * n }, () => rng.normal());
  const out = syncViis(new Float64Array(9 * pairCount(n)), viis);
  const want = new Float64Array(viis);
  for (let i = 0; i < n; i++) jConjugate(want, 9 * i);
  t.deepEqual(Array.from(out), Array.from(want));

  // n = 3 with vij(0,1) right-handed and vij(0,2) mirrored: image 0 gets one vote each way
  // (sum 0) and keeps its vii, whichever handedness it comes in.
  const { vijs, viis: clean } = outerProducts(3, 9);
  const split = new Float64Array(vijs);
  jConjugate(split, 9 * pairIndex(3, 0, 2));
  const keep = syncViis(split, clean);
  t.deepEqual(Array.from(block(keep, 0)), Array.from(block(clean, 0)));
  const mirrored0 = new Float64Array(clean);
  jConjugate(mirrored0, 0);
  const keepJ = syncViis(split, mirrored0);
  t.deepEqual(Array.from(block(keepJ, 0)), Array.from(block(mirrored0, 0)));
});

test('syncViis returns the type of viis and works on float32 data', (t) => {
  const n = 12;
  const { vijs, viis } = outerProducts(n, 10);
  const v32 = new Float32Array(viis);
  const mixed = new Float32Array(v32);
  for (let i = 0; i < n; i += 2) jConjugate(mixed, 9 * i);
  const out = syncViis(new Float32Array(vijs), mixed);
  t.true(out instanceof Float32Array);
  t.deepEqual(Array.from(out), Array.from(v32));
  t.true(syncViis(new Float32Array(vijs), viis) instanceof Float64Array);
});

test('syncViis validates shapes', (t) => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => syncViis(new Float64Array(27), new Float64Array(26)), /not a multiple of 9/],
    [() => syncViis(new Float64Array(9), new Float64Array(18)), /n >= 3/],
    [() => syncViis(new Float64Array(9 * 5), new Float64Array(9 * 4)), /need 6 pairs \(54 values\)/],
    [() => syncViis([] as unknown as Float64Array, new Float64Array(27)), /vijs must be/],
    [() => syncViis(new Float64Array(27), [] as unknown as Float64Array), /viis must be/],
  ];
  for (const [f, message] of cases) {
    const err = t.throws(f, { instanceOf: JsyncInputError });
    t.regex(err?.message ?? '', message);
  }
});
