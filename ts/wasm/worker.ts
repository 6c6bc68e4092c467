/**
 * A worker thread of the Wasm backend: instantiates the kernels on the problem's shared
 * memory and runs a ChunkRunner for the requests of ts/wasm/lanes.ts.
 */
import { serveLane } from '../threads/lane.js';
import { instantiateKernels } from './kernels.js';
import { ChunkRunner, finish, type RunnerSetup } from './runner.js';

let runner: ChunkRunner | undefined;

function ready(): ChunkRunner {
  if (!runner) throw new Error('worker used before init');
  return runner;
}

await serveLane({
  async init(args: { module: WebAssembly.Module; memory: WebAssembly.Memory; setup: RunnerSetup }) {
    const kernels = await instantiateKernels(args.memory, args.module);
    runner = new ChunkRunner(kernels, args.memory, args.setup);
    return true;
  },
  prepareRows: (rijs: Float64Array | Float32Array | null) => finish(ready().prepareShare(rijs)),
  classify: () => finish(ready().classifyShare()),
  recheck: (gathered: boolean) => ready().recheck(gathered),
  product: (chunks: number[] | null) => finish(ready().productShare(chunks)),
  leadingRows: ([chunk, rowEnd]: [number, number]) => finish(ready().leadingRows(chunk, rowEnd)),
  reduce: ([p0, p1]: [number, number]) => ready().reduce(p0, p1),
  anchorCodes: () => ready().anchorCodes(),
});
