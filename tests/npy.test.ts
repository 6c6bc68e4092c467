import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JsyncInputError } from '../ts/errors.js';
import { parseNpy, serializeNpy, type NpyArray, type NpyData, type NpyDtype } from '../ts/npy.js';

const GOLDEN = new URL('../../shared/golden/', import.meta.url);

function readGolden(file: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(file, GOLDEN))));
}

const MANIFEST = JSON.parse(readFileSync(fileURLToPath(new URL('manifest.json', GOLDEN)), 'utf8')) as {
  name: string;
  pairs: number;
  dtype: 'float64' | 'float32';
}[];

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * An .npy file built by hand from a header dict text, independently of the code under test.
 * `align` pads the header with spaces and '\n' to a multiple of 64 bytes in all, like NumPy.
 */
function buildNpy(dict: string, data: Uint8Array = new Uint8Array(0), { major = 1, align = true } = {}): Uint8Array {
  const lengthSize = major === 1 ? 2 : 4;
  let header = dict;
  if (align) {
    const unpadded = 8 + lengthSize + dict.length + 1;
    header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  }
  const headerBytes = ascii(header);
  const prefix = new Uint8Array(8 + lengthSize);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(prefix.buffer);
  if (lengthSize === 2) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  return concat(prefix, headerBytes, data);
}

const f64Bytes = (values: number[]): Uint8Array => new Uint8Array(new Float64Array(values).buffer);

const F8_2x3 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Round trips

const SAMPLES: Record<NpyDtype, (count: number) => NpyData> = {
  float64: (n) => Float64Array.from({ length: n }, (_, i) => [0, -0, 1 / 3, -1e300, 5e-324, NaN, Infinity, -Infinity][i % 8]! + i),
  float32: (n) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 1e3) - (i % 5 === 0 ? Infinity : 0)),
  int8: (n) => Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128),
  uint8: (n) => Uint8Array.from({ length: n }, (_, i) => (i * 53) % 256),
};

const P = 28;
const SHAPES: number[][] = [[P, 3, 3], [P, 9], [P], [], [0, 3, 3]];

for (const dtype of Object.keys(SAMPLES) as NpyDtype[]) {
  for (const shape of SHAPES) {
    test(`round trip ${dtype} shape (${shape.join(', ')})`, (t) => {
      const data = SAMPLES[dtype](shape.reduce((a, b) => a * b, 1));
      const bytes = serializeNpy(data, shape);
      const back = parseNpy(bytes, 'roundtrip.npy');
      t.is(back.dtype, dtype);
      t.deepEqual(back.shape, shape);
      t.is(back.data.constructor, data.constructor);
      // Object.is-equality element by element, so NaN and -0 count too.
      t.deepEqual(Array.from(back.data), Array.from(data));
      t.is(bytes.length % 64, (data.byteLength % 64), 'the data starts at a multiple of 64 bytes');
    });
  }
}

test('serializeNpy accepts a typed array that is a view into a larger buffer', (t) => {
  const backing = new Float64Array([9, 1, 2, 3, 9]);
  const bytes = serializeNpy(backing.subarray(1, 4), [3]);
  t.deepEqual(Array.from(parseNpy(bytes).data), [1, 2, 3]);
});

// ---------------------------------------------------------------------------------------------
// Bytes identical to NumPy's, built by hand from the documented format

test('serializeNpy writes the bytes NumPy writes for a (2, 3) float64 array', (t) => {
  // magic, version 1.0, uint16 LE header length, the dict, NumPy's 20 spaces of growth room
  // for the first axis (21 digits minus len('2')), then spaces and '\n' to 128 bytes in all.
  const dict = F8_2x3 + ' '.repeat(20);
  t.is(10 + dict.length + 1, 90);
  const header = dict + ' '.repeat(128 - 90) + '\n';
  const expected = concat(
    new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]),
    ascii(header),
    f64Bytes([1, 2, 3, 4, 5, 6.5]),
  );
  const actual = serializeNpy(new Float64Array([1, 2, 3, 4, 5, 6.5]), [2, 3]);
  t.true(sameBytes(actual, expected));
  t.is(actual.length, 128 + 48);
});

test('serializeNpy writes 1-tuples and scalars as Python tuples', (t) => {
  const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes.subarray(10, 128));
  t.true(text(serializeNpy(new Int8Array(5), [5])).startsWith("{'descr': '|i1', 'fortran_order': False, 'shape': (5,), }"));
  const scalar = text(serializeNpy(new Float32Array([2.5]), []));
  // No growth room for a scalar: the dict is followed only by padding.
  t.is(scalar, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }".padEnd(117, ' ') + '\n');
});

