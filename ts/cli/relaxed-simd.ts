/**
 * Relaxed SIMD for the command line. The Wasm kernels have a relaxed-SIMD build (fused
 * multiply-add in the classification filter: ~7% faster classification here, the same codes
 * and signs bit for bit; ts/wasm/kernels.ts), which the library uses wherever the runtime
 * accepts it. Chromium and Node ≥ 22 do; Node 20 and 21 have it behind V8's
 * --experimental-wasm-relaxed-simd. The command line, which owns its process, turns that flag
 * on at start (`--no-relaxed-simd` leaves it off); the library never changes the flags of a
 * process it is loaded into.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdAccepted } from '../wasm/kernels.js';

/** Node major versions whose V8 has relaxed SIMD behind the flag. */
const FLAGGED = new Set([20, 21]);

/** Makes the relaxed-SIMD kernels available to this process where a flag does it; returns whether they are. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAccepted()) return true;
  if (!FLAGGED.has(Number(process.versions.node.split('.')[0]))) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdAccepted();
}
