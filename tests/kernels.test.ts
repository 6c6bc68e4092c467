// The kernels' footprint that scripts/build-wasm.js records must be what the built modules
// report themselves: the memory map lays out every run from it before compiling anything.
import test from 'ava';
import { instantiateKernels, kernelLayout, kernelModule, kernelsValid, type KernelVariant } from '../ts/wasm/kernels.js';

for (const variant of ['simd', 'threads'] as KernelVariant[]) {
  test(`the recorded footprint is the ${variant} kernels' own`, async (t) => {
    const shared = variant === 'threads';
    const memory = new WebAssembly.Memory({ initial: 1, maximum: shared ? 65536 : 1, shared });
    const kernels = await instantiateKernels(memory, await kernelModule(variant));
    const layout = kernelLayout();
    t.true(kernels.heapBase() <= layout.heapBase, `heapBase ${kernels.heapBase()} > recorded ${layout.heapBase}`);
    t.is(kernels.signTableBytes(), layout.signTableBytes);
  });

  test(`the ${variant} kernels validate here`, (t) => {
    t.true(kernelsValid(variant));
  });
}