test('serializeNpy counts the growth room when padding, as NumPy does', (t) => {
  // Without the 20 spaces of growth room this header would fit in 128 bytes; NumPy needs 192.
  const shape = [7, 0, 9999, 9999, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  t.is(10 + dict.length + 1, 121); // 128 bytes would do without the growth room
  const expected = concat(
    new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 182, 0]),
    ascii(dict + ' '.repeat(20) + ' '.repeat(192 - 141) + '\n'),
  );
  t.true(sameBytes(serializeNpy(new Float64Array(0), shape), expected));
});

test('serializeNpy adds a full 64 bytes of padding when the header is already aligned, as NumPy does', (t) => {
  // Shape (1, ..., 1, 0) with 36 axes: prefix 10 + dict 161 + growth room 20 + '\n' = 192, a
  // multiple of 64, and NumPy (2.4) still pads 64 spaces: its file is 256 bytes.
  const shape = [...new Array<number>(35).fill(1), 0];
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  t.is(10 + dict.length + 20 + 1, 192);
  const expected = concat(
    new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 246, 0]),
    ascii(dict + ' '.repeat(20 + 64) + '\n'),
  );
  t.true(sameBytes(serializeNpy(new Uint8Array(0), shape), expected));
});

test('serializeNpy switches to format 2.0 when the header exceeds 65535 bytes', (t) => {
  const shape = new Array<number>(22000).fill(1);
  const bytes = serializeNpy(new Float64Array([42]), shape);
  t.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  const headerLength = new DataView(bytes.buffer).getUint32(8, true);
  t.true(headerLength > 0xffff);
  t.is((12 + headerLength) % 64, 0);
  t.is(bytes[12 + headerLength - 1], 0x0a);
  const back = parseNpy(bytes);
  t.deepEqual(back.shape, shape);
  t.deepEqual(Array.from(back.data), [42]);
});

// ---------------------------------------------------------------------------------------------
// Golden files written by NumPy

test('golden n8_clean_f64.rijs.npy is float64 (28, 3, 3) rotations', (t) => {
  const { dtype, shape, data } = parseNpy(readGolden('n8_clean_f64.rijs.npy'), 'n8_clean_f64.rijs.npy');
  t.is(dtype, 'float64');
  t.deepEqual(shape, [28, 3, 3]);
  t.true(data instanceof Float64Array);
  t.true(Math.abs(data[0]! - 0.31983118) < 1e-8);
  t.true(Math.abs(data[2]! - -0.84700234) < 1e-8);
  // Every 3x3 block of a clean input is orthogonal: the values were decoded, not just sized.
  for (let p = 0; p < 28; p++) {
    const r = data.subarray(9 * p, 9 * p + 9);
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const dot = r[3 * a]! * r[3 * b]! + r[3 * a + 1]! * r[3 * b + 1]! + r[3 * a + 2]! * r[3 * b + 2]!;
        t.true(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12);
      }
    }
  }
});

test('golden n40_noisy_f32.rijs.npy is float32 (780, 3, 3)', (t) => {
  const { dtype, shape, data } = parseNpy(readGolden('n40_noisy_f32.rijs.npy'), 'n40_noisy_f32.rijs.npy');
  t.is(dtype, 'float32');
  t.deepEqual(shape, [780, 3, 3]);
  t.true(data instanceof Float32Array);
  t.is(data[0], Math.fround(0.1332853));
});

test('golden n8_clean_f64.signs_plain.npy is the int8 signs NumPy saved', (t) => {
  const { dtype, shape, data } = parseNpy(readGolden('n8_clean_f64.signs_plain.npy'), 'signs');
  t.is(dtype, 'int8');
  t.deepEqual(shape, [28]);
  t.true(data instanceof Int8Array);
  const expected = [1, 1, -1, 1, -1, 1, 1, 1, -1, -1, 1, 1, 1, -1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, 1];
  t.deepEqual(Array.from(data), expected);
});

