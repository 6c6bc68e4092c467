/**
 * The CLI's file edge (Node only): .npy in, .npy out, atomically. Nothing here is imported by
 * the library's numeric path.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FloatArray } from '../backend.js';
import { JsyncInputError } from '../errors.js';
import { parseNpy, peekNpyShape, serializeNpy, type NpyData } from '../npy.js';

/** Bytes of a file read first, so that work depending on its header can start early. */
const HEAD_BYTES = 4096;

/**
 * The whole file, in a SharedArrayBuffer where the runtime has one: worker threads then read
 * the estimates in place, in parallel, instead of this thread copying them first. The first
 * bytes go to `onHead`; the rest is read asynchronously, so the event loop keeps running.
 */
async function readShared(path: string, onHead: (head: Uint8Array) => void): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const bytes = new Uint8Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    let offset = 0;
    const readUpTo = async (end: number) => {
      while (offset < end) {
        const { bytesRead } = await file.read(bytes, offset, end - offset, offset);
        if (bytesRead === 0) return false;
        offset += bytesRead;
      }
      return true;
    };
    if (await readUpTo(Math.min(size, HEAD_BYTES))) {
      onHead(bytes.subarray(0, offset));
      await readUpTo(size);
    }
    return bytes.subarray(0, offset);
  } finally {
    await file.close();
  }
}

/**
 * Reads relative-rotation estimates: float32/float64, shape (P, 3, 3) or (P, 9). `onPairs`
 * learns P from the header, before the data is read.
 */
export async function readEstimates(path: string, onPairs: (pairs: number) => void = () => undefined): Promise<FloatArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readShared(path, (head) => {
      const shape = peekNpyShape(head);
      if (shape && shape.length >= 1) onPairs(shape[0]);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JsyncInputError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
  }
  const array = parseNpy(bytes, path);
  if (array.dtype !== 'float64' && array.dtype !== 'float32') {
    throw new JsyncInputError(`${path}: dtype ${array.dtype} is not supported for rotations; save float64 or float32`);
  }
  const shape = array.shape;
  const ok = (shape.length === 3 && shape[1] === 3 && shape[2] === 3) || (shape.length === 2 && shape[1] === 9);
  if (!ok) {
    throw new JsyncInputError(`${path}: shape (${shape.join(', ')}) is not (P, 3, 3) or (P, 9)`);
  }
  return array.data as FloatArray;
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
      const temp = `${output.path}.${randomBytes(6).toString('hex')}.tmp`;
      temps.push(temp);
      writeFileSync(temp, serializeNpy(output.data, output.shape), { flag: 'wx' });
    }
    outputs.forEach((output, k) => renameSync(temps[k], output.path));
  } catch (error) {
    for (const temp of temps) rmSync(temp, { force: true });
    const failed = error as NodeJS.ErrnoException;
    // File-system refusals are the user's to fix (exit 2); anything else is ours.
    if (typeof failed.code !== 'string') throw error;
    throw new JsyncInputError(`cannot write ${failed.path ?? 'output'}: ${failed.code}`);
  }
}

/** A failed run must not leave an earlier run's output where this one's was asked for. */
export function removeStaleOutputs(paths: Array<string | undefined>): void {
  for (const path of paths) if (path) rmSync(path, { force: true });
}
