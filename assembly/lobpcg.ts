// LOBPCG's passes over its vectors (ts/lobpcg.ts LobpcgPasses), for vectors that live in the
// Wasm memory. Each is the TypeScript loop of lobpcg.ts operation for operation, in the same
// order — every sum one scalar chain in index order — so the results are bit for bit the
// same (IEEE float64 arithmetic, which neither side fuses or reassociates). Like the power
// method's passes (iterate.ts), they are compiled and warmed up with the other kernels, where
// the TypeScript loops would run their first calls unoptimized.

/** a = ‖ax‖, then w = ax/a − x (count float64); writes a, ‖w‖² and x·ax at out, out + 8, out + 16. */
export function lobpcgFirstDirection(x: usize, ax: usize, w: usize, count: i32, out: usize): void {
  const end = <usize>count * 8;
  let aa: f64 = 0;
  let xax: f64 = 0;
  for (let i: usize = 0; i < end; i += 8) {
    const axi = load<f64>(ax + i);
    aa += axi * axi;
    xax += load<f64>(x + i) * axi;
  }
  const a = Math.sqrt(aa);
  const ia = 1 / a;
  let r2: f64 = 0;
  for (let i: usize = 0; i < end; i += 8) {
    const d = load<f64>(ax + i) * ia - load<f64>(x + i);
    store<f64>(w + i, d);
    r2 += d * d;
  }
  store<f64>(out, a);
  store<f64>(out, r2, 8);
  store<f64>(out, xax, 16);
}

/** The Gram sums of lobpcg.ts gram(), in its order, at out (9 float64 without p, 18 with). */
export function lobpcgGram(x: usize, w: usize, p: usize, q: usize, aw: usize, a: f64, withP: bool, count: i32, out: usize): void {
  const end = <usize>count * 8;
  if (!withP) {
    let xx: f64 = 0, xw: f64 = 0, ww: f64 = 0, xax: f64 = 0, xaw: f64 = 0, waw: f64 = 0, axax: f64 = 0, axaw: f64 = 0, awaw: f64 = 0;
    for (let i: usize = 0; i < end; i += 8) {
      const xi = load<f64>(x + i);
      const wi = load<f64>(w + i);
      const awi = load<f64>(aw + i);
      const axi = a * (xi + wi);
      xx += xi * xi;
      xw += xi * wi;
      ww += wi * wi;
      xax += xi * axi;
      xaw += xi * awi;
      waw += wi * awi;
      axax += axi * axi;
      axaw += axi * awi;
      awaw += awi * awi;
    }
    store<f64>(out, xx);
    store<f64>(out, xw, 8);
    store<f64>(out, ww, 16);
    store<f64>(out, xax, 24);
    store<f64>(out, xaw, 32);
    store<f64>(out, waw, 40);
    store<f64>(out, axax, 48);
    store<f64>(out, axaw, 56);
    store<f64>(out, awaw, 64);
    return;
  }
  let xx: f64 = 0, xw: f64 = 0, xp: f64 = 0, ww: f64 = 0, wp: f64 = 0, pp: f64 = 0;
  let xax: f64 = 0, xaw: f64 = 0, xq: f64 = 0, waw: f64 = 0, wq: f64 = 0, pq: f64 = 0;
  let axax: f64 = 0, axaw: f64 = 0, axq: f64 = 0, awaw: f64 = 0, awq: f64 = 0, qq: f64 = 0;
  for (let i: usize = 0; i < end; i += 8) {
    const xi = load<f64>(x + i);
    const wi = load<f64>(w + i);
    const pi = load<f64>(p + i);
    const qi = load<f64>(q + i);
    const awi = load<f64>(aw + i);
    const axi = a * (xi + wi);
    xx += xi * xi;
    xw += xi * wi;
    xp += xi * pi;
    ww += wi * wi;
    wp += wi * pi;
    pp += pi * pi;
    xax += xi * axi;
    xaw += xi * awi;
    xq += xi * qi;
    waw += wi * awi;
    wq += wi * qi;
    pq += pi * qi;
    axax += axi * axi;
    axaw += axi * awi;
    axq += axi * qi;
    awaw += awi * awi;
    awq += awi * qi;
    qq += qi * qi;
  }
  store<f64>(out, xx);
  store<f64>(out, xw, 8);
  store<f64>(out, xp, 16);
  store<f64>(out, ww, 24);
  store<f64>(out, wp, 32);
  store<f64>(out, pp, 40);
  store<f64>(out, xax, 48);
  store<f64>(out, xaw, 56);
  store<f64>(out, xq, 64);
  store<f64>(out, waw, 72);
  store<f64>(out, wq, 80);
  store<f64>(out, pq, 88);
  store<f64>(out, axax, 96);
  store<f64>(out, axaw, 104);
  store<f64>(out, axq, 112);
  store<f64>(out, awaw, 120);
  store<f64>(out, awq, 128);
  store<f64>(out, qq, 136);
}

/** lobpcg.ts update(): the step's new x, p, q and w in place; returns ‖w‖². */
export function lobpcgUpdate(
  x: usize, w: usize, p: usize, q: usize, aw: usize, a: f64, cx: f64, cw: f64, cp: f64, sp: f64, ia: f64, withP: bool, count: i32,
): f64 {
  const end = <usize>count * 8;
  let r2: f64 = 0;
  if (withP) {
    for (let i: usize = 0; i < end; i += 8) {
      const xi = load<f64>(x + i);
      const wi = load<f64>(w + i);
      const axi = a * (xi + wi);
      const pNext = cw * wi + cp * load<f64>(p + i);
      const qNext = cw * load<f64>(aw + i) + cp * load<f64>(q + i);
      const xNext = cx * xi + pNext;
      const axNext = cx * axi + qNext;
      store<f64>(x + i, xNext);
      store<f64>(p + i, sp * pNext);
      store<f64>(q + i, sp * qNext);
      const d = axNext * ia - xNext;
      store<f64>(w + i, d);
      r2 += d * d;
    }
  } else {
    for (let i: usize = 0; i < end; i += 8) {
      const xi = load<f64>(x + i);
      const wi = load<f64>(w + i);
      const axi = a * (xi + wi);
      const pNext = cw * wi;
      const qNext = cw * load<f64>(aw + i);
      const xNext = cx * xi + pNext;
      const axNext = cx * axi + qNext;
      store<f64>(x + i, xNext);
      store<f64>(p + i, sp * pNext);
      store<f64>(q + i, sp * qNext);
      const d = axNext * ia - xNext;
      store<f64>(w + i, d);
      r2 += d * d;
    }
  }
  return r2;
}
