/**
 * Reader and writer of NumPy .npy files (the format of `numpy.save`), for the dtypes jsync
 * exchanges: float64 and float32 rotations, int8 signs, uint8 masks.
 *
 * Isomorphic on purpose: only Uint8Array, DataView and TextDecoder, no Node APIs, so the same
 * code serves the CLI (which reads the file) and a browser (which gets the bytes from a fetch
 * or a file input).
 *
 * Format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor version byte, the
 * header length (little-endian uint16 in version 1.0, uint32 in 2.0 and 3.0), then the header:
 * a Python dict literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (28, 3, 3), }`
 * padded with spaces and a final '\n' so that the data starts at a multiple of 64 bytes.
 * Versions 1.0 and 2.0 encode the header in latin-1, 3.0 in UTF-8. The data follows directly.
 */
import { JsyncInputError } from './errors.js';

export type NpyDtype = 'float64' | 'float32' | 'int8' | 'uint8';
export type NpyData = Float64Array | Float32Array | Int8Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDtype;
  /** Dimensions, C (row-major) order; `[]` for a scalar (one element). */
  shape: number[];
  /**
   * The elements in C order. A view of the parsed bytes when their offset is aligned for the
   * element type (no copy; it shares memory with them), otherwise a copy.
   */
  data: NpyData;
}

interface DtypeInfo {
  dtype: NpyDtype;
  /** The descr NumPy writes for this dtype. */
  descr: string;
  itemSize: number;
  create(buffer: ArrayBufferLike, byteOffset: number, length: number): NpyData;
}

const DTYPES: readonly DtypeInfo[] = [
  { dtype: 'float64', descr: '<f8', itemSize: 8, create: (b, o, n) => new Float64Array(b, o, n) },
  { dtype: 'float32', descr: '<f4', itemSize: 4, create: (b, o, n) => new Float32Array(b, o, n) },
  { dtype: 'int8', descr: '|i1', itemSize: 1, create: (b, o, n) => new Int8Array(b, o, n) },
  { dtype: 'uint8', descr: '|u1', itemSize: 1, create: (b, o, n) => new Uint8Array(b, o, n) },
];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy aligns the start of the data to this many bytes (so memory mapping works). */
const ARRAY_ALIGN = 64;
/**
 * NumPy leaves room for the first axis to grow to this many digits (spaces after the dict),
 * so that appending to a file can rewrite the header in place. We copy it to write the same
 * bytes as NumPy.
 */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** Deeper nesting than this in a header is garbage, not a dtype; stops a stack overflow. */
const MAX_HEADER_DEPTH = 32;

/**
 * Typed arrays use the host's byte order; .npy data here is little-endian. Every JavaScript
 * host in practice is little-endian, but a big-endian one gets a slower, correct DataView path.
 */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses the bytes of an .npy file. `name` (e.g. the file path) starts every error message.
 * Throws JsyncInputError for anything that is not a complete, C-ordered, little-endian
 * float64, float32, int8 or uint8 array.
 */
export function parseNpy(bytes: Uint8Array, name = 'npy data'): NpyArray {
  const header = parseNpyHeader(bytes, name);
  const info = DTYPES.find((d) => d.dtype === header.dtype)!;
  const count = header.shape.reduce((a, b) => a * b, 1);
  return { dtype: header.dtype, shape: header.shape, data: decodeData(bytes, header.dataOffset, count, info) };
}

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Where the data starts in the file. */
  dataOffset: number;
  /** Bytes of data the header announces. */
  dataBytes: number;
}

/**
 * Parses and checks the header of an .npy file from its first bytes, with the same errors as
 * parseNpy. `fileBytes` is the length of the whole file, when only its start is given (the
 * data length is checked against it); by default the bytes are the whole file. `accept`: the
 * dtypes the caller can use (default: every one parseNpy reads); others are refused, with
 * those listed.
 */
export function parseNpyHeader(
  bytes: Uint8Array, name = 'npy data', fileBytes = bytes.length, accept: readonly NpyDtype[] = DTYPES.map((d) => d.dtype),
): NpyHeader {
  const fail = (problem: string): never => {
    throw new JsyncInputError(`${name}: ${problem}`);
  };
  const { headerText, dataOffset } = readPreamble(bytes, fail);
  const header = parseHeaderDict(headerText, fail);
  const { descr, shape } = checkHeader(header, fail);
  const info = dtypeFromDescr(descr, fail, DTYPES.filter((d) => accept.includes(d.dtype)));
  const count = shape.reduce((a, b) => a * b, 1);
  checkDataLength(fileBytes - dataOffset, count, info, shape, fail);
  return { dtype: info.dtype, shape, dataOffset, dataBytes: count * info.itemSize };
}

type Fail = (problem: string) => never;

