/** The kernels' warm-up (ts/wasm/warmup.ts) runs every bulk kernel on its own tiny problem. */
import test from 'ava';
import { kernelModule } from '../ts/wasm/kernels.js';
import { isWarm, warmKernels } from '../ts/wasm/warmup.js';

for (const variant of ['simd', 'threads'] as const) {
  test(`warm-up runs the ${variant} kernels in bounds, once per module`, async (t) => {
    const module = await kernelModule(variant);
    // A layout mistake would trap (out of bounds) or throw here.
    await t.notThrowsAsync(warmKernels(module, variant === 'threads'));
    t.true(isWarm(module));
    // Once per module: a second call returns without instantiating anything.
    const instantiate = WebAssembly.instantiate;
    let instantiations = 0;
    WebAssembly.instantiate = ((...args: Parameters<typeof instantiate>) => (instantiations++, instantiate(...args))) as typeof instantiate;
    try {
      await warmKernels(module, variant === 'threads');
    } finally {
      WebAssembly.instantiate = instantiate;
    }
    t.is(instantiations, 0);
  });
}
