/** The fixed partition of the work (ts/wasm/chunks.ts) that makes results thread-independent. */
import test from 'ava';
import { tripletCount } from '../ts/pairs.js';
import { MAX_CHUNKS, partition, ROW_BLOCK } from '../ts/wasm/chunks.js';
import { rowRanges } from '../ts/wasm/runner.js';

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

test('preparation ranges cover rows 0 … n − 2 once, in order, with about equal pairs', (t) => {
  for (const n of [3, 4, 10, 57, 1000, 5000]) {
    for (const parts of [1, 2, 16]) {
      const ranges = rowRanges(n, parts);
      t.true(ranges.length >= 1 && ranges.length <= parts, `n=${n}, parts=${parts}`);
      t.is(ranges[0][0], 0);
      t.is(ranges.at(-1)![1], n - 1);
      ranges.forEach(([i0, i1], r) => {
        t.true(i1 > i0, `n=${n}: range ${r} is empty`);
        if (r > 0) t.is(i0, ranges[r - 1][1]);
      });
      if (n >= 1000) {
        // Each range's pairs within one row's worth of the equal share.
        const share = (n * (n - 1)) / 2 / parts;
        for (const [i0, i1] of ranges) {
          let pairs = 0;
          for (let i = i0; i < i1; i++) pairs += n - 1 - i;
          t.true(Math.abs(pairs - share) <= n, `n=${n}, parts=${parts}: ${pairs} pairs vs ${share}`);
        }
      }
    }
  }
});
