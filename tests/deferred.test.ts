/**
 * Deferred rechecks (ts/wasm/memory-map.ts): with codes kept in memory the classification
 * reads only the float32 filter copy, lists the triplets the filter cannot decide, and
 * decides them afterwards in float64 from a second read of the estimates. The codes must be
 * the float64 kernel's, bit for bit, and inputs that defeat the deferral must fall back to
 * the classification with float64 rows.
 */
import test from 'ava';
import type { FloatArray } from '../ts/backend.js';
import { Random } from '../ts/random.js';
import { referenceCodes } from '../ts/reference.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { gatherLimit, wasmBackend } from '../ts/wasm/backend.js';
import { partition } from '../ts/wasm/chunks.js';
import { instantiateKernels, kernelLayout, kernelModule, type KernelExports } from '../ts/wasm/kernels.js';
import { codeBytes, filterBytes, gatherLayout, planMemory, RECHECK_ENTRY_BYTES, recheckRoom, STASH_BYTES, unpackRowCodes, WASM_PAGE, type MemoryMap } from '../ts/wasm/memory-map.js';
import { writeRows } from '../ts/wasm/runner.js';
import { countDifferent } from './support/backends.js';

/**
 * Rij = Rz(θi − θj) + noise·N(0, 1) entries. Rotations about z commute with J, so without
 * noise the four configurations of every triplet tie; tiny noise makes near-ties that the
 * float32 filter cannot decide.
 */
function inPlane(n: number, seed: number, noise: number): Float64Array {
  const rng = new Random(seed);
  const theta = Array.from({ length: n }, () => 2 * Math.PI * rng.next());
  const out = new Float64Array((9 * n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, p++) {
      const c = Math.cos(theta[i] - theta[j]);
      const s = Math.sin(theta[i] - theta[j]);
      const m = [c, -s, 0, s, c, 0, 0, 0, 1];
      for (let e = 0; e < 9; e++) out[9 * p + e] = m[e] + noise * rng.normal();
    }
  }
  return out;
}

