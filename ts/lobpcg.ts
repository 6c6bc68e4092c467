/**
 * The power method with locally optimal steps (LOBPCG with one vector and no preconditioner;
 * Knyazev 2001), written once for every backend. It costs one product with S per step, like
 * a power step, and stops by the power method's own rule (design §1), but each step takes the
 * best vector of a three-dimensional space instead of the next power iterate:
 *
 *   x: the iterate (unit norm); a = ‖S·x‖; w = S·x/a − x, the power step's change, so that
 *   the residual of design §1 is ‖w‖ and S·x = a·(x + w); p: the previous step (unit norm),
 *   with q = S·p.
 *   Each step: one product, S·w; then the Rayleigh–Ritz vector of largest Ritz value in
 *   span{x, w, p} (ritz.ts; S·x, S·w and S·p are all known, so its image needs no product):
 *   x′ = cx·x + cw·w + cp·p, S·x′ = cx·a·(x + w) + cw·S·w + cp·q, p′ ∝ cw·w + cp·p,
 *   w′ = S·x′/‖S·x′‖ − x′.
 *   Stop when ‖w‖ < epsilon; the result is then x + w = S·x/‖S·x‖, the power step from the
 *   last iterate, as the power method returns.
 *
 * span{x, w} holds every power iterate's direction that one product can reach, and p carries
 * the previous step: the error shrinks per product like a Chebyshev polynomial's (about
 * (1 − √δ)/(1 + √δ) for a relative gap δ) instead of λ₂/λ₁. Measured at n = 1000, epsilon 1e-2:
 * 4 products instead of 5 (20% outliers), 4 instead of 7 (40% outliers); epsilon 1e-4: 6
 * instead of 11. The fixed point is the same leading eigenvector, and the Ritz step maximizes
 * the Rayleigh quotient, so it heads for the largest eigenvalue from the first step, where
 * a power iterate can first settle near the second eigenspace (design §5).
 *
 * The vector passes (LobpcgPasses) are a backend's to provide (the Wasm backend has them as
 * kernels, bitwise these TypeScript loops); the small problem is solved here.
 */
import type { JsyncProblem } from './backend.js';
import { JsyncInputError, throwIfAborted } from './errors.js';
import type { PowerOptions, PowerResult } from './power.js';
import { cholesky, largestRitz, quadratic, type Small } from './ritz.js';

/** The passes over the vectors that each step makes besides its product. */
export interface LobpcgPasses {
  /** a = ‖ax‖, then w = ax/a − x; returns [a, ‖w‖², x·ax]. Sums in index order. */
  firstDirection(x: Float64Array, ax: Float64Array, w: Float64Array): [number, number, number];
  /**
   * Writes into `out` the sums (in index order) that the small problem needs, with
   * ax = a·(x + w) entry by entry. withP: Gram G of [x, w, p]: xx, xw, xp, ww, wp, pp; then
   * H = Bᵀ·S·B: x·ax, x·aw, x·q, w·aw, w·q, p·q; then K = (S·B)ᵀ(S·B): ax·ax, ax·aw, ax·q,
   * aw·aw, aw·q, q·q. Without p: xx, xw, ww, x·ax, x·aw, w·aw, ax·ax, ax·aw, aw·aw.
   */
  gram(x: Float64Array, w: Float64Array, p: Float64Array, q: Float64Array, aw: Float64Array, a: number, withP: boolean, out: Float64Array): void;
  /**
   * Entry by entry, with ax = a·(x + w): p′ = cw·w + cp·p, q′ = cw·aw + cp·q (cp and the old
   * p, q unread without p), x ← cx·x + p′, ax′ = cx·ax + q′, p ← sp·p′, q ← sp·q′,
   * w ← ax′·ia − x. Returns ‖w‖², summed in index order.
   */
  update(x: Float64Array, w: Float64Array, p: Float64Array, q: Float64Array, aw: Float64Array, a: number, cx: number, cw: number, cp: number, sp: number, ia: number, withP: boolean): number;
  /** x ← x + w. */
  powerStep(x: Float64Array, w: Float64Array): void;
}

/**
 * Spare vectors of `pairs` float64 for the iteration (their entries are overwritten):
 * `p` and `q` hold the previous step and its image, `w` and `aw` are the product's input and
 * output (a backend may hand out the arrays its product reads from and writes to, which then
 * copies nothing).
 */
export interface LobpcgVectors {
  p?: Float64Array;
  q?: Float64Array;
  w?: Float64Array;
  aw?: Float64Array;
}

