/**
 * The relaxed-SIMD build of the kernels (fused multiply-add in the classification filter,
 * ts/wasm/kernels.ts) gives the plain build's codes, products and signs bit for bit. Node 20
 * accepts relaxed SIMD only with a V8 flag, so the comparison runs in a child process started
 * with it; this process (no flag) checks that the library falls back where the runtime says
 * no, and the command line that it turns the flag on by itself.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsync } from '../ts/jsync.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { relaxedSimdAccepted } from '../ts/wasm/kernels.js';
import { runCli, temporaryDirectory } from './support/cli.js';

const CHECK = fileURLToPath(new URL('./support/relaxed-check.ts', import.meta.url));

interface Side {
  relaxedSimd: boolean;
  product: number[];
  codes: number[] | null;
}
interface Report {
  accepted: boolean;
  variants: Array<{ variant: string; heapBase: number; signTableBytes: number; layout: { heapBase: number; signTableBytes: number }; warmed: boolean }>;
  cases: Array<{
    label: string;
    reference: number[] | null;
    plain: Side;
    relaxed: Side;
    runs: Array<{ relaxedSimd: boolean; signs: number[]; residuals: number[]; eigenvalue: number }>;
  }>;
}

function runCheck(): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import=tsx', CHECK],
      { maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Report)),
    );
  });
}

test('relaxed-SIMD kernels give the plain kernels’ codes, products and signs, bit for bit', async (t) => {
  const report = await runCheck();
  t.true(report.accepted, 'relaxed SIMD is accepted with --experimental-wasm-relaxed-simd');
  t.is(report.variants.length, 2);
  for (const v of report.variants) {
    t.true(v.heapBase <= v.layout.heapBase, `${v.variant}: heapBase ${v.heapBase} > recorded ${v.layout.heapBase}`);
    t.is(v.signTableBytes, v.layout.signTableBytes);
    t.true(v.warmed, `${v.variant}: the warm-up ran`);
  }
  t.is(report.cases.length, 6);
  for (const c of report.cases) {
    t.false(c.plain.relaxedSimd, `${c.label}: plain kernels when relaxedSimd is false`);
    t.true(c.relaxed.relaxedSimd, `${c.label}: relaxed kernels when the runtime accepts them`);
    if (c.reference) {
      t.deepEqual(c.relaxed.codes, c.reference, `${c.label}: relaxed codes are the reference's`);
      t.deepEqual(c.plain.codes, c.reference, `${c.label}: plain codes are the reference's`);
    }
    t.deepEqual(c.relaxed.product, c.plain.product, `${c.label}: products bitwise equal`);
    const [plainRun, relaxedRun] = c.runs;
    t.false(plainRun.relaxedSimd);
    t.true(relaxedRun.relaxedSimd);
    t.deepEqual(relaxedRun.signs, plainRun.signs, `${c.label}: signs`);
    t.deepEqual(relaxedRun.residuals, plainRun.residuals, `${c.label}: residuals bitwise`);
    t.is(relaxedRun.eigenvalue, plainRun.eigenvalue);
  }
});

test('the library uses relaxed SIMD exactly where the runtime accepts it', async (t) => {
  const { rijs } = generateSynthetic({ n: 30, seed: 87, noiseDeg: 3 });
  const auto = await jsync(rijs, { threads: 1 });
  t.is(auto.relaxedSimd, relaxedSimdAccepted());
  const plain = await jsync(rijs, { threads: 1, relaxedSimd: false });
  t.false(plain.relaxedSimd);
  t.deepEqual(plain.signs, auto.signs);
  await t.throwsAsync(jsync(rijs, { relaxedSimd: 'yes' as unknown as boolean }), { message: /option relaxedSimd: expected true or false/ });
});

test('the command line turns relaxed SIMD on by itself (Node 20, 21) and off with --no-relaxed-simd; same signs', async (t) => {
  const dir = temporaryDirectory();
  const input = join(dir, 'rijs.npy');
  t.is((await runCli(['generate', '--n', '80', '--seed', '5', '--noise-deg', '5', '--outliers', '0.2', '--out', input])).code, 0);
  const relaxed = await runCli(['run', input, '--out', join(dir, 'relaxed.npy'), '--json']);
  const plain = await runCli(['run', input, '--out', join(dir, 'plain.npy'), '--json', '--no-relaxed-simd']);
  t.is(relaxed.code, 0, relaxed.stderr);
  t.is(plain.code, 0, plain.stderr);
  t.true(JSON.parse(relaxed.stdout).relaxedSimd);
  t.false(JSON.parse(plain.stdout).relaxedSimd);
  t.deepEqual(readFileSync(join(dir, 'relaxed.npy')), readFileSync(join(dir, 'plain.npy')));
  const info = await runCli(['info', '--json']);
  t.true(JSON.parse(info.stdout).wasmRelaxedSimd);
});
