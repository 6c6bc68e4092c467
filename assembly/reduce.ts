// Sums of float64 vectors, for gathering the partial outputs of the chunks (ts/wasm/chunks.ts)
// in a fixed order.

/** dst[p] += src[p] for p < count. */
export function addInto(dst: usize, src: usize, count: i32): void {
  const end = <usize>count * 8;
  let p: usize = 0;
  for (; p + 32 <= end; p += 32) {
    v128.store(dst + p, f64x2.add(v128.load(dst + p), v128.load(src + p)));
    v128.store(dst + p + 16, f64x2.add(v128.load(dst + p + 16), v128.load(src + p + 16)));
  }
  for (; p < end; p += 8) store<f64>(dst + p, load<f64>(dst + p) + load<f64>(src + p));
}
