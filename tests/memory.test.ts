/**
 * Memory does not grow across power iterations nor across many runs in one process (the
 * original code leaked host memory every iteration). Needs node --expose-gc (ava's
 * nodeArguments set it).
 */
import test from 'ava';
import { jsync } from '../ts/jsync.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { BACKENDS } from './support/backends.js';
import { partition } from '../ts/wasm/chunks.js';
import { codeBytes, filterBytes, gatherLayout, planMemory, RECHECK_ENTRY_BYTES, STASH_BYTES, SUMS, WORK_VECTORS } from '../ts/wasm/memory-map.js';

function collect(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run the tests with node --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

/** Bytes held outside the JS heap (Wasm memories, typed arrays) plus the JS heap. */
function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

for (const { name: backend } of BACKENDS) {
  test.serial(`${backend}: memory does not grow across iterations`, async (t) => {
    const data = generateSynthetic({ n: backend === 'wasm' ? 120 : 60, seed: 2, noiseDeg: 10, outliers: 0.4 });
    const samples: number[] = [];
    await jsync(data.rijs, {
      backend,
      epsilon: Number.MIN_VALUE, // never reached: run all maxIters
      maxIters: 60,
      onProgress: ({ iteration }) => {
        if (iteration % 10 === 0) {
          collect();
          samples.push(heldBytes());
        }
      },
    });
    t.is(samples.length, 6);
    // The least of the last three samples against the least of the first three: a sample now
    // and then holds ~0.2 MiB more for a moment (the engine's own, gone by the next sample),
    // while a leak of one vector per iteration would add 30 × P × 8 bytes between them: ≥ 1.7 MB
    // (Wasm, n = 120), ≥ 0.4 MB (reference, n = 60).
    const growth = Math.min(...samples.slice(3)) - Math.min(...samples.slice(0, 3));
    t.log(`held bytes at iterations 10…60: ${samples.map((b) => (b / 2 ** 20).toFixed(2)).join(', ')} MiB`);
    t.true(growth < 256 * 1024, `grew ${growth} bytes from iterations 10–30 to 40–60`);
  });

  test.serial(`${backend}: memory does not grow across 200 runs`, async (t) => {
    const data = generateSynthetic({ n: backend === 'wasm' ? 60 : 20, seed: 3, noiseDeg: 5, outliers: 0.2 });
    const runs = 200;
    let baseline = 0;
    let rssBaseline = 0;
    for (let run = 1; run <= runs; run++) {
      await jsync(data.rijs, { backend, epsilon: 1e-4 });
      if (run === 20) {
        collect();
        baseline = heldBytes();
        rssBaseline = process.memoryUsage().rss;
      }
    }
    collect();
    const growth = heldBytes() - baseline;
    const rssGrowth = process.memoryUsage().rss - rssBaseline;
    t.log(`after ${runs} runs: held bytes grew ${(growth / 1024).toFixed(1)} KiB, RSS grew ${(rssGrowth / 2 ** 20).toFixed(2)} MiB`);
    // One leaked Wasm memory per run would be ≥ 64 KiB × 180 runs ≈ 11 MiB.
    t.true(growth < 1024 * 1024, `held bytes grew ${growth}`);
    t.true(rssGrowth < 32 * 1024 * 1024, `RSS grew ${rssGrowth}`);
  });
}

test('estimates read into the Wasm memory never make it larger, and sit after the estimates’ own regions', (t) => {
  const kernel = { heapBase: 1024, signTableBytes: 16384 };
  for (const n of [3, 50, 500, 1000, 3000]) {
    for (const elementBytes of [8, 4]) {
      for (const codes of ['memory', 'paged', 'none'] as const) {
        for (const filter of [true, false]) {
          const request = { n, elementBytes, kernel, chunks: partition(n), lanes: 2, codes, filter };
          const plain = planMemory(request);
          const withInput = planMemory({ ...request, input: true });
          const what = `n=${n}, ${elementBytes} B, ${codes}, filter ${filter}`;
          t.is(withInput.totalBytes, plain.totalBytes, what);
          if (withInput.input === 0) continue;
          const estimatesEnd = (filter ? withInput.filter + filterBytes(n) : withInput.gram1 + 8 * withInput.pairs);
          t.true(withInput.input >= estimatesEnd, what);
          t.true(withInput.input + 9 * withInput.pairs * elementBytes <= withInput.totalBytes, what);
        }
      }
    }
  }
  // Where it matters: the codes have room for them at n = 1000 in float64.
  const big = planMemory({ n: 1000, elementBytes: 8, kernel, chunks: partition(1000), lanes: 2, codes: 'memory', filter: true, input: true });
  t.not(big.input, 0);
});

test('the power method’s work vectors lie in the dead estimates’ pages, clear of v, the partial outputs and everything after', (t) => {
  const kernel = { heapBase: 1024, signTableBytes: 16384 };
  let placed = 0;
  for (const n of [3, 10, 50, 500, 1000, 3000]) {
    for (const elementBytes of [8, 4]) {
      for (const codes of ['memory', 'paged', 'none'] as const) {
        for (const filter of [true, false]) {
          const map = planMemory({ n, elementBytes, kernel, chunks: partition(n), lanes: 2, codes, filter });
          const what = `n=${n}, ${elementBytes} B, ${codes}, filter ${filter}`;
          if (!map.work) continue;
          placed++;
          t.true(map.reuseEstimates, what); // only over estimates that nothing reads any more
          const estimatesEnd = filter ? map.filter + filterBytes(n) : map.gram1 + 8 * map.pairs;
          const regions: Array<[number, number]> = [
            [map.v, 8 * map.pairs],
            ...map.partials.map((at, c): [number, number] => [at, 8 * (map.pairs - map.partialBase[c])]),
          ];
          t.is(map.work.length, WORK_VECTORS, what);
          t.true(map.work[0] >= map.rows && map.work.at(-1)! + 8 * map.pairs <= estimatesEnd, what);
          for (const [at, bytes] of regions) {
            for (const w of map.work) t.true(w + 8 * map.pairs <= at || at + bytes <= w, `${what}: work vector at ${w} overlaps ${at}`);
          }
          for (let w = 1; w < map.work.length; w++) t.true(map.work[w - 1] + 8 * map.pairs <= map.work[w], what);
        }
      }
    }
  }
  // Where it matters: n = 1000 with codes kept has room for them.
  const big = planMemory({ n: 1000, elementBytes: 8, kernel, chunks: partition(1000), lanes: 2, codes: 'memory', filter: true });
  t.not(big.work, null);
  t.true(placed > 10, `${placed} plans placed work vectors`);
});

test('deferred rechecks: the gathered estimates (or the second read), v, the partial outputs and the iterates share the filter copy’s region; the first read shares the codes’ pages', (t) => {
  const kernel = { heapBase: 1024, signTableBytes: 16384 };
  for (const n of [3, 10, 50, 500, 1000, 3000]) {
    for (const elementBytes of [8, 4]) {
      for (const lanes of [1, 2, 3]) {
        const request = { n, elementBytes, kernel, chunks: partition(n), lanes, codes: 'memory' as const, filter: true };
        const map = planMemory({ ...request, deferRechecks: true });
        const what = `n=${n}, ${elementBytes} B, ${lanes} lane(s)`;
        const estimateBytes = 9 * map.pairs * elementBytes;
        t.true(map.deferRechecks, what);
        t.is(map.rows + map.gram0 + map.gram1, 0, what);
        t.is(map.reread, map.filter, what);
        // The region: the filter copy, then the second read, then the vectors; all before the first read.
        t.true(map.filter + filterBytes(n) <= map.input && map.reread + estimateBytes <= map.input, what);
        const vectors: Array<[number, number]> = [
          [map.v, 8 * map.pairs],
          ...map.partials.map((at, c): [number, number] => [at, 8 * (map.pairs - map.partialBase[c])]),
          ...(map.work ?? []).map((at): [number, number] => [at, 8 * map.pairs]),
        ];
        for (const [at, bytes] of vectors) {
          t.true(at >= map.filter && at + bytes <= map.input, `${what}: vector at ${at}`);
          for (const [other, otherBytes] of vectors) if (other !== at) t.true(at + bytes <= other || other + otherBytes <= at, `${what}: ${at} overlaps ${other}`);
        }
        // Gathered rechecks: bitmap, counts, staging areas and table inside the filter copy's own
        // pages, apart (the staging areas only where the table has room: tiny n has none, and
        // reads the estimates whole); the table holds a good share of the pairs.
        const at = gatherLayout(map);
        const gatherParts: Array<[number, number]> = [
          [at.bitmap, 8 * at.words],
          [at.counts, 4 * at.words],
          ...(at.tableRoom > 0
            ? [[at.staging[0], 9 * at.stagingPairs * elementBytes], [at.staging[1], 9 * at.stagingPairs * elementBytes], [at.table, 9 * at.tableRoom * elementBytes]] as Array<[number, number]>
            : []),
        ];
        if (n >= 50) t.true(at.tableRoom > 0, what);
        t.is(at.words, Math.ceil(map.pairs / 64), what);
        t.true(at.stagingPairs >= 1 && at.stagingPairs <= map.pairs, what);
        for (const [start, bytes] of gatherParts) {
          t.true(start >= map.filter && start + bytes <= map.filter + filterBytes(n), `${what}: gather part at ${start}`);
          for (const [other, otherBytes] of gatherParts) if (other !== start) t.true(start + bytes <= other || other + otherBytes <= start, `${what}: ${start} overlaps ${other}`);
        }
        if (n >= 500) t.true(at.tableRoom >= map.pairs / 4, `${what}: table room ${at.tableRoom}`);
        // The first read: from `input`, over the scratch areas, recheck lists and codes (dead or not yet written by then).
        t.true(map.input + estimateBytes <= map.totalBytes, what);
        t.is(map.recheckLists.length, lanes, what);
        const listsEnd = Math.max(...map.recheckLists) + map.recheckRoom * RECHECK_ENTRY_BYTES;
        t.true(Math.min(...map.recheckLists) >= map.input && listsEnd <= map.chunkCodes[0], what);
        const codesEnd = map.chunkCodes.at(-1)! + codeBytes(n, partition(n).at(-1)!.i0, n);
        t.true(codesEnd <= map.totalBytes, what);
        // It is the point: no float64 rows nor Gram arrays (44·n² bytes in float64, 26·n² in
        // float32), while the second read needs up to 14·n² more than the filter copy and the
        // recheck lists n³/768.
        if (n >= 1000) t.true(planMemory(request).totalBytes - map.totalBytes >= 18 * n * n, what);
      }
    }
  }
  // Not deferred without a filter copy or without codes in memory.
  for (const [codes, filter] of [['memory', false], ['paged', true], ['none', true]] as const) {
    t.false(planMemory({ n: 100, elementBytes: 8, kernel, chunks: partition(100), lanes: 2, codes, filter, deferRechecks: true }).deferRechecks);
  }
});

test('each lane’s stash is its own: on cache lines of its own, clear of every region a classification or a product uses', (t) => {
  const kernel = { heapBase: 1024, signTableBytes: 16384 };
  let plans = 0;
  for (const n of [3, 10, 50, 500, 1000]) {
    for (const elementBytes of [8, 4]) {
      for (const lanes of [1, 2, 3]) {
        for (const [codes, filter, deferRechecks] of [['memory', true, true], ['memory', true, false], ['memory', false, false], ['paged', true, false], ['none', true, false], ['none', false, false]] as const) {
          const map = planMemory({ n, elementBytes, kernel, chunks: partition(n), lanes, codes, filter, deferRechecks, input: true });
          const what = `n=${n}, ${elementBytes} B, ${lanes} lane(s), ${codes}, filter ${filter}, deferred ${map.deferRechecks}`;
          plans++;
          t.is(map.stash.length, lanes, what);
          // Everything but the estimates as read (`input`), which are dead once the rows or the
          // filter copy are built, before any classification.
          const regions: Array<[string, number, number]> = [
            ['sign table', map.signTable, kernel.signTableBytes],
            ['counter', map.counter, 4],
            ...(map.deferRechecks ? [] : [['rows', map.rows, 9 * map.pairs * elementBytes], ['gram0', map.gram0, 8 * map.pairs], ['gram1', map.gram1, 8 * map.pairs]] as Array<[string, number, number]>),
            ...(map.filter ? [['filter', map.filter, filterBytes(n)]] as Array<[string, number, number]> : []),
            ['v', map.v, 8 * map.pairs],
            ...map.partials.map((at, c): [string, number, number] => [`partial ${c}`, at, 8 * (map.pairs - map.partialBase[c])]),
            ...(map.work ?? []).map((at, w): [string, number, number] => [`work ${w}`, at, 8 * map.pairs]),
            ...map.scratch.map((at, l): [string, number, number] => [`scratch ${l}`, at, Math.ceil(n / 4) + 16]),
            ['anchor codes', map.anchorCodes, codeBytes(n, 0, 1)],
            ['start scratch', map.startScratch, 3 * 8 * (n - 1)],
            ['sums', map.sums, 8 * SUMS],
            ...map.recheckLists.map((at, l): [string, number, number] => [`list ${l}`, at, map.recheckRoom * RECHECK_ENTRY_BYTES]),
            ...map.chunkCodes.map((at, c): [string, number, number] => [`codes ${c}`, at, map.chunkCodeBytes[c]]).filter(([, at]) => at >= 0),
            ...map.windows.map((at, l): [string, number, number] => [`window ${l}`, at, map.windowBytes]),
          ];
          map.stash.forEach((at, lane) => {
            t.is(at % 64, 0, `${what}: stash ${lane} at ${at}`);
            t.true(at + STASH_BYTES <= map.totalBytes, what);
            for (const [name, start, bytes] of regions) t.true(at + STASH_BYTES <= start || start + bytes <= at, `${what}: stash ${lane} overlaps ${name}`);
            // Lanes store to their stashes all the time: never on one cache line.
            for (const other of map.stash) if (other !== at) t.true(Math.abs(other - at) >= STASH_BYTES, what);
          });
        }
      }
    }
  }
  t.true(plans >= 150, `${plans} plans`);
});
