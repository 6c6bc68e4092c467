/**
 * Bad input gets a clear error and nothing is written: shapes that are not 9·n(n−1)/2 with
 * n ≥ 3, NaN or infinite entries, unusable .npy files, an n too large for the memory, unknown
 * options. Through the library (JsyncInputError) and the command line (exit status 2, one
 * line on standard error naming the file, no output file left behind).
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsyncInputError } from '../ts/errors.js';
import { jsync } from '../ts/jsync.js';
import { wasmBackend } from '../ts/wasm/backend.js';
import { serializeNpy } from '../ts/npy.js';
import { generateSynthetic } from '../ts/synthetic.js';
import { BACKENDS } from './support/backends.js';
import { filesIn, runCli, temporaryDirectory } from './support/cli.js';

const good = generateSynthetic({ n: 12, seed: 3, noiseDeg: 2 });

for (const { name: backend } of BACKENDS) {
  test(`${backend}: lengths that are not 9·n(n−1)/2 with n ≥ 3 are rejected`, async (t) => {
    for (const [length, pattern] of [
      [0, /n\(n-1\)\/2/],
      [9, /n\(n-1\)\/2/], // P = 1: n = 2
      [9 * 4, /n\(n-1\)\/2/], // P = 4 is not triangular
      [9 * 3 + 1, /multiple of 9/],
    ] as const) {
      await t.throwsAsync(jsync(new Float64Array(length), { backend }), { instanceOf: JsyncInputError, message: pattern });
    }
    await t.throwsAsync(jsync([1, 2, 3] as unknown as Float64Array, { backend }), { instanceOf: JsyncInputError, message: /Float64Array or Float32Array/ });
  });

  test(`${backend}: NaN and infinite entries are rejected and located`, async (t) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const rijs = Float64Array.from(good.rijs);
      rijs[9 * 5 + 4] = bad;
      await t.throwsAsync(jsync(rijs, { backend }), { instanceOf: JsyncInputError, message: new RegExp(`entry 4 of estimate 5 is ${bad}`) });
      const f32 = Float32Array.from(good.rijs);
      f32[7] = bad;
      await t.throwsAsync(jsync(f32, { backend }), { instanceOf: JsyncInputError, message: /entry 7 of estimate 0/ });
    }
  });

  test(`${backend}: unknown and malformed options are rejected`, async (t) => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ epsion: 1e-3 }, /unknown option 'epsion'/],
      [{ epsilon: 0 }, /epsilon/],
      [{ epsilon: NaN }, /epsilon/],
      [{ maxIters: 2.5 }, /maxIters/],
      [{ seed: 'x' }, /seed/],
      [{ init: 'anchor' }, /init/],
      [{ method: 'lanczos' }, /method/],
      [{ init: new Float64Array(3) }, /init/],
      [{ backend: 'gpu' }, /backend/],
      [{ threads: 0 }, /threads/],
      [{ memoryBudget: -1 }, /memoryBudget/],
      [{ codes: 'sometimes' }, /codes/],
      [{ jWeighting: 'yes' }, /jWeighting/],
    ];
    for (const [options, message] of cases) {
      await t.throwsAsync(jsync(good.rijs, { backend, ...options } as never), { instanceOf: JsyncInputError, message });
    }
  });
}

test('wasm: an n too large for the memory budget says how much it would need', async (t) => {
  const data = generateSynthetic({ n: 150, seed: 4 });
  const error = await t.throwsAsync(jsync(data.rijs, { backend: 'wasm', memoryBudget: 1e6 }), { instanceOf: JsyncInputError });
  t.regex(error!.message, /^n = 150 needs \d+(\.\d+)? MiB of memory at the least \(with(out)? cached codes\), but the memory budget is 976\.6 KiB$/);
  const forced = await t.throwsAsync(jsync(data.rijs, { backend: 'wasm', codes: 'cached', memoryBudget: 1e6 }), { instanceOf: JsyncInputError });
  t.regex(forced!.message, /^n = 150 needs \d+(\.\d+)? MiB of memory at the least \(with cached codes\), but the memory budget is 976\.6 KiB$/);
});

test('wasm: a budget that holds the streaming problem but not the codes streams', async (t) => {
  // The codes (C(n,3)/4 bytes) need more than streaming's extra arrays from n ≈ 1200 on (the
  // cached plan reads the estimates into the codes' pages and keeps no float64 rows).
  const n = 1300;
  const data = generateSynthetic({ n, seed: 4 });
  const prepare = (codes: 'auto' | 'streaming', memoryBudget: number) => wasmBackend.prepare(data.rijs, n, { jWeighting: false, memoryBudget, threads: 1, codes });
  const streaming = await prepare('streaming', 2 ** 32);
  const budget = streaming.memoryBytes;
  streaming.dispose();
  const auto = await prepare('auto', budget);
  t.is(auto.mode, 'streaming');
  auto.dispose();
  const roomy = await prepare('auto', 2 * budget);
  t.is(roomy.mode, 'cached');
  roomy.dispose();
});

/** A valid .npy of the good estimates, as text-editable header + data. */
function npyWith(header: string | null, data: Uint8Array | null = null): Uint8Array {
  const bytes = serializeNpy(good.rijs, [good.pairs, 3, 3]);
  if (header === null && data === null) return bytes;
  const headerLength = bytes[8] | (bytes[9] << 8);
  const original = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLength));
  const replaced = (header ?? original).padEnd(headerLength - 1, ' ') + '\n';
  const out = new Uint8Array(10 + headerLength + (data ?? bytes.subarray(10 + headerLength)).length);
  out.set(bytes.subarray(0, 10));
  out.set(new TextEncoder().encode(replaced), 10);
  out.set(data ?? bytes.subarray(10 + headerLength), 10 + headerLength);
  return out;
}

