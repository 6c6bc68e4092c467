/** Small stand-ins for a backend's problem, for tests of the iterations alone. */
import type { JsyncProblem } from '../../ts/backend.js';
import { Random } from '../../ts/random.js';

/** A problem whose S is the given symmetric matrix (rows of equal length). */
export function denseProblem(matrix: number[][]): JsyncProblem {
  return {
    n: 3, pairs: matrix.length, mode: 'recompute', cached: false, threads: 1, relaxedSimd: false, classifySeconds: 0, memoryBytes: 0,
    async multiply(v, y) {
      for (let i = 0; i < matrix.length; i++) {
        let sum = 0;
        for (let j = 0; j < matrix.length; j++) sum += matrix[i][j] * v[j];
        y[i] = sum;
      }
    },
    async multiplyRows() {
      throw new Error('multiplyRows: not used by the iterations');
    },
    anchorCodes: async () => new Uint8Array(0),
    dispose() {},
  };
}

/** A problem whose S is diagonal with the given eigenvalues. */
export function diagonalProblem(eigenvalues: number[]): JsyncProblem {
  return denseProblem(eigenvalues.map((lambda, i) => eigenvalues.map((_, j) => (i === j ? lambda : 0))));
}

/** Values of every kind the iterates can hold: normals of varied scale, zeros of both signs, ties, tiny and huge ones. */
export function awkwardVector(length: number, seed: number): Float64Array {
  const random = new Random(seed);
  const x = new Float64Array(length);
  for (let p = 0; p < length; p++) {
    const kind = p % 11;
    x[p] = kind === 3 ? 0 : kind === 7 ? -0 : kind === 5 ? 1e-300 * random.normal() : kind === 9 ? 1e150 * random.normal() : random.normal() * 10 ** (random.nextUint32() % 7 - 3);
  }
  return x;
}