/**
 * Below this pivot² (relative to its diagonal entry) the Gram matrix of [x, w, p] counts as
 * singular: p then lies within ~1e-5 rad of span{x, w} and adds nothing but rounding, so the
 * step drops it.
 */
const MIN_PIVOT2_P = 1e-10;
/** The same for [x, w]: w within ~1e-7 rad of x (a residual near rounding): a power step instead. */
const MIN_PIVOT2_W = 1e-14;

/**
 * Iterates from `start` (unit norm), which becomes the first iterate: its entries are
 * overwritten and the result's vector is `start` itself. Same options and result as
 * powerMethod (the spectrum floor is unused: Ritz steps do not depend on a shift).
 */
export async function lobpcg(problem: JsyncProblem, start: Float64Array, vectors: LobpcgVectors, options: PowerOptions): Promise<PowerResult> {
  const passes = problem.lobpcgPasses?.() ?? typescriptLobpcgPasses;
  const pairs = start.length;
  const fresh = () => new Float64Array(pairs);
  const x = start;
  const p = vectors.p ?? fresh();
  const q = vectors.q ?? fresh();
  const w = vectors.w ?? fresh();
  const aw = vectors.aw ?? fresh();
  const sums = new Float64Array(18);
  const residuals: number[] = [];
  let eigenvalue = NaN;
  let converged = false;
  let withP = false;
  let a = 0;

  const degenerate = (what: number, iteration: number) =>
    new JsyncInputError(`the J-synchronization matrix maps the iterate to ${what === 0 ? 'zero' : 'NaN'} at iteration ${iteration}: the start vector or the estimates are degenerate`);

  for (let iteration = 1; iteration <= options.maxIters; iteration++) {
    throwIfAborted(options.signal);
    let r2: number;
    if (iteration === 1) {
      await problem.multiply(x, aw);
      [a, r2, eigenvalue] = passes.firstDirection(x, aw, w);
      if (!(a > 0)) throw degenerate(a, iteration);
    } else {
      await problem.multiply(w, aw);
      passes.gram(x, w, p, q, aw, a, withP, sums);
      const step = ritzStep(sums, withP);
      const a2 = step.a2;
      if (!(a2 > 0)) throw degenerate(a2, iteration);
      const next = Math.sqrt(a2);
      r2 = passes.update(x, w, p, q, aw, a, step.cx, step.cw, step.cp, step.sp, 1 / next, step.withP);
      a = next;
      eigenvalue = step.mu;
      withP = step.sp > 0;
    }
    const residual = Math.sqrt(r2);
    residuals.push(residual);
    options.onProgress?.({ iteration, residual, maxIters: options.maxIters });
    if (residual < options.epsilon) {
      converged = true;
      break;
    }
  }
  // The power step from the last iterate (S·x/‖S·x‖), as powerMethod returns.
  passes.powerStep(x, w);
  return { vector: x, iterations: residuals.length, residuals, eigenvalue, converged };
}

interface RitzStep {
  /** Coefficients of x′ = cx·x + cw·w + cp·p (unit norm). */
  cx: number;
  cw: number;
  cp: number;
  /** 1/‖cw·w + cp·p‖, or 0: no p for the next step. */
  sp: number;
  /** Whether the step used p (false when it had none or dropped it: cp = 0, p and q unread). */
  withP: boolean;
  /** Ritz value x′ᵀ·S·x′, and ‖S·x′‖². */
  mu: number;
  a2: number;
}

/** Unpacks LobpcgPasses.gram's sums into G, H and K (m × m) over [x, w] or [x, w, p]. */
function smallMatrices(sums: Float64Array, withP: boolean): { g: Small; h: Small; k: Small } {
  const m = withP ? 3 : 2;
  const per = (m * (m + 1)) / 2;
  const unpack = (offset: number): Small => {
    const out: Small = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    let at = offset;
    for (let i = 0; i < m; i++) for (let j = i; j < m; j++) out[i][j] = out[j][i] = sums[at++];
    return out;
  };
  return { g: unpack(0), h: unpack(per), k: unpack(2 * per) };
}