const shape = `(${good.pairs}, 3, 3)`;
const BAD_FILES: Array<[string, () => Uint8Array, RegExp]> = [
  ['truncated.npy', () => serializeNpy(good.rijs, [good.pairs, 3, 3]).subarray(0, 400), /truncated|expected|bytes/i],
  ['big-endian.npy', () => npyWith(`{'descr': '>f8', 'fortran_order': False, 'shape': ${shape}, }`), /big-endian/],
  ['fortran.npy', () => npyWith(`{'descr': '<f8', 'fortran_order': True, 'shape': ${shape}, }`), /[Ff]ortran/],
  ['object.npy', () => npyWith(`{'descr': '|O', 'fortran_order': False, 'shape': ${shape}, }`), /object/],
  // Only the dtypes that hold rotations are offered (not int8 and uint8, which .npy reading
  // otherwise accepts for signs and masks).
  ['integer.npy', () => npyWith(`{'descr': '<i8', 'fortran_order': False, 'shape': ${shape}, }`), /'<i8' \(int64\) is not supported; accepted: '<f8' \(float64\), '<f4' \(float32\)$/],
  ['int8.npy', () => serializeNpy(new Int8Array(9 * good.pairs), [good.pairs, 3, 3]), /'\|i1' \(int8\) is not supported; accepted: '<f8' \(float64\), '<f4' \(float32\)$/],
  ['half.npy', () => npyWith(`{'descr': '<f2', 'fortran_order': False, 'shape': ${shape}, }`), /'<f2' \(float16\) is not supported/],
  ['not-npy.npy', () => new TextEncoder().encode('hello, this is not numpy'), /not an? .*npy|magic/i],
  // Version 2.0 with a header length of 2³¹ − 1: refused without reading (or allocating) that much.
  ['huge-header.npy', () => Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0x7f, 0x7b]), /header of \d+ bytes is not plausible/],
  ['wrong-shape.npy', () => serializeNpy(good.rijs, [good.pairs, 9, 1]), /shape/],
  ['bad-count.npy', () => serializeNpy(new Float64Array(9 * 11), [11, 3, 3]), /n\(n-1\)\/2/],
  ['nan.npy', () => { const r = Float64Array.from(good.rijs); r[20] = NaN; return serializeNpy(r, [good.pairs, 3, 3]); }, /entry 2 of estimate 2 is NaN/],
];

for (const [name, make, message] of BAD_FILES) {
  test(`cli: ${name} is rejected with exit status 2, one line naming the file, nothing written`, async (t) => {
    const dir = temporaryDirectory();
    const input = join(dir, name);
    writeFileSync(input, make());
    const out = join(dir, 'signs.npy');
    writeFileSync(out, 'stale output of an earlier run');
    for (const command of ['run', 'sync']) {
      const result = await runCli([command, input, '--out', out]);
      t.is(result.code, 2, result.stderr);
      t.is(result.stdout, '');
      const lines = result.stderr.trimEnd().split('\n');
      t.is(lines.length, 1, result.stderr);
      t.true(lines[0].includes(input), lines[0]);
      t.regex(lines[0], message);
      t.false(existsSync(out), 'no stale output is left where the result was asked for');
      t.deepEqual(filesIn(dir), [name], 'no partial or temporary file');
    }
  });
}

