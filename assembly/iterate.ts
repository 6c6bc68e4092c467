// The power method's passes over its iterates (ts/power.ts), for iterates that live in the
// Wasm memory. Each is the TypeScript loop of power.ts operation for operation, in the same
// order — every sum one scalar chain in index order — so the results are bit for bit the
// same (IEEE float64 arithmetic, which neither side fuses or reassociates). What they save is
// the TypeScript loops' first calls, which run before V8 has optimized them (~10 ms at
// n = 1000); these are compiled, and warmed up, with the other kernels.

/** Writes v·y, y·y and v·v (count float64 each), summed in index order, at out, out + 8, out + 16. */
export function dotAndNorms(v: usize, y: usize, count: i32, out: usize): void {
  let dot: f64 = 0;
  let yy: f64 = 0;
  let vv: f64 = 0;
  const end = <usize>count * 8;
  for (let p: usize = 0; p < end; p += 8) {
    const a = load<f64>(v + p);
    const b = load<f64>(y + p);
    dot += a * b;
    yy += b * b;
    vv += a * a;
  }
  store<f64>(out, dot);
  store<f64>(out, yy, 8);
  store<f64>(out, vv, 16);
}

/** y = (y + shift·v)·scale (count float64); returns ‖y − v‖² (after scaling), summed in index order. */
export function shiftScaleAndDiff(y: usize, shift: f64, scale: f64, v: usize, count: i32): f64 {
  let diff2: f64 = 0;
  const end = <usize>count * 8;
  for (let p: usize = 0; p < end; p += 8) {
    const a = load<f64>(v + p);
    const next = (load<f64>(y + p) + shift * a) * scale;
    const d = next - a;
    diff2 += d * d;
    store<f64>(y + p, next);
  }
  return diff2;
}

/** Writes sign(v)·sign(v[0]) as int8 (count entries, a zero counts as +1) at out. */
export function signsOf(v: usize, count: i32, out: usize): void {
  const flip: i32 = load<f64>(v) < 0 ? -1 : 1;
  for (let p = 0; p < count; p++) store<i8>(out + <usize>p, <i8>((load<f64>(v + (<usize>p << 3)) < 0 ? -1 : 1) * flip));
}
