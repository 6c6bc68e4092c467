/**
 * The command line, run as a user runs it: generate → run/sync with .npy files, --json,
 * info, exit statuses, atomic outputs.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applySigns } from '../ts/apply.js';
import { groupDigits } from '../ts/cli/main.js';
import { jsync } from '../ts/jsync.js';
import { parseNpy, serializeNpy } from '../ts/npy.js';
import { generateSynthetic, type SyntheticOptions } from '../ts/synthetic.js';
import { filesIn, runCli, temporaryDirectory } from './support/cli.js';

const load = (path: string) => parseNpy(readFileSync(path), path);

/** Synthetic estimates saved as dir/in.npy, of shape (P, 3, 3) or (P, 9). */
function inputFile(options: SyntheticOptions, flat = false) {
  const dir = temporaryDirectory();
  const data = generateSynthetic(options);
  const input = join(dir, 'in.npy');
  writeFileSync(input, serializeNpy(data.rijs, flat ? [data.pairs, 9] : [data.pairs, 3, 3]));
  return { dir, data, input };
}

test('groupDigits writes counts as en-US toLocaleString does', (t) => {
  for (const count of [0, 7, 999, 1000, 4060, 161700, 166167000, 20708500000, 2 ** 53 - 1]) {
    t.is(groupDigits(count), count.toLocaleString('en-US'));
  }
});

test('generate writes estimates, truth, inlier mask and rotations identical to the library generator', async (t) => {
  const dir = temporaryDirectory();
  const rijs = join(dir, 'rijs.npy');
  const result = await runCli(['generate', '--n', '20', '--seed', '5', '--outliers', '0.1', '--noise-deg', '4', '--dtype', 'float32',
    '--out', rijs, '--truth', join(dir, 'truth.npy'), '--inlier', join(dir, 'inlier.npy'), '--rotations', join(dir, 'rots.npy')]);
  t.is(result.code, 0, result.stderr);
  const expected = generateSynthetic({ n: 20, seed: 5, outliers: 0.1, noiseDeg: 4, dtype: 'float32' });
  const saved = load(rijs);
  t.is(saved.dtype, 'float32');
  t.deepEqual(saved.shape, [190, 3, 3]);
  t.deepEqual(saved.data, expected.rijs);
  t.deepEqual(load(join(dir, 'truth.npy')).data, expected.truth);
  t.deepEqual(load(join(dir, 'inlier.npy')).data, expected.inlier);
  t.deepEqual(load(join(dir, 'rots.npy')).shape, [20, 3, 3]);
  t.deepEqual(filesIn(dir), ['inlier.npy', 'rijs.npy', 'rots.npy', 'truth.npy']);
});

test('run --json prints one JSON object and writes the same signs as the library', async (t) => {
  const { dir, data, input } = inputFile({ n: 40, seed: 8, noiseDeg: 5, outliers: 0.2 });
  const out = join(dir, 'signs.npy');
  const result = await runCli(['run', input, '--out', out, '--json', '--epsilon', '1e-6', '--backend', 'wasm', '--threads', '1']);
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const summary = JSON.parse(lines[0]);
  for (const key of ['n', 'pairs', 'backend', 'threads', 'iterations', 'residual', 'eigenvalue', 'cached', 'seconds']) t.true(key in summary, key);
  t.is(summary.n, 40);
  t.is(summary.pairs, 780);
  t.is(summary.backend, 'wasm');
  t.is(summary.threads, 1);
  t.true(summary.cached);
  t.true(summary.residual < 1e-6);
  for (const key of ['classify', 'iterate', 'total']) t.is(typeof summary.seconds[key], 'number');
  const signs = load(out);
  t.is(signs.dtype, 'int8');
  t.deepEqual(signs.shape, [780]);
  const library = await jsync(data.rijs, { epsilon: 1e-6 });
  t.deepEqual(signs.data, library.signs);
  t.is(summary.method, 'lobpcg');
  t.is(summary.iterations, library.iterations);
  t.deepEqual(filesIn(dir), ['in.npy', 'signs.npy']);
});