test('every golden case parses with the manifest shapes and dtypes', (t) => {
  t.true(MANIFEST.length >= 4);
  for (const { name, pairs, dtype } of MANIFEST) {
    const rijs = parseNpy(readGolden(`${name}.rijs.npy`), name);
    t.is(rijs.dtype, dtype);
    t.deepEqual(rijs.shape, [pairs, 3, 3]);
    for (const kind of ['signs_plain', 'signs_jw', 'truth', 'inlier']) {
      const signs = parseNpy(readGolden(`${name}.${kind}.npy`), kind);
      t.is(signs.dtype, 'int8');
      t.deepEqual(signs.shape, [pairs]);
    }
    for (const kind of ['signs_plain', 'signs_jw']) {
      const signs = parseNpy(readGolden(`${name}.${kind}.npy`)).data;
      t.is(signs[0], 1);
      t.true(Array.from(signs).every((s) => s === 1 || s === -1));
    }
    for (const kind of ['vec', 'stv_plain', 'stv_jw']) {
      const vec = parseNpy(readGolden(`${name}.${kind}.npy`), kind);
      t.is(vec.dtype, 'float64');
      t.deepEqual(vec.shape, [pairs]);
    }
  }
});

test('re-serializing every golden file reproduces NumPy\'s bytes exactly', (t) => {
  const files = readdirSync(fileURLToPath(GOLDEN)).filter((f) => f.endsWith('.npy'));
  t.true(files.length >= 32);
  for (const file of files) {
    const bytes = readGolden(file);
    const { data, shape } = parseNpy(bytes, file);
    t.true(sameBytes(serializeNpy(data, shape), bytes), file);
  }
});

// ---------------------------------------------------------------------------------------------
// Header parsing and layout

test('parses header dicts with odd spacing, keys in any order, no trailing comma, double quotes', (t) => {
  const dicts = [
    "{'shape':(2,3),'fortran_order':False,'descr':'<f8'}",
    '{ "descr" : "<f8" ,\n "fortran_order" : False , "shape" : ( 2 , 3 , ) , }',
    "{'fortran_order': False, 'shape': (2L, 3L), 'descr': '<f8', }", // Python 2 longs
    "{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3]}",
  ];
  for (const dict of dicts) {
    const parsed = parseNpy(buildNpy(dict, f64Bytes([1, 2, 3, 4, 5, 6])), 'odd.npy');
    t.deepEqual(parsed.shape, [2, 3], dict);
    t.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6], dict);
  }
});

test('parses 1-tuples, empty tuples (scalars) and zero-length axes', (t) => {
  const one = parseNpy(buildNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", new Uint8Array([1, 2, 3, 4, 5])));
  t.deepEqual(one.shape, [5]);
  t.deepEqual(Array.from(one.data), [1, 2, 3, 4, 5]);
  const scalar = parseNpy(buildNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f64Bytes([7])));
  t.deepEqual(scalar.shape, []);
  t.deepEqual(Array.from(scalar.data), [7]);
  const empty = parseNpy(buildNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 3), }"));
  t.deepEqual(empty.shape, [0, 3, 3]);
  t.is(empty.data.length, 0);
});

test('accepts 1-byte types with any byte-order marker', (t) => {
  for (const descr of ['|i1', '<i1', 'i1']) {
    const parsed = parseNpy(buildNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, new Uint8Array([255, 1])));
    t.is(parsed.dtype, 'int8');
    t.deepEqual(Array.from(parsed.data), [-1, 1]);
  }
});

test('reads format versions 2.0 and 3.0', (t) => {
  for (const major of [2, 3]) {
    const parsed = parseNpy(buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]), { major }), `v${major}.npy`);
    t.deepEqual(parsed.shape, [2, 3]);
    t.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6]);
  }
});

test('returns an aligned view when the data is aligned, a copy otherwise', (t) => {
  const file = serializeNpy(new Float64Array([1, 2, 3]), [3]);
  const aligned = parseNpy(file);
  t.is(aligned.data.buffer, file.buffer, 'aligned: no copy');
  // The same file at byte offset 4 of a larger buffer: a Float64Array cannot view it.
  const backing = new Uint8Array(file.length + 4);
  backing.set(file, 4);
  const shifted = parseNpy(backing.subarray(4));
  t.not(shifted.data.buffer, backing.buffer);
  t.is(shifted.data.byteOffset % 8, 0);
  t.deepEqual(Array.from(shifted.data), [1, 2, 3]);
  // A header not padded to 64 bytes puts the data at an odd offset within the file itself.
  const unpadded = parseNpy(buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]), { align: false }));
  t.deepEqual(Array.from(unpadded.data), [1, 2, 3, 4, 5, 6]);
});

// ---------------------------------------------------------------------------------------------
// Rejections: JsyncInputError, one line, starting with the name and naming the problem

