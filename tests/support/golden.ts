/** The golden outputs of the original implementation (../shared/golden/, see its README). */
import { readFileSync } from 'node:fs';
import { parseNpy } from '../../ts/npy.js';

export const GOLDEN_DIR = new URL('../../../shared/golden/', import.meta.url);

export interface GoldenCase {
  name: string;
  n: number;
  pairs: number;
  outliers: number;
  noise: number;
  dtype: 'float64' | 'float32';
}

export const GOLDEN_CASES: GoldenCase[] = JSON.parse(readFileSync(new URL('manifest.json', GOLDEN_DIR), 'utf8'));

export function loadGolden(name: string, part: string) {
  return parseNpy(readFileSync(new URL(`${name}.${part}.npy`, GOLDEN_DIR)), `${name}.${part}.npy`).data;
}
