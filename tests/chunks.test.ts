/** The fixed partition of the work (ts/wasm/chunks.ts) that makes results thread-independent. */
import test from 'ava';
import { tripletCount } from '../ts/pairs.js';
import { MAX_CHUNKS, partition, ROW_BLOCK } from '../ts/wasm/chunks.js';

test('chunks cover every row with triplets once, start on row blocks, and sum to C(n, 3)', (t) => {
  for (const n of [3, 4, 9, 10, 11, 20, 57, 100, 333, 1000, 2050, 5000]) {
    const chunks = partition(n);
    t.true(chunks.length >= 1 && chunks.length <= MAX_CHUNKS, `n=${n}`);
    t.is(chunks[0].i0, 0);
    t.is(chunks.at(-1)!.i1, n - 2);
    chunks.forEach((chunk, c) => {
      t.is(chunk.index, c);
      t.true(chunk.i1 > chunk.i0, `n=${n}: chunk ${c} is empty`);
      t.is(chunk.i0 % ROW_BLOCK, 0, `n=${n}: chunk ${c} starts inside a row block`);
      if (c > 0) t.is(chunk.i0, chunks[c - 1].i1);
    });
    t.is(chunks.reduce((sum, chunk) => sum + chunk.triplets, 0), tripletCount(n));
  }
});

test('large problems split into equal shares (within 10%)', (t) => {
  for (const n of [1000, 2050, 5000]) {
    const chunks = partition(n);
    t.is(chunks.length, MAX_CHUNKS);
    const share = tripletCount(n) / chunks.length;
    for (const chunk of chunks) t.true(Math.abs(chunk.triplets - share) / share < 0.1, `n=${n}: ${chunk.triplets} vs ${share}`);
  }
});