/** The step's coefficients from the sums of LobpcgPasses.gram (see the top of this file). */
export function ritzStep(sums: Float64Array, withP: boolean): RitzStep {
  let { g, h, k } = smallMatrices(sums, withP);
  let m = g.length;
  // The basis scaled to unit norms (w shrinks with the residual): ĝ = D⁻¹·G·D⁻¹, and so on.
  let d = g.map((row, i) => Math.sqrt(row[i]));
  const scale = (s: Small) => s.map((row, i) => row.map((v, j) => v / (d[i] * d[j])));
  let l = withP ? cholesky(scale(g), MIN_PIVOT2_P) : null;
  if (!l) {
    if (withP) {
      // p nearly within span{x, w}: this step without it.
      ({ g, h, k } = smallMatrices(reduceSums(sums), false));
      m = 2;
      d = d.slice(0, 2);
    }
    l = cholesky(scale(g), MIN_PIVOT2_W);
  }
  let c: number[];
  if (l) {
    c = largestRitz(scale(h), l).map((ci, i) => ci / d[i]);
  } else {
    // w at rounding level against x: the power step x + w = S·x/‖S·x‖.
    c = [1, 1];
  }
  const norm = Math.sqrt(quadratic(g, c));
  c = c.map((ci) => ci / norm);
  if (c[0] < 0) c = c.map((ci) => -ci); // keep x′ on x's side
  const cp = m === 3 ? c[2] : 0;
  const stepNorm2 = quadratic(g.slice(1).map((row) => row.slice(1)), c.slice(1));
  return {
    cx: c[0],
    cw: c[1],
    cp,
    withP: m === 3,
    sp: stepNorm2 > 0 && Number.isFinite(stepNorm2) ? 1 / Math.sqrt(stepNorm2) : 0,
    mu: quadratic(h, c),
    a2: quadratic(k, c),
  };
}

/** The [x, w] sums out of the [x, w, p] ones (gram's order). */
function reduceSums(sums: Float64Array): Float64Array {
  // G: xx xw xp ww wp pp | H: 6 | K: 6  →  xx xw ww | 3 | 3
  const pick = [0, 1, 3, 6, 7, 9, 12, 13, 15];
  return Float64Array.from(pick, (i) => sums[i]);
}

// The passes in TypeScript: the definition, and what runs where a backend has none of its
// own. Each sum is one scalar chain in index order (the Wasm kernels repeat them bit for bit).

function firstDirection(x: Float64Array, ax: Float64Array, w: Float64Array): [number, number, number] {
  let aa = 0;
  let xax = 0;
  for (let i = 0; i < ax.length; i++) {
    aa += ax[i] * ax[i];
    xax += x[i] * ax[i];
  }
  const a = Math.sqrt(aa);
  const ia = 1 / a;
  let r2 = 0;
  for (let i = 0; i < ax.length; i++) {
    const d = ax[i] * ia - x[i];
    w[i] = d;
    r2 += d * d;
  }
  return [a, r2, xax];
}

function gram(x: Float64Array, w: Float64Array, p: Float64Array, q: Float64Array, aw: Float64Array, a: number, withP: boolean, out: Float64Array): void {
  if (!withP) {
    let xx = 0, xw = 0, ww = 0, xax = 0, xaw = 0, waw = 0, axax = 0, axaw = 0, awaw = 0;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i];
      const wi = w[i];
      const awi = aw[i];
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
    out.fill(0);
    out.set([xx, xw, ww, xax, xaw, waw, axax, axaw, awaw]);
    return;
  }
  let xx = 0, xw = 0, xp = 0, ww = 0, wp = 0, pp = 0;
  let xax = 0, xaw = 0, xq = 0, waw = 0, wq = 0, pq = 0;
  let axax = 0, axaw = 0, axq = 0, awaw = 0, awq = 0, qq = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const wi = w[i];
    const pi = p[i];
    const qi = q[i];
    const awi = aw[i];
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
  out.set([xx, xw, xp, ww, wp, pp, xax, xaw, xq, waw, wq, pq, axax, axaw, axq, awaw, awq, qq]);
}

function update(x: Float64Array, w: Float64Array, p: Float64Array, q: Float64Array, aw: Float64Array, a: number, cx: number, cw: number, cp: number, sp: number, ia: number, withP: boolean): number {
  let r2 = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const wi = w[i];
    const axi = a * (xi + wi);
    const pNext = withP ? cw * wi + cp * p[i] : cw * wi;
    const qNext = withP ? cw * aw[i] + cp * q[i] : cw * aw[i];
    const xNext = cx * xi + pNext;
    const axNext = cx * axi + qNext;
    x[i] = xNext;
    p[i] = sp * pNext;
    q[i] = sp * qNext;
    const d = axNext * ia - xNext;
    w[i] = d;
    r2 += d * d;
  }
  return r2;
}

function powerStep(x: Float64Array, w: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] += w[i];
}

/** The passes in TypeScript: the definition, and what runs where a backend has none of its own. */
export const typescriptLobpcgPasses: LobpcgPasses = { firstDirection, gram, update, powerStep };
