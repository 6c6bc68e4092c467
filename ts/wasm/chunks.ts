/**
 * The fixed partition of the work into chunks of rows i (design §3.5).
 *
 * Each chunk covers rows i0 ≤ i < i1 with about the same number of triplets; it is classified
 * and multiplied as a unit, into its own partial output, and the partial outputs are summed
 * in chunk order. The partition depends on n only — never on the number of threads — so the
 * floating-point operations, and therefore the products and signs, are bitwise the same
 * whatever the thread count. Boundaries are multiples of ROW_BLOCK rows, the granularity in
 * which ChunkRunner cuts chunks into kernel calls (ts/wasm/runner.ts; how a chunk is cut does
 * not change the results either, see I_BLOCK in assembly/layout.ts).
 */
export const ROW_BLOCK = 8;

/**
 * Chunks for large n: divides evenly among 1, 2, 3 and 6 threads. Each chunk's partial output
 * costs ~0.6·P·8 bytes (written, zeroed and summed every product), so no more than needed.
 */
export const MAX_CHUNKS = 6;

export interface Chunk {
  index: number;
  i0: number;
  i1: number;
  triplets: number;
}

/** Triplets (i, j, k) with i fixed: C(n − 1 − i, 2). */
export function tripletsOfRow(n: number, i: number): number {
  const m = n - 1 - i;
  return (m * (m - 1)) / 2;
}

export function partition(n: number): Chunk[] {
  const rows = n - 2; // the rows i that have triplets (n ≥ 3)
  const blockWork = (i0: number, i1: number) => {
    let work = 0;
    for (let i = i0; i < i1; i++) work += tripletsOfRow(n, i);
    return work;
  };
  const count = Math.min(MAX_CHUNKS, Math.ceil(rows / ROW_BLOCK));
  const total = blockWork(0, rows);
  const chunks: Chunk[] = [];
  let i0 = 0;
  let done = 0;
  for (let c = 0; c < count; c++) {
    const last = c === count - 1;
    const target = (total - done) / (count - c);
    let i1 = i0;
    let triplets = 0;
    // Whole blocks until this chunk reaches its share of the remaining work (the last one
    // takes the rest); every chunk gets at least one block, so none is empty.
    while (i1 < rows && (last || triplets < target)) {
      const end = Math.min(rows, i1 + ROW_BLOCK);
      const work = blockWork(i1, end);
      // Stop before a block that would overshoot the share by more than it now falls short.
      if (!last && triplets > 0 && triplets + work - target > target - triplets) break;
      triplets += work;
      i1 = end;
    }
    chunks.push({ index: c, i0, i1, triplets });
    done += triplets;
    i0 = i1;
  }
  return chunks;
}