function rejects(t: ExecutionContext, bytes: Uint8Array, problem: RegExp, name = 'bad.npy'): void {
  const error = t.throws(() => parseNpy(bytes, name), { instanceOf: JsyncInputError });
  t.true(error?.message.startsWith(`${name}: `), error?.message);
  t.regex(error?.message ?? '', problem);
  t.false(error?.message.includes('\n'), 'one line');
}

const withDict = (dict: string, data?: Uint8Array): Uint8Array => buildNpy(dict, data);
const f8Dict = (shape: string, extra = ''): string => `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, ${extra}}`;

test('rejects a file that is not .npy (bad magic)', (t) => {
  rejects(t, ascii('hello world, this is text'), /not an \.npy file \(bad magic/, '/data/rijs.txt');
  rejects(t, new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0]), /not an \.npy file/); // a zip (.npz)
  rejects(t, new Uint8Array(0), /truncated .npy file: 0 bytes/);
});

test('rejects unsupported format versions', (t) => {
  const v4 = buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]));
  v4[6] = 4;
  rejects(t, v4, /unsupported \.npy format version 4\.0 \(supported: 1\.0, 2\.0, 3\.0\)/);
  const v11 = buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]));
  v11[7] = 1;
  rejects(t, v11, /unsupported \.npy format version 1\.1/);
});

test('rejects a truncated header', (t) => {
  const file = buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]));
  rejects(t, file.subarray(0, 60), /truncated header: it needs 118 bytes but the file has 50/);
  rejects(t, file.subarray(0, 9), /truncated header: file ends inside the header length/);
  rejects(t, file.subarray(0, 5), /truncated \.npy file: 5 bytes/);
});