test('cli: a missing input file, unknown options and bad values are usage errors (exit 2)', async (t) => {
  const dir = temporaryDirectory();
  const input = join(dir, 'in.npy');
  writeFileSync(input, serializeNpy(good.rijs, [good.pairs, 3, 3]));
  const cases: Array<[string[], RegExp]> = [
    [['run', join(dir, 'missing.npy'), '--out', join(dir, 'o.npy')], /missing\.npy: cannot read \(no such file\)/],
    [['run', input, '--out', join(dir, 'o.npy'), '--bogus'], /Unknown option '--bogus'/],
    [['run', input], /--out/],
    [['run', input, '--out', join(dir, 'o.npy'), '--epsilon', 'abc'], /--epsilon/],
    [['run', input, '--out', join(dir, 'o.npy'), '--epsilon', '-1'], /--epsilon: the value '-1' starts with a dash: write --epsilon=-1/],
    [['run', input, '--out', join(dir, 'o.npy'), '--epsilon=-1'], /--epsilon: expected a positive number, got '-1'/],
    [['run', input, '--out', join(dir, 'missing-dir', 'o.npy')], /cannot write .*missing-dir[/\\]o\.npy: no such directory\n/],
    [['run', input, '--out', join(dir, 'o.npy'), '--backend', 'gpu'], /--backend/],
    [['run', input, '--out', join(dir, 'o.npy'), '--method', 'lanczos'], /--method/],
    [['run', input, '--out', join(dir, 'o.npy'), '--threads', '0'], /--threads/],
    [['run', input, '--out', join(dir, 'o.npy'), '--memory-budget', 'lots'], /--memory-budget/],
    [['generate', '--out', join(dir, 'g.npy')], /--n/],
    [['generate', '--n', '2', '--out', join(dir, 'g.npy')], /--n/],
    [['generate', '--n', '10', '--outliers', '1.5', '--out', join(dir, 'g.npy')], /--outliers/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr, message);
    t.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  }
  t.deepEqual(filesIn(dir), ['in.npy']);
});

test('cli: an n too large for the memory budget is exit 2 and says how much it needs', async (t) => {
  const dir = temporaryDirectory();
  const input = join(dir, 'in.npy');
  const data = generateSynthetic({ n: 150, seed: 1 });
  writeFileSync(input, serializeNpy(data.rijs, [data.pairs, 3, 3]));
  const result = await runCli(['run', input, '--out', join(dir, 'o.npy'), '--memory-budget', '1M']);
  t.is(result.code, 2);
  t.regex(result.stderr, /in\.npy: n = 150 needs [\d.]+ MiB of memory at the least/);
  t.deepEqual(filesIn(dir), ['in.npy']);
});

test('cli: an output that is the input is refused before anything is touched', async (t) => {
  const dir = temporaryDirectory();
  const input = join(dir, 'in.npy');
  writeFileSync(input, serializeNpy(good.rijs, [good.pairs, 3, 3]));
  for (const args of [
    ['run', input, '--out', input, '--memory-budget', '1K'],
    ['sync', input, '--out', join(dir, 'synced.npy'), '--signs-out', input],
    ['sync', input, '--out', join(dir, 'same.npy'), '--signs-out', join(dir, 'same.npy')],
  ]) {
    const result = await runCli(args);
    t.is(result.code, 2, result.stderr);
    t.regex(result.stderr, /same file|is the input file/);
  }
  t.deepEqual(filesIn(dir), ['in.npy']);
  t.deepEqual(readFileSync(input), Buffer.from(serializeNpy(good.rijs, [good.pairs, 3, 3])));
});

test('cli: a bad option value also removes the stale output it was asked to replace', async (t) => {
  const dir = temporaryDirectory();
  const input = join(dir, 'in.npy');
  writeFileSync(input, serializeNpy(good.rijs, [good.pairs, 3, 3]));
  const out = join(dir, 'signs.npy');
  writeFileSync(out, 'stale output of an earlier run');
  const result = await runCli(['run', input, '--out', out, '--threads', '0']);
  t.is(result.code, 2);
  t.regex(result.stderr, /--threads/);
  t.deepEqual(filesIn(dir), ['in.npy']);
});