/** A memory for `map` with the kernels on it, one thread. */
async function kernelsFor(map: MemoryMap): Promise<{ k: KernelExports; memory: WebAssembly.Memory }> {
  const pages = Math.ceil(map.totalBytes / WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const k = await instantiateKernels(memory, await kernelModule('simd'));
  return { k, memory };
}

/** Every code of a map's chunks, one byte per triplet in lexicographic order. */
function unpack(memory: WebAssembly.Memory, map: MemoryMap): Uint8Array {
  const out = new Uint8Array((map.n * (map.n - 1) * (map.n - 2)) / 6);
  let dst = 0;
  for (const chunk of partition(map.n)) {
    const packed = new Uint8Array(memory.buffer, map.chunkCodes[chunk.index], map.chunkCodeBytes[chunk.index]);
    for (let i = chunk.i0; i < chunk.i1; i++) dst = unpackRowCodes(packed.subarray(codeBytes(map.n, chunk.i0, i)), map.n, i, out, dst);
  }
  return out;
}

/** The codes' definition: the float64 kernel alone (no filter), from float64 rows. */
async function float64Codes(rijs: Float64Array, n: number): Promise<Uint8Array> {
  const map = planMemory({ n, elementBytes: 8, kernel: kernelLayout(), chunks: partition(n), lanes: 1, codes: 'memory', filter: false });
  const { k, memory } = await kernelsFor(map);
  writeRows(rijs, n, 0, n - 1, new Float64Array(memory.buffer, map.rows, 9 * map.pairs));
  k.rowGramF64(map.rows, n, 0, n - 1, map.gram0, map.gram1);
  for (const chunk of partition(n)) k.classifyF64(map.rows, map.gram0, map.gram1, 0, n, chunk.i0, chunk.i1, map.chunkCodes[chunk.index], map.stash[0]);
  return unpack(memory, map);
}

/**
 * Classification with deferred rechecks, step by step: codes before and after the rechecks, and
 * how many were listed. The rechecks read the pairs they need gathered into a table (as the
 * backend does when they fit), or (`whole`) the estimates read again whole.
 */
async function deferredCodes(rijs: Float64Array, n: number, whole = false): Promise<{ before: Uint8Array; after: Uint8Array; listed: number; gathered: number }> {
  const map = planMemory({ n, elementBytes: 8, kernel: kernelLayout(), chunks: partition(n), lanes: 1, codes: 'memory', filter: true, deferRechecks: true });
  const { k, memory } = await kernelsFor(map);
  new Float64Array(memory.buffer, map.input, rijs.length).set(rijs);
  k.finishFilter(map.filter, k.buildFilterFromPairsF64(map.input, n, 0, n - 1, map.filter));
  let listed = 0;
  for (const chunk of partition(n)) {
    const added = k.classifyRangeDeferred(map.filter, n, chunk.i0, chunk.i1, map.chunkCodes[chunk.index], map.recheckLists[0] + RECHECK_ENTRY_BYTES * listed, map.recheckRoom - listed, map.stash[0]);
    if (added < 0) throw new Error('recheck list overflowed');
    listed += added;
  }
  // Spoil the codes of the listed triplets (c → 3 − c), so that only rechecks that rewrite
  // each of them correctly can give the float64 kernel's codes.
  const entries = new Int32Array(memory.buffer, map.recheckLists[0], (RECHECK_ENTRY_BYTES / 4) * listed); // i, j, k, code byte
  const bytes = new Uint8Array(memory.buffer);
  for (let e = 0; e < listed; e++) bytes[entries[4 * e + 3]] ^= 0x11 << (entries[4 * e + 2] & 3); // both bits of lane k mod 4
  const before = unpack(memory, map);
  if (whole) {
    new Float64Array(memory.buffer, map.reread, rijs.length).set(rijs); // the second read
    k.recheckDeferredF64(map.reread, n, map.recheckLists[0], listed, 0, 0);
    return { before, after: unpack(memory, map), listed, gathered: 0 };
  }
  const at = gatherLayout(map);
  new Float64Array(memory.buffer, map.filter, filterBytes(n) / 8).fill(NaN); // the dead filter copy: nothing of it may be read
  new Uint8Array(memory.buffer, at.bitmap, 8 * at.words).fill(0);
  k.markRecheckPairs(map.recheckLists[0], listed, n, at.bitmap);
  const gathered = k.rankPairs(at.bitmap, at.words, at.counts);
  if (gathered > at.tableRoom) throw new Error(`${gathered} pairs do not fit the table (${at.tableRoom})`);
  for (let p0 = 0; p0 < map.pairs; p0 += at.stagingPairs) {
    const p1 = Math.min(map.pairs, p0 + at.stagingPairs);
    const staging = at.staging[(p0 / at.stagingPairs) % 2];
    new Float64Array(memory.buffer, staging, 9 * (p1 - p0)).set(rijs.subarray(9 * p0, 9 * p1));
    k.gatherPairsF64(staging, p0, p1, at.bitmap, at.counts, at.table);
  }
  k.recheckDeferredF64(at.table, n, map.recheckLists[0], listed, at.bitmap, at.counts);
  return { before, after: unpack(memory, map), listed, gathered };
}

test('the recheck entry layout and the stash size are the kernels’ own', async (t) => {
  const map = planMemory({ n: 10, elementBytes: 8, kernel: kernelLayout(), chunks: partition(10), lanes: 1, codes: 'memory', filter: true, deferRechecks: true });
  const { k } = await kernelsFor(map);
  t.is(k.recheckEntryBytes(), RECHECK_ENTRY_BYTES);
  t.is(k.stashBytes(), STASH_BYTES);
});

test('near-ties: every triplet is listed, and the rechecks rewrite each listed code as the float64 kernel’s', async (t) => {
  const n = 30; // C(30, 3) = 4060 triplets: all of them fit the lists
  const rijs = inPlane(n, 5, 1e-9);
  const expected = await float64Codes(rijs, n);
  // Every pair is needed: more than the gathered table holds (72 bytes a pair against the filter
  // copy's ~40), so the backend reads the estimates again whole, as here.
  const map = planMemory({ n, elementBytes: 8, kernel: kernelLayout(), chunks: partition(n), lanes: 1, codes: 'memory', filter: true, deferRechecks: true });
  t.true(gatherLayout(map).tableRoom < map.pairs);
  const { before, after, listed } = await deferredCodes(rijs, n, true);
  t.is(listed, expected.length);
  t.is(countDifferent(before, expected), listed); // spoilt, every one
  t.is(countDifferent(after, expected), 0);
});

for (const whole of [false, true]) {
  const how = whole ? 'from the estimates read again whole' : 'from the pairs gathered';
  test(`noisy data: a few triplets listed; after the rechecks ${how} the codes are the float64 kernel’s and the reference’s`, async (t) => {
    const n = 120;
    const { rijs } = generateSynthetic({ n, seed: 31, noiseDeg: 5, outliers: 0.2 });
    const { before, after, listed, gathered } = await deferredCodes(rijs as Float64Array, n, whole);
    t.true(listed > 0 && listed < after.length / 100, `${listed} listed`);
    if (!whole) t.true(gathered > 0 && gathered <= 3 * listed, `${gathered} pairs gathered`);
    t.is(countDifferent(before, after), listed);
    t.is(countDifferent(after, await float64Codes(rijs as Float64Array, n)), 0);
    t.is(countDifferent(after, referenceCodes(rijs, n)), 0);
  });
}

for (const threads of [1, 2]) {
  test(`${threads} thread(s): more undecided triplets than the lists hold (exact ties) start the classification again without deferral; same codes`, async (t) => {
    const n = 60; // C(60, 3) = 34 220 ties > the lists' 4096
    t.true(recheckRoom(n) < (n * (n - 1) * (n - 2)) / 6);
    const rijs = inPlane(n, 6, 0);
    const problem = await wasmBackend.prepare(rijs, n, { jWeighting: false, memoryBudget: 2 ** 30, threads, codes: 'auto' });
    try {
      const { map } = problem as unknown as { map: MemoryMap };
      t.is(problem.mode, 'cached');
      t.false(map.deferRechecks);
      const codes = (problem as unknown as { allCodes(): Uint8Array }).allCodes();
      t.is(countDifferent(codes, await float64Codes(rijs, n)), 0);
    } finally {
      problem.dispose();
    }
  });
}

test.serial('pairs beyond the gathered table: the estimates are read again whole, with the same products as gathered', async (t) => {
  const n = 150;
  const { rijs } = generateSynthetic({ n, seed: 33, noiseDeg: 8, outliers: 0.3 });
  const run = async (threads: number) => {
    const problem = await wasmBackend.prepare(rijs as FloatArray, n, { jWeighting: false, memoryBudget: 2 ** 30, threads, codes: 'cached' });
    try {
      t.true((problem as unknown as { map: MemoryMap }).map.deferRechecks);
      t.true((problem as unknown as { filterRechecks: number }).filterRechecks > 0);
      const v = Float64Array.from({ length: problem.pairs }, (_, p) => Math.cos(p + 2));
      const y = new Float64Array(problem.pairs);
      await problem.multiply(v, y);
      return y;
    } finally {
      problem.dispose();
    }
  };
  for (const threads of [1, 2]) {
    const gathered = await run(threads);
    gatherLimit.pairs = 0;
    try {
      t.deepEqual(await run(threads), gathered, `${threads} thread(s)`);
    } finally {
      gatherLimit.pairs = Infinity;
    }
  }
});

test('cached runs defer the rechecks: their products equal those of the classification with float64 rows, bit for bit', async (t) => {
  // Paged codes classify with float64 rows; the same input both ways gives bitwise the same run.
  const n = 150;
  const { rijs } = generateSynthetic({ n, seed: 32, noiseDeg: 8, outliers: 0.3 });
  const run = async (codes: 'cached' | 'paged', threads: number) => {
    const problem = await wasmBackend.prepare(rijs as FloatArray, n, { jWeighting: false, memoryBudget: 2 ** 30, threads, codes });
    try {
      const { map } = problem as unknown as { map: MemoryMap };
      const v = Float64Array.from({ length: problem.pairs }, (_, p) => Math.sin(p + 1));
      const y = new Float64Array(problem.pairs);
      await problem.multiply(v, y);
      return { deferred: map.deferRechecks, y };
    } finally {
      problem.dispose();
    }
  };
  for (const threads of [1, 2]) {
    const cached = await run('cached', threads);
    const paged = await run('paged', threads);
    t.true(cached.deferred);
    t.false(paged.deferred);
    t.deepEqual(cached.y, paged.y);
  }
});