/** Checks magic and version and returns the header text and where the data begins. */
function readPreamble(bytes: Uint8Array, fail: Fail): { headerText: string; dataOffset: number } {
  const magicPresent = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < magicPresent; i++) {
    if (bytes[i] !== MAGIC[i]) fail('not an .npy file (bad magic: does not start with "\\x93NUMPY")');
  }
  if (bytes.length < 8) fail(`truncated .npy file: ${bytes.length} bytes is shorter than the preamble`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  // Version 1.0 has a uint16 header length; 2.0 and 3.0 a uint32 one, for huge headers.
  const lengthSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthSize;
  if (bytes.length < headerStart) fail(`truncated header: file ends inside the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = lengthSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset) {
    fail(`truncated header: it needs ${headerLength} bytes but the file has ${bytes.length - headerStart}`);
  }
  const raw = bytes.subarray(headerStart, dataOffset);
  return { headerText: major === 3 ? decodeUtf8(raw, fail) : decodeLatin1(raw), dataOffset };
}

function decodeLatin1(raw: Uint8Array): string {
  // Not TextDecoder('latin1'): the WHATWG encoding standard maps that label to windows-1252.
  let text = '';
  for (const byte of raw) text += String.fromCharCode(byte);
  return text;
}

function decodeUtf8(raw: Uint8Array, fail: Fail): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('header of a version 3.0 file is not valid UTF-8');
  }
}

/** The dtype of `descr`, one of `accepted` (the errors list those). */
function dtypeFromDescr(descr: PyValue, fail: Fail, accepted: readonly DtypeInfo[]): DtypeInfo {
  const listed = accepted.map((d) => `'${d.descr}' (${d.dtype})`).join(', ');
  if (typeof descr !== 'string') {
    return fail(`structured dtype ${formatPy(descr)} is not supported; accepted: ${listed}`);
  }
  const match = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const [, order = '', kind = '', size = ''] = match ?? [];
  if (kind === 'O') {
    fail(`object arrays ('${descr}') are not supported; save a numeric array (${listed})`);
  }
  // Byte order means nothing for 1-byte types: NumPy writes '|', accept any marker.
  const oneByte = size === '1' && ['', '|', '<', '>'].includes(order);
  const info = accepted.find((d) => d.descr.slice(1) === kind + size && (oneByte || order === '<'));
  if (info) return info;
  if (match && order === '>' && accepted.some((d) => d.descr === `<${kind}${size}`)) {
    fail(`big-endian data ('${descr}') is not supported; save little-endian (astype('<${kind}${size}'))`);
  }
  // Its NumPy name, unless that is an accepted one (then only the byte-order marker is wrong).
  const name = accepted.some((d) => d.descr.slice(1) === kind + size) ? '' : numpyName(kind, size);
  return fail(`dtype '${descr}'${name} is not supported; accepted: ${listed}`);
}

/** NumPy's name of a simple dtype (' (int64)' for kind 'i', size '8'), or '' when unknown. */
function numpyName(kind: string, size: string): string {
  const bytes = Number(size);
  if (kind === 'b' && bytes === 1) return ' (bool)';
  const names: Record<string, string> = { i: 'int', u: 'uint', f: 'float', c: 'complex' };
  return names[kind] && bytes > 0 ? ` (${names[kind]}${8 * bytes})` : '';
}

/** Validates the header's keys, fortran_order and shape; returns descr (unchecked) and the shape. */
function checkHeader(header: Map<string, PyValue>, fail: Fail): { descr: PyValue; shape: number[] } {
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!header.has(key)) fail(`header lacks the key '${key}'`);
  }
  for (const key of header.keys()) {
    if (!['descr', 'fortran_order', 'shape'].includes(key)) fail(`header has an unexpected key '${key}'`);
  }
  const fortran = header.get('fortran_order');
  if (typeof fortran !== 'boolean') fail(`fortran_order ${formatPy(fortran ?? null)} is not True or False`);
  if (fortran) {
    fail('Fortran-ordered (column-major) data is not supported; save a C-ordered array (np.ascontiguousarray)');
  }
  return { descr: header.get('descr') ?? null, shape: checkShape(header.get('shape') ?? null, fail) };
}

function checkShape(shape: PyValue, fail: Fail): number[] {
  if (!Array.isArray(shape)) return fail(`shape ${formatPy(shape)} is not a tuple`);
  const dims = shape.map((dim) =>
    typeof dim === 'bigint' && dim >= 0n && dim <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(dim) : -1,
  );
  if (dims.includes(-1)) fail(`shape ${formatPy(shape)} is not valid: entries must be non-negative integers`);
  if (!Number.isSafeInteger(dims.reduce((a, b) => a * b, 1))) fail(`shape ${formatPy(shape)} is too large`);
  return dims;
}

function checkDataLength(present: number, count: number, info: DtypeInfo, shape: number[], fail: Fail): void {
  const expected = count * info.itemSize;
  const what = `shape ${formatShape(shape)} ${info.dtype} needs ${expected} data bytes`;
  if (present < expected) fail(`truncated data: ${what} but the file has ${present}`);
  if (present > expected) fail(`${present - expected} unexpected bytes after the data (${what}); the file may be corrupt`);
}

/** The elements at `offset`: a view when aligned (typed arrays require it), else a copy. */
function decodeData(bytes: Uint8Array, offset: number, count: number, info: DtypeInfo): NpyData {
  const byteLength = count * info.itemSize;
  if (!HOST_LITTLE_ENDIAN && info.itemSize > 1) {
    return decodeOnBigEndianHost(bytes.subarray(offset, offset + byteLength), count, info);
  }
  const start = bytes.byteOffset + offset;
  if (start % info.itemSize === 0) return info.create(bytes.buffer, start, count);
  // slice() copies into a fresh ArrayBuffer, which starts aligned.
  return info.create(bytes.slice(offset, offset + byteLength).buffer, 0, count);
}

function decodeOnBigEndianHost(raw: Uint8Array, count: number, info: DtypeInfo): NpyData {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = info.create(new ArrayBuffer(raw.byteLength), 0, count);
  for (let i = 0; i < count; i++) {
    out[i] = info.itemSize === 8 ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The header's Python literal, parsed without eval

/** A Python literal: str, int (bigint, to tell it from a float), float, bool, None, tuple or list, dict. */
type PyValue = string | bigint | number | boolean | null | PyValue[] | Map<string, PyValue>;

function parseHeaderDict(text: string, fail: Fail): Map<string, PyValue> {
  const parser = new LiteralParser(text, fail);
  const value = parser.parseValue(0);
  parser.expectEnd();
  if (!(value instanceof Map)) return fail(`header is not a dict: ${snippet(text)}`);
  return value;
}

/** Recursive descent over the subset of Python literals that .npy headers use. */
class LiteralParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly fail: Fail,
  ) {}

  parseValue(depth: number): PyValue {
    if (depth > MAX_HEADER_DEPTH) this.error('nesting too deep');
    const c = this.peek();
    if (c === '{') return this.parseDict(depth);
    if (c === '(' || c === '[') return this.parseSequence(depth);
    if (c === "'" || c === '"') return this.parseString();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return this.parseNumber();
    return this.parseWord();
  }

  expectEnd(): void {
    if (this.peek() !== '') this.error('unexpected text after the dict');
  }

  private parseDict(depth: number): Map<string, PyValue> {
    const dict = new Map<string, PyValue>();
    this.pos++; // '{'
    while (this.peek() !== '}') {
      const key = this.parseValue(depth + 1);
      if (typeof key !== 'string') this.error('dict key is not a string');
      if (dict.has(key)) this.error(`duplicate key '${key}'`);
      this.expect(':');
      dict.set(key, this.parseValue(depth + 1));
      if (!this.comma('}')) break;
    }
    this.expect('}');
    return dict;
  }

  /** A tuple or list; `(x)` without a comma is just x, as in Python. */
  private parseSequence(depth: number): PyValue {
    const open = this.text[this.pos++]!;
    const close = open === '(' ? ')' : ']';
    const items: PyValue[] = [];
    let sawComma = false;
    while (this.peek() !== close) {
      items.push(this.parseValue(depth + 1));
      if (!this.comma(close)) break;
      sawComma = true;
    }
    this.expect(close);
    return open === '(' && items.length === 1 && !sawComma ? items[0]! : items;
  }

  /** Consumes a ',' if there is one; false when the next token must be `close`. */
  private comma(close: string): boolean {
    const c = this.peek();
    if (c === ',') {
      this.pos++;
      return true;
    }
    if (c !== close) this.error(`expected ',' or '${close}'`);
    return false;
  }

  private parseString(): string {
    const quote = this.text[this.pos++]!;
    let value = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === '\n') return this.error('unterminated string');
      if (c === quote) return value;
      if (c === '\\') {
        const escaped = this.text[this.pos++] ?? '';
        value += ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[escaped] ?? escaped;
      } else {
        value += c;
      }
    }
  }

  private parseNumber(): bigint | number {
    // Python 2 wrote long integers with an 'L' suffix, e.g. (3L, 3L); NumPy still reads them.
    const match = /^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?[lL]?/.exec(this.text.slice(this.pos));
    if (!match) return this.error('malformed number');
    this.pos += match[0].length;
    const literal = match[0].replace(/[lL]$/, '');
    return match[1] !== undefined || match[2] !== undefined ? Number(literal) : BigInt(literal);
  }

  private parseWord(): boolean | null {
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos))?.[0];
    const values: Record<string, boolean | null> = { True: true, False: false, None: null };
    if (word === undefined || !(word in values)) return this.error('unexpected token');
    this.pos += word.length;
    return values[word]!;
  }

  /** The next non-blank character ('' at the end), skipping the blanks. */
  private peek(): string {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
    return this.text[this.pos] ?? '';
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.error(`expected '${c}'`);
    this.pos++;
  }

  private error(problem: string): never {
    const at = this.pos < this.text.length ? `at offset ${this.pos}` : 'at the end';
    return this.fail(`header is not a valid Python dict literal (${problem} ${at}): ${snippet(this.text)}`);
  }
}

/** The header on one line, shortened, for error messages. */
function snippet(text: string): string {
  const oneLine = JSON.stringify(text.trim());
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}

/** Python's repr of a literal, for error messages. */
function formatPy(value: PyValue): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `'${k}': ${formatPy(v)}`).join(', ')}}`;
  if (Array.isArray(value)) return formatTuple(value.map(formatPy));
  // Python shows floats with a decimal point: tell (3.0,) from (3,).
  return typeof value === 'number' && Number.isInteger(value) ? `${value}.0` : String(value);
}

function formatTuple(items: string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

function formatShape(shape: readonly number[]): string {
  return formatTuple(shape.map(String));
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The bytes of an .npy file holding `data` with the given C-order `shape` (`[]` for a scalar),
 * identical to what `numpy.save` writes: version 1.0, or 2.0 when the header is too long for it.
 */
export function serializeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const info = dtypeOfArray(data);
  checkWriteShape(data.length, shape);
  const header = headerText(info, shape);
  // Version 1.0 stores the header length in a uint16; longer headers need version 2.0.
  const v1 = wrapHeader(header, 1);
  const prefix = v1.headerLength <= 0xffff ? v1 : wrapHeader(header, 2);
  const out = new Uint8Array(prefix.dataOffset + data.byteLength);
  writePreamble(out, prefix);
  encodeData(data, out.subarray(prefix.dataOffset));
  return out;
}

function dtypeOfArray(data: NpyData): DtypeInfo {
  const dtype: NpyDtype | undefined =
    data instanceof Float64Array ? 'float64'
      : data instanceof Float32Array ? 'float32'
      : data instanceof Int8Array ? 'int8'
      : data instanceof Uint8Array ? 'uint8'
      : undefined;
  const info = DTYPES.find((d) => d.dtype === dtype);
  if (!info) {
    const kind = (data as object | null)?.constructor?.name ?? String(data);
    throw new JsyncInputError(`serializeNpy: ${kind} is not supported; accepted: Float64Array, Float32Array, Int8Array, Uint8Array`);
  }
  return info;
}

function checkWriteShape(length: number, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new JsyncInputError(`serializeNpy: shape ${JSON.stringify(shape)} is not valid: entries must be non-negative integers`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== length) {
    throw new JsyncInputError(`serializeNpy: data has ${length} elements but shape ${formatShape(shape)} needs ${count}`);
  }
}

/** The dict as NumPy writes it: keys sorted, trailing ', ', room for the first axis to grow. */
function headerText(info: DtypeInfo, shape: readonly number[]): string {
  const dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  const growth = shape.length > 0 ? GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length : 0;
  return dict + ' '.repeat(Math.max(growth, 0));
}

interface Preamble {
  version: 1 | 2;
  /** The padded header's length, newline included, as stored in the file. */
  headerLength: number;
  /** The header text, padded with spaces and ended by '\n'. */
  header: string;
  dataOffset: number;
}

/** Pads the header so that the data starts at a multiple of ARRAY_ALIGN (NumPy's rule). */
function wrapHeader(header: string, version: 1 | 2): Preamble {
  const prefixLength = MAGIC.length + 2 + (version === 1 ? 2 : 4);
  const unpadded = prefixLength + header.length + 1; // + '\n'
  // Like NumPy: an already aligned header still gets a full ARRAY_ALIGN of spaces.
  const padding = ARRAY_ALIGN - (unpadded % ARRAY_ALIGN);
  const padded = `${header}${' '.repeat(padding)}\n`;
  return { version, headerLength: padded.length, header: padded, dataOffset: prefixLength + padded.length };
}

function writePreamble(out: Uint8Array, prefix: Preamble): void {
  out.set(MAGIC, 0);
  out[6] = prefix.version;
  out[7] = 0;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (prefix.version === 1) view.setUint16(8, prefix.headerLength, true);
  else view.setUint32(8, prefix.headerLength, true);
  const start = prefix.dataOffset - prefix.headerLength;
  // The header is ASCII, so its UTF-8 bytes are its latin-1 bytes.
  out.set(new TextEncoder().encode(prefix.header), start);
}

function encodeData(data: NpyData, out: Uint8Array): void {
  if (HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float64Array) view.setFloat64(8 * i, data[i]!, true);
    else view.setFloat32(4 * i, data[i]!, true);
  }
}