test('rejects a header that is not a valid dict literal', (t) => {
  rejects(t, withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3}"), /header is not a valid Python dict literal \(expected ',' or '\)'/);
  rejects(t, withDict("__import__('os').system('rm -rf /')"), /header is not a valid Python dict literal \(unexpected token at offset 0\)/);
  rejects(t, withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } junk"), /unexpected text after the dict/);
  rejects(t, withDict("{'descr': '<f8, 'fortran_order': False}"), /header is not a valid Python dict literal/);
  rejects(t, withDict("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), /duplicate key 'descr'/);
  rejects(t, withDict("{1: '<f8'}"), /dict key is not a string/);
  rejects(t, withDict('[2, 3]'), /header is not a dict: "\[2, 3\]/);
  rejects(t, withDict(''), /header is not a valid Python dict literal/);
  rejects(t, withDict('('.repeat(10000)), /nesting too deep/);
});

test('rejects a header with missing or unexpected keys', (t) => {
  rejects(t, withDict("{'descr': '<f8', 'fortran_order': False}"), /header lacks the key 'shape'/);
  rejects(t, withDict("{'fortran_order': False, 'shape': (2,)}"), /header lacks the key 'descr'/);
  rejects(t, withDict("{'descr': '<f8', 'shape': (2,)}"), /header lacks the key 'fortran_order'/);
  rejects(t, withDict(f8Dict('(2, 3)', "'extra': 1, "), f64Bytes([1, 2, 3, 4, 5, 6])), /unexpected key 'extra'/);
});

test('rejects big-endian data', (t) => {
  rejects(t, withDict("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", f64Bytes([1])), /^rijs\.npy: big-endian data \('>f8'\) is not supported; save little-endian/, 'rijs.npy');
  rejects(t, withDict("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), /big-endian data \('>f4'\)/);
});

test('rejects Fortran-ordered data', (t) => {
  rejects(t, withDict("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f64Bytes([1, 2, 3, 4, 5, 6])), /Fortran-ordered \(column-major\) data is not supported/);
  rejects(t, withDict("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3), }", f64Bytes([1, 2, 3, 4, 5, 6])), /fortran_order 0 is not True or False/);
});

test('rejects object arrays', (t) => {
  rejects(t, withDict("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)), /object arrays \('\|O'\) are not supported/);
});

test('rejects other dtypes, naming them and the accepted ones', (t) => {
  const accepted = /accepted: '<f8' \(float64\), '<f4' \(float32\), '\|i1' \(int8\), '\|u1' \(uint8\)/;
  // With NumPy's name where it is not one of the accepted (there only the byte order is wrong).
  const named: Record<string, string> = { '<i4': ' (int32)', '<f2': ' (float16)', '|b1': ' (bool)', '<c16': ' (complex128)', '>i4': ' (int32)', '=f8': '', f8: '', '<U3': '' };
  for (const [descr, name] of Object.entries(named)) {
    const error = t.throws(() => parseNpy(withDict(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`), 'x.npy'), { instanceOf: JsyncInputError });
    t.true(error?.message.startsWith(`x.npy: dtype '${descr}'${name} is not supported; `), error?.message);
    t.regex(error?.message ?? '', accepted);
  }
  rejects(t, withDict("{'descr': [('a', '<f8'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }"), /structured dtype \(\('a', '<f8'\), \('b', '<f4'\)\) is not supported; accepted: '<f8'/);
});

test('rejects shapes with negative or non-integer entries', (t) => {
  rejects(t, withDict(f8Dict('(-1, 3)')), /shape \(-1, 3\) is not valid: entries must be non-negative integers/);
  rejects(t, withDict(f8Dict('(2.5,)')), /shape \(2\.5,\) is not valid/);
  rejects(t, withDict(f8Dict('(3.0, 3)')), /shape \(3.0, 3\) is not valid/); // 3.0 is a float
  rejects(t, withDict(f8Dict("('2', 3)")), /shape \('2', 3\) is not valid/);
  rejects(t, withDict(f8Dict('(None,)')), /shape \(None,\) is not valid/);
  rejects(t, withDict(f8Dict('(5)')), /shape 5 is not a tuple/); // parentheses without a comma
  rejects(t, withDict(f8Dict('(99999999999999999999,)')), /shape \(99999999999999999999,\) is not valid/);
  rejects(t, withDict(f8Dict('(4294967296, 4294967296)')), /shape \(4294967296, 4294967296\) is too large/);
});

test('rejects truncated data, saying how many bytes were expected and present', (t) => {
  const file = buildNpy(f8Dict('(28, 3, 3)'), new Uint8Array(28 * 9 * 8));
  rejects(t, file.subarray(0, file.length - 8), /truncated data: shape \(28, 3, 3\) float64 needs 2016 data bytes but the file has 2008/, 'n8.rijs.npy');
  rejects(t, buildNpy(f8Dict('()')), /truncated data: shape \(\) float64 needs 8 data bytes but the file has 0/);
});

test('rejects trailing bytes after the data', (t) => {
  const file = concat(serializeNpy(new Int8Array([1, -1, 1]), [3]), new Uint8Array(5));
  rejects(t, file, /5 unexpected bytes after the data \(shape \(3,\) int8 needs 3 data bytes\); the file may be corrupt/, 'signs.npy');
});

test('rejects a version 3.0 header that is not UTF-8', (t) => {
  const file = buildNpy(F8_2x3, f64Bytes([1, 2, 3, 4, 5, 6]), { major: 3 });
  file[12] = 0xff;
  rejects(t, file, /header of a version 3\.0 file is not valid UTF-8/);
});

test('uses a default name in messages when none is given', (t) => {
  const error = t.throws(() => parseNpy(new Uint8Array(3)), { instanceOf: JsyncInputError });
  t.regex(error?.message ?? '', /^npy data: not an \.npy file/);
});

// ---------------------------------------------------------------------------------------------
// serializeNpy rejections

test('serializeNpy rejects data whose length does not match the shape', (t) => {
  const error = t.throws(() => serializeNpy(new Float64Array(5), [2, 3]), { instanceOf: JsyncInputError });
  t.is(error?.message, 'serializeNpy: data has 5 elements but shape (2, 3) needs 6');
  t.throws(() => serializeNpy(new Float64Array(2), []), { instanceOf: JsyncInputError, message: /shape \(\) needs 1/ });
});

test('serializeNpy rejects shapes with negative or non-integer entries', (t) => {
  for (const shape of [[-1], [1.5], [NaN], [Infinity]]) {
    t.throws(() => serializeNpy(new Float64Array(1), shape), { instanceOf: JsyncInputError, message: /entries must be non-negative integers/ });
  }
});

test('serializeNpy rejects unsupported typed arrays', (t) => {
  for (const data of [new Int32Array(2), new Uint8ClampedArray(2)]) {
    t.throws(() => serializeNpy(data as unknown as NpyData, [2]), {
      instanceOf: JsyncInputError,
      message: `serializeNpy: ${data.constructor.name} is not supported; accepted: Float64Array, Float32Array, Int8Array, Uint8Array`,
    });
  }
});

test('the returned NpyArray type carries dtype, shape and data', (t) => {
  const array: NpyArray = parseNpy(serializeNpy(new Uint8Array([3, 4]), [2]));
  t.deepEqual(array, { dtype: 'uint8', shape: [2], data: array.data });
});