test('run --method power runs the power method, as the library does', async (t) => {
  const { dir, data, input } = inputFile({ n: 30, seed: 18, noiseDeg: 5, outliers: 0.2 });
  const out = join(dir, 'signs.npy');
  const result = await runCli(['run', input, '--out', out, '--json', '--method', 'power', '--threads', '1']);
  t.is(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  const library = await jsync(data.rijs, { method: 'power' });
  t.is(summary.method, 'power');
  t.true(summary.shift);
  t.is(summary.iterations, library.iterations);
  t.deepEqual(summary.residuals, library.residuals);
  t.deepEqual(load(out).data, library.signs);
});

test('run reads a larger file in parallel pieces, on 2 threads, to the signs and eigenvalue of the library', async (t) => {
  // 9 · C(700, 2) · 8 bytes = 17.6 MB: read in two pieces of at least 8 MiB.
  const { dir, data, input } = inputFile({ n: 700, seed: 9, noiseDeg: 5, outliers: 0.2 });
  const out = join(dir, 'signs.npy');
  const result = await runCli(['run', input, '--out', out, '--json', '--threads', '2']);
  t.is(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  t.is(summary.threads, 2);
  const library = await jsync(data.rijs, { threads: 1 });
  t.deepEqual(load(out).data, library.signs);
  t.is(summary.eigenvalue, library.eigenvalue);
  t.deepEqual(summary.residuals, library.residuals);
});

test('run accepts (P, 9) float32 input and the reference backend', async (t) => {
  const { dir, data, input } = inputFile({ n: 15, seed: 9, noiseDeg: 2, dtype: 'float32' }, true);
  const result = await runCli(['run', input, '--out', join(dir, 's.npy'), '--backend', 'reference', '--json']);
  t.is(result.code, 0, result.stderr);
  t.is(JSON.parse(result.stdout).backend, 'reference');
  t.deepEqual(load(join(dir, 's.npy')).data, (await jsync(data.rijs, { backend: 'reference' })).signs);
});

test('sync writes the J-synchronized estimates (and the signs on request)', async (t) => {
  const { dir, data, input } = inputFile({ n: 25, seed: 10, noiseDeg: 3 });
  const result = await runCli(['sync', input, '--out', join(dir, 'synced.npy'), '--signs-out', join(dir, 'signs.npy')]);
  t.is(result.code, 0, result.stderr);
  const signs = load(join(dir, 'signs.npy')).data as Int8Array;
  const synced = load(join(dir, 'synced.npy'));
  t.deepEqual(synced.shape, [data.pairs, 3, 3]);
  t.deepEqual(synced.data, applySigns(data.rijs, signs));
  t.true(/iterations/.test(result.stdout));
});

test('sync keeps the shape of a (P, 9) float32 input', async (t) => {
  const { dir, data, input } = inputFile({ n: 18, seed: 11, noiseDeg: 3, dtype: 'float32' }, true);
  const result = await runCli(['sync', input, '--out', join(dir, 'synced.npy'), '--signs-out', join(dir, 'signs.npy')]);
  t.is(result.code, 0, result.stderr);
  const synced = load(join(dir, 'synced.npy'));
  t.deepEqual(synced.shape, [data.pairs, 9]);
  t.is(synced.dtype, 'float32');
  t.deepEqual(synced.data, applySigns(data.rijs, load(join(dir, 'signs.npy')).data as Int8Array));
});

test('demo prints a summary with the ground-truth agreement', async (t) => {
  const result = await runCli(['demo', '--n', '60']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /n = 60 images, 1770 pairs/);
  t.regex(result.stdout, /ground truth: \d+ of \d+ inlier signs agree/);
  const json = await runCli(['demo', '--n', '60', '--json']);
  t.is(json.code, 0);
  const summary = JSON.parse(json.stdout);
  t.true(summary.truth.fraction > 0.99);
});

test('info reports the probe', async (t) => {
  const result = await runCli(['info', '--json']);
  t.is(result.code, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  t.is(info.runtime, 'node');
  t.true(info.wasmSimd);
  t.true(info.cores >= 1);
  t.true(info.defaultMemoryBudget > 0);
  const text = await runCli(['info']);
  t.regex(text.stdout, /Wasm SIMD: yes/);
});

test('--help and --version answer; no command is a usage error', async (t) => {
  const help = await runCli(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /jsync run <rijs.npy> --out <signs.npy>/);
  t.regex(help.stdout, /jsync generate --n N/);
  // A command's own help: its usage (and the run options where it takes them), not the others'.
  const runHelp = await runCli(['run', '--help']);
  t.is(runHelp.code, 0);
  t.regex(runHelp.stdout, /jsync run <rijs.npy> --out <signs.npy>/);
  t.regex(runHelp.stdout, /--method lobpcg\|power/);
  t.notRegex(runHelp.stdout, /jsync generate|jsync sync/);
  const generateHelp = await runCli(['generate', '--help']);
  t.regex(generateHelp.stdout, /jsync generate --n N/);
  t.notRegex(generateHelp.stdout, /--method|jsync run/);
  t.regex((await runCli(['--version'])).stdout, /^\d+\.\d+\.\d+/);
  const none = await runCli([]);
  t.is(none.code, 2);
});
