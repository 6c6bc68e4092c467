/**
 * The CLI's file edge (Node only): .npy in, .npy out, atomically. Nothing here is imported by
 * the library's numeric path.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { EstimateSource, FloatArray } from '../backend.js';
import { JsyncInputError } from '../errors.js';
import { parseNpyHeader, serializeNpy, type NpyData } from '../npy.js';

/**
 * An .npy file of estimates, opened and its header checked (dtype float64 or float32, shape
 * (P, 3, 3) or (P, 9), data length); nothing of the data read yet.
 */
export interface EstimateFile extends EstimateSource {
  /** The file's shape, (P, 3, 3) or (P, 9): `jsync sync` writes its output in it. */
  shape: number[];
  close(): Promise<void>;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy itself refuses headers over 10 000 bytes by default; this leaves room. */
const MAX_HEADER_BYTES = 2 ** 20;

/** Every platform Node runs on is little-endian, as .npy data is; typed arrays use the host's order. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function cannotRead(path: string, error: unknown): JsyncInputError {
  if (error instanceof JsyncInputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new JsyncInputError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
}

/** Reads bytes [position, position + target.length) of the file into target; false at an early end. */
async function readFully(file: FileHandle, target: Uint8Array, position: number): Promise<boolean> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await file.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/**
 * Reads into `target` in this many pieces at once. Reading is mostly the kernel touching fresh
 * pages of the target (~3 ms per MB on this VM); pieces let Node's I/O threads do that on
 * every core.
 */
const READ_PIECES = 4;
/** Below this, one piece. */
const PIECE_MIN_BYTES = 8 * 2 ** 20;

/** readFully in parallel pieces; false at an early end of the file. */
async function readInPieces(file: FileHandle, target: Uint8Array, position: number): Promise<boolean> {
  const pieces = Math.max(1, Math.min(READ_PIECES, Math.floor(target.length / PIECE_MIN_BYTES)));
  const size = Math.ceil(target.length / pieces);
  const reads = Array.from({ length: pieces }, (_, k) =>
    readFully(file, target.subarray(k * size, Math.min(target.length, (k + 1) * size)), position + k * size),
  );
  return (await Promise.all(reads)).every(Boolean);
}

/** Opens an .npy file of estimates and checks its header; the data is read by `read`. */
export async function openEstimates(path: string): Promise<EstimateFile> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const size = (await file.stat()).size;
    // The preamble says how long the header is (v1: uint16 at byte 8; v2, v3: uint32). Only an
    // .npy preamble is believed, and only up to MAX_HEADER_BYTES: otherwise the parser sees
    // the preamble alone and says what is wrong.
    const preamble = new Uint8Array(Math.min(size, 12));
    await readFully(file, preamble, 0);
    const view = new DataView(preamble.buffer);
    const isNpy = preamble.length === 12 && NPY_MAGIC.every((byte, k) => preamble[k] === byte);
    const headerEnd = !isNpy ? preamble.length : preamble[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
    if (headerEnd > MAX_HEADER_BYTES) throw new JsyncInputError(`${path}: an .npy header of ${headerEnd} bytes is not plausible (at most ${MAX_HEADER_BYTES})`);
    const head = new Uint8Array(Math.min(size, headerEnd));
    await readFully(file, head, 0);
    const header = parseNpyHeader(head, path, size, ['float64', 'float32']);
    const shape = header.shape;
    const ok = (shape.length === 3 && shape[1] === 3 && shape[2] === 3) || (shape.length === 2 && shape[1] === 9);
    if (!ok) throw new JsyncInputError(`${path}: shape (${shape.join(', ')}) is not (P, 3, 3) or (P, 9)`);
    if (!HOST_LITTLE_ENDIAN) throw new Error('this platform is big-endian: read the file with parseNpy instead');
    const opened = file;
    const dtype = header.dtype as 'float64' | 'float32'; // the only ones accepted above
    return {
      pairs: shape[0],
      shape,
      dtype,
      async read(target: FloatArray, firstPair = 0): Promise<void> {
        const pairBytes = 9 * target.BYTES_PER_ELEMENT;
        const offset = firstPair * pairBytes;
        if (target.BYTES_PER_ELEMENT !== (dtype === 'float32' ? 4 : 8) || offset + target.byteLength > header.dataBytes || target.length % 9 !== 0) {
          throw new Error(`${path}: a target of ${target.byteLength} bytes from pair ${firstPair} does not fit ${header.dataBytes} bytes of ${dtype} data`);
        }
        try {
          const complete = await readInPieces(opened, new Uint8Array(target.buffer, target.byteOffset, target.byteLength), header.dataOffset + offset);
          if (!complete) throw new JsyncInputError(`${path}: truncated data: the file became shorter while it was read`);
        } catch (error) {
          throw cannotRead(path, error);
        }
      },
      // Closing cannot fail in a way the caller could act on; it must not hide the run's error.
      close: () => opened.close().catch(() => undefined),
    };
  } catch (error) {
    await file?.close();
    throw cannotRead(path, error);
  }
}

export interface PendingOutput {
  path: string;
  data: NpyData;
  shape: number[];
}

/**
 * Writes every output to a temporary file beside it, then renames them all into place: a
 * failure leaves neither partial files nor a mix of old and new outputs.
 */
export function writeOutputsAtomically(outputs: PendingOutput[]): void {
  const temps: string[] = [];
  try {
    for (const output of outputs) {
      // Unique enough with the process id, and 'wx' never replaces a file that exists. (Not
      // node:crypto's randomBytes: importing node:crypto costs every run ~5 ms at start.)
      const temp = `${output.path}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
      temps.push(temp);
      writeFileSync(temp, serializeNpy(output.data, output.shape), { flag: 'wx' });
    }
    outputs.forEach((output, k) => renameSync(temps[k], output.path));
  } catch (error) {
    for (const temp of temps) rmSync(temp, { force: true });
    const failed = error as NodeJS.ErrnoException;
    // File-system refusals are the user's to fix (exit 2); anything else is ours.
    if (typeof failed.code !== 'string') throw error;
    // Name the output asked for, not the temporary file beside it that failed first.
    const output = outputs.find((o, k) => failed.path === temps[k] || failed.path === o.path)?.path ?? failed.path ?? 'output';
    const reason = failed.code === 'ENOENT' ? 'no such directory' : failed.code === 'EACCES' ? 'permission denied' : failed.code;
    throw new JsyncInputError(`cannot write ${output}: ${reason}`);
  }
}

/** A failed run must not leave an earlier run's output where this one's was asked for. */
export function removeStaleOutputs(paths: Array<string | undefined>): void {
  for (const path of paths) if (path) rmSync(path, { force: true });
}
