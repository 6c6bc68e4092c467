/**
 * The `jsync` command line: generate | run | sync | demo | info. Exit status 0 on success,
 * 2 for bad usage or bad input (one line on standard error naming the file and the problem),
 * 1 for internal errors.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { applySigns } from '../apply.js';
import { estimatesArray, pairsOf, type Estimates, type FloatArray } from '../backend.js';
import { JsyncAbortError, JsyncInputError } from '../errors.js';
import { jsync, prewarm, type JsyncResult } from '../jsync.js';
import type { JsyncOptions } from '../options.js';
import { nearestImageCount, tripletCount } from '../pairs.js';
import { probe } from '../probe.js';
import { generateSynthetic } from '../synthetic.js';
import { openEstimates, removeStaleOutputs, writeOutputsAtomically, type PendingOutput } from './files.js';
import { createProgress } from './progress.js';
import { enableRelaxedSimd } from './relaxed-simd.js';

/** Each command's usage lines, in the order `jsync --help` lists them. */
const USAGE = {
  demo: `  jsync demo [--n N] [--seed S] [--outliers Q] [--noise-deg D] [run options]
      J-synchronize a built-in synthetic input and print a summary
      (default n = 1000, 20% outliers, 5° noise).
`,
  run: `  jsync run <rijs.npy> --out <signs.npy> [run options]
      Write the signs (int8, ±1, signs[0] = +1; −1 = J-conjugate that estimate).
`,
  sync: `  jsync sync <rijs.npy> --out <synced.npy> [--signs-out <signs.npy>] [run options]
      Write the J-synchronized estimates (the −1 ones J-conjugated), same dtype and shape.
`,
  generate: `  jsync generate --n N --out <rijs.npy> [--seed S] [--outliers Q] [--noise-deg D]
                 [--j-fraction F] [--dtype float64|float32]
                 [--truth <truth.npy>] [--inlier <inlier.npy>] [--rotations <rots.npy>]
      Synthetic estimates with ground truth (truth: int8, −1 where J-conjugated;
      inlier: uint8; rotations: (n, 3, 3) float64).
`,
  info: `  jsync info [--json]
      What the capability probe found.
`,
};

const RUN_OPTIONS_HELP = `Run options:
  --backend auto|wasm|reference   default auto (Wasm SIMD where available)
  --threads N                     threads (default: all cores for problems over
                                  2 million triplets, else 1; results do not depend on it)
  --epsilon E                     stop when ‖S·v/‖S·v‖ − v‖ < E for the iterate v (the
                                  original's ‖v_k − v_{k−1}‖; default 1e-2)
  --max-iters N                   at most N iterations, one product each (default 1000)
  --init data|random              start vector (default data: never stops on a transient)
  --method lobpcg|power           lobpcg (default): each step the best vector in span{v, S·v,
                                  previous step}, same stopping rule, fewer products (LOBPCG);
                                  power: the original code's power method
  --no-shift                      method power: plain power steps, as the original code
                                  (default: steps shifted by a provably safe multiple of the
                                  identity, same fixed point, fewer iterations)
  --seed S                        seed of the random start vector (default 0)
  --j-weighting                   weight edge signs by 1 − sqrt(best/alt) (ASPIRE's J_weighting)
  --memory-budget BYTES           codes are cached only if they fit (suffixes K, M, G allowed)
  --codes auto|cached|paged|streaming
                                  where triplet codes live (default auto: the fastest that fits)
  --no-relaxed-simd               plain Wasm SIMD kernels (default: the relaxed-SIMD build
                                  where the runtime has it, turned on in Node 20 and 21 by
                                  V8's --experimental-wasm-relaxed-simd; same results)
  --json                          print exactly one JSON object on standard output
`;

const INPUT_HELP = `Input: NumPy .npy, float64 or float32, shape (P, 3, 3) or (P, 9), P = n(n−1)/2, pairs in the
order (0,1), (0,2), …, (0,n−1), (1,2), …  Exit status: 0 ok, 2 bad usage or input, 1 internal,
130 interrupted.
`;

const HELP = `jsync — J-synchronization of cryo-EM relative-rotation estimates

Usage:
${Object.values(USAGE).join('')}
${RUN_OPTIONS_HELP}
${INPUT_HELP}`;

/** `jsync <command> --help`: that command's usage, with the run options where it takes them. */
function commandHelp(command: keyof typeof USAGE): string {
  const runOptions = command === 'run' || command === 'sync' || command === 'demo';
  return `Usage:\n${USAGE[command]}${runOptions ? `\n${RUN_OPTIONS_HELP}` : ''}${command === 'generate' || command === 'info' ? '' : `\n${INPUT_HELP}`}`;
}

type Values = Record<string, string | boolean | undefined>;

const RUN_OPTIONS = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  epsilon: { type: 'string' },
  'max-iters': { type: 'string' },
  init: { type: 'string' },
  method: { type: 'string' },
  'no-shift': { type: 'boolean' },
  seed: { type: 'string' },
  'j-weighting': { type: 'boolean' },
  'memory-budget': { type: 'string' },
  codes: { type: 'string' },
  'no-relaxed-simd': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const GENERATE_OPTIONS = {
  n: { type: 'string' },
  seed: { type: 'string' },
  outliers: { type: 'string' },
  'noise-deg': { type: 'string' },
  'j-fraction': { type: 'string' },
  dtype: { type: 'string' },
} satisfies ParseArgsConfig['options'];

class UsageError extends JsyncInputError {}

function parse(args: string[], options: ParseArgsConfig['options'], positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    // `--epsilon -1`: Node's parser will not take a value that starts with a dash.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const value = args[args.indexOf(ambiguous[1]) + 1];
      throw new UsageError(`${ambiguous[1]}: the value '${value}' starts with a dash: write ${ambiguous[1]}=${value} if it is meant as the value`);
    }
    throw new UsageError(message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
  }
  if (!(parsed.values as Values).help && parsed.positionals.length !== positionals) {
    throw new UsageError(
      positionals === 0 ? `unexpected argument '${parsed.positionals[0]}'` : `expected ${positionals} input file, got ${parsed.positionals.length}`,
    );
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

function number(values: Values, name: string, check: (x: number) => boolean, expected: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const x = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(x) || !check(x)) {
    throw new UsageError(`--${name}: expected ${expected}, got '${text}'`);
  }
  return x;
}

const integer = (x: number) => Number.isSafeInteger(x);

function bytes(values: Values, name: string): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--${name}: expected a number of bytes such as 2G or 512M, got '${text}'`);
  const unit = (match[2] ?? '').toUpperCase()[0];
  const scale = unit ? 1024 ** ('KMGT'.indexOf(unit) + 1) : 1;
  return Math.floor(Number(match[1]) * scale);
}

function choice<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) throw new UsageError(`--${name}: expected ${allowed.join('|')}, got '${text}'`);
  return text as T;
}

function runOptions(values: Values): JsyncOptions {
  const options: JsyncOptions = {};
  const backend = choice(values, 'backend', ['auto', 'wasm', 'reference'] as const);
  if (backend) options.backend = backend;
  const threads = number(values, 'threads', (x) => integer(x) && x >= 1, 'a positive integer');
  if (threads !== undefined) options.threads = threads;
  const epsilon = number(values, 'epsilon', (x) => x > 0, 'a positive number');
  if (epsilon !== undefined) options.epsilon = epsilon;
  const maxIters = number(values, 'max-iters', (x) => integer(x) && x >= 1, 'a positive integer');
  if (maxIters !== undefined) options.maxIters = maxIters;
  const init = choice(values, 'init', ['data', 'random'] as const);
  if (init) options.init = init;
  const method = choice(values, 'method', ['lobpcg', 'power'] as const);
  if (method) options.method = method;
  if (values['no-shift']) options.shift = false;
  const seed = number(values, 'seed', integer, 'an integer');
  if (seed !== undefined) options.seed = seed;
  if (values['j-weighting']) options.jWeighting = true;
  const budget = bytes(values, 'memory-budget');
  if (budget !== undefined) {
    if (!(budget > 0)) throw new UsageError(`--memory-budget: expected a positive number of bytes`);
    options.memoryBudget = budget;
  }
  const codes = choice(values, 'codes', ['auto', 'cached', 'paged', 'streaming'] as const);
  if (codes) options.codes = codes;
  // The relaxed-SIMD kernels need a V8 flag in Node 20 and 21 (relaxed-simd.ts).
  if (values['no-relaxed-simd']) options.relaxedSimd = false;
  else enableRelaxedSimd();
  return options;
}

function requireOut(values: Values, command: string): string {
  const out = values.out;
  if (typeof out !== 'string' || out === '') throw new UsageError(`${command}: --out <file.npy> is required`);
  return out;
}

/**
 * 166167000 → "166,167,000". Not toLocaleString: its first call loads the ICU locale data,
 * ~20 ms of a run's start.
 */
export function groupDigits(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Runs jsync with a progress display on standard error (terminals only) and Ctrl-C abort. */
async function runWithProgress(rijs: Estimates, options: JsyncOptions, io: Io): Promise<JsyncResult> {
  const progress = createProgress(io.stderr, options.epsilon ?? 1e-2);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const n = nearestImageCount(pairsOf(rijs));
  progress.phase(`classifying ${groupDigits(tripletCount(n))} triplets…`);
  try {
    return await jsync(rijs, { ...options, signal: controller.signal, onProgress: (p) => progress.iteration(p) });
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSigint);
  }
}

function summaryJson(result: JsyncResult, extra: Record<string, unknown>): string {
  const { signs: _signs, ...rest } = result;
  // Peak resident memory of this process so far (file buffers, Wasm memory, workers).
  const peakMemoryBytes = process.resourceUsage().maxRSS * 1024;
  return JSON.stringify({ ...extra, ...rest, peakMemoryBytes });
}

/**
 * Entries −1. A plain loop: Int8Array.filter with a callback took ~60 ms of the summary at
 * n = 1000 (P = 499 500), as long as a product.
 */
function countNegative(signs: Int8Array): number {
  let count = 0;
  for (let p = 0; p < signs.length; p++) count += signs[p] < 0 ? 1 : 0;
  return count;
}

function summaryText(result: JsyncResult): string {
  const s = result.seconds;
  return [
    `n = ${result.n} images, ${result.pairs} pairs, ${groupDigits(tripletCount(result.n))} triplets`,
    `backend ${result.backend}${result.relaxedSimd ? ' (relaxed SIMD)' : ''}, ${result.threads} thread(s), products ${result.mode}${result.cached ? ' (codes cached)' : ''}, start ${result.init}, ${result.method === 'power' ? `power method${result.shift ? ' (shifted)' : ''}` : 'LOBPCG steps'}`,
    `${result.iterations} iterations, residual ${result.residual.toExponential(3)}${result.converged ? '' : ' (NOT converged)'}, eigenvalue ${result.eigenvalue.toFixed(4)}`,
    `time: classify ${s.classify.toFixed(3)} s, start ${s.start.toFixed(3)} s, iterate ${s.iterate.toFixed(3)} s, total ${s.total.toFixed(3)} s`,
    `signs: ${countNegative(result.signs)} of ${result.pairs} estimates to J-conjugate`,
    ...result.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

async function commandRun(args: string[], io: Io, sync: boolean): Promise<void> {
  const command = sync ? 'sync' : 'run';
  const extra = sync ? { out: { type: 'string' }, 'signs-out': { type: 'string' } } : { out: { type: 'string' } };
  const { values, positionals } = parse(args, { ...RUN_OPTIONS, ...extra } as ParseArgsConfig['options'], 1);
  if (values.help) return void io.stdout.write(commandHelp(command));
  const out = requireOut(values, command);
  const signsOut = values['signs-out'] as string | undefined;
  const input = positionals[0];
  // An output must never replace the input (a failed run removes its outputs) nor each other.
  const same = (a: string, b: string) => resolve(a) === resolve(b);
  if (same(out, input) || (signsOut && same(signsOut, input))) throw new UsageError(`${command}: an output file is the input file ${input}`);
  if (signsOut && same(signsOut, out)) throw new UsageError(`${command}: --out and --signs-out are the same file`);
  try {
    const options = runOptions(values);
    const file = await openEstimates(input);
    let rijs: FloatArray | undefined;
    let result: JsyncResult;
    try {
      // `run` lets jsync read the data straight into its own memory (it starts reading first,
      // then boots its workers and compiles its kernels); `sync` needs the data afterwards, and
      // gets the workers booting and the kernels compiled while it reads.
      if (sync) {
        await prewarm(nearestImageCount(file.pairs), options);
        rijs = await estimatesArray(file, typeof SharedArrayBuffer === 'function');
      }
      result = await runWithProgress(rijs ?? file, options, io);
    } catch (error) {
      if (error instanceof JsyncInputError && !error.message.startsWith(input)) error.message = `${input}: ${error.message}`;
      throw error;
    } finally {
      await file.close();
    }
    const outputs: PendingOutput[] = [];
    if (rijs) {
      outputs.push({ path: out, data: applySigns(rijs, result.signs), shape: file.shape }); // the input's: (P, 3, 3) or (P, 9)
      if (signsOut) outputs.push({ path: signsOut, data: result.signs, shape: [result.pairs] });
    } else {
      outputs.push({ path: out, data: result.signs, shape: [result.pairs] });
    }
    writeOutputsAtomically(outputs);
    if (values.json) io.stdout.write(summaryJson(result, { input, output: out }) + '\n');
    else io.stdout.write(`${summaryText(result)}\nwrote ${outputs.map((o) => o.path).join(', ')}\n`);
  } catch (error) {
    removeStaleOutputs([out, signsOut]);
    throw error;
  }
}

async function commandGenerate(args: string[], io: Io): Promise<void> {
  const options = {
    ...GENERATE_OPTIONS,
    out: { type: 'string' },
    truth: { type: 'string' },
    inlier: { type: 'string' },
    rotations: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } satisfies ParseArgsConfig['options'];
  const { values } = parse(args, options, 0);
  if (values.help) return void io.stdout.write(commandHelp('generate'));
  const out = requireOut(values, 'generate');
  const extraOutputs = [values.truth, values.inlier, values.rotations] as Array<string | undefined>;
  try {
    const n = number(values, 'n', (x) => integer(x) && x >= 3, 'an integer ≥ 3');
    if (n === undefined) throw new UsageError('generate: --n N is required');
    const data = synthetic(values, n);
    const outputs: PendingOutput[] = [{ path: out, data: data.rijs, shape: [data.pairs, 3, 3] }];
    if (values.truth) outputs.push({ path: values.truth as string, data: data.truth, shape: [data.pairs] });
    if (values.inlier) outputs.push({ path: values.inlier as string, data: data.inlier, shape: [data.pairs] });
    if (values.rotations) outputs.push({ path: values.rotations as string, data: data.rotations, shape: [n, 3, 3] });
    writeOutputsAtomically(outputs);
    io.stderr.write(`jsync: wrote ${outputs.map((o) => o.path).join(', ')} (n = ${n}, ${data.pairs} pairs, ${data.rijs instanceof Float32Array ? 'float32' : 'float64'})\n`);
  } catch (error) {
    removeStaleOutputs([out, ...extraOutputs]);
    throw error;
  }
}

function synthetic(values: Values, n: number) {
  return generateSynthetic({
    n,
    seed: number(values, 'seed', integer, 'an integer') ?? 0,
    outliers: number(values, 'outliers', (x) => x >= 0 && x < 1, 'a fraction in [0, 1)') ?? 0,
    noiseDeg: number(values, 'noise-deg', (x) => x >= 0, 'a number of degrees ≥ 0') ?? 0,
    jFraction: number(values, 'j-fraction', (x) => x >= 0 && x <= 1, 'a fraction in [0, 1]') ?? 0.5,
    dtype: choice(values, 'dtype', ['float64', 'float32'] as const) ?? 'float64',
  });
}

async function commandDemo(args: string[], io: Io): Promise<void> {
  const { values } = parse(args, { ...RUN_OPTIONS, ...GENERATE_OPTIONS }, 0);
  if (values.help) return void io.stdout.write(commandHelp('demo'));
  const n = number(values, 'n', (x) => integer(x) && x >= 3, 'an integer ≥ 3') ?? 1000;
  const defaults: Values = { outliers: '0.2', 'noise-deg': '5', seed: '1' };
  const options = runOptions({ ...values, seed: undefined });
  await prewarm(n, options); // worker threads boot while the input is generated
  const data = synthetic({ ...defaults, ...values }, n);
  const result = await runWithProgress(data.rijs, options, io);
  // Agreement with the ground truth on the inliers, up to the global sign.
  let inliers = 0;
  let agree = 0;
  const global = result.signs[0] * data.truth[0];
  for (let p = 0; p < data.pairs; p++) {
    if (!data.inlier[p]) continue;
    inliers++;
    if (result.signs[p] * data.truth[p] === global) agree++;
  }
  const truth = { inliers, agreeing: agree, fraction: agree / inliers };
  if (values.json) {
    io.stdout.write(summaryJson(result, { input: 'synthetic', synthetic: { n, seed: Number(values.seed ?? defaults.seed), outliers: Number(values.outliers ?? defaults.outliers), noiseDeg: Number(values['noise-deg'] ?? defaults['noise-deg']) }, truth }) + '\n');
  } else {
    io.stdout.write(
      `jsync demo: synthetic input, n = ${n}, ${Number(values.outliers ?? defaults.outliers) * 100}% outliers, ${values['noise-deg'] ?? defaults['noise-deg']}° noise\n` +
        `${summaryText(result)}\n` +
        `ground truth: ${agree} of ${inliers} inlier signs agree (${((100 * agree) / inliers).toFixed(3)}%)\n`,
    );
  }
}

async function commandInfo(args: string[], io: Io): Promise<void> {
  const { values } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 0);
  if (values.help) return void io.stdout.write(commandHelp('info'));
  enableRelaxedSimd(); // as run does by default
  const caps = await probe();
  const info = { jsync: packageVersion(), ...caps };
  if (values.json) return void io.stdout.write(JSON.stringify(info) + '\n');
  const gib = (x: number | null) => (x === null ? 'unknown' : `${(x / 1024 ** 3).toFixed(1)} GiB`);
  io.stdout.write(
    [
      `jsync ${info.jsync} on ${caps.runtime} ${caps.version}`,
      `Wasm SIMD: ${caps.wasmSimd ? 'yes' : 'no'}${caps.wasmSimd ? ' (backend auto = wasm)' : ' (backend auto = reference)'}; relaxed SIMD: ${caps.wasmRelaxedSimd ? 'yes' : 'no'}`,
      `shared Wasm memory (threads): ${caps.sharedMemory ? 'yes' : 'no'}; cross-origin isolated: ${caps.crossOriginIsolated ? 'yes' : 'no'}`,
      `cores: ${caps.cores}`,
      `memory: ${gib(caps.totalMemory)} total, ${gib(caps.availableMemory)} available; default budget ${gib(caps.defaultMemoryBudget)}`,
      'WebGPU: not probed (no WebGPU backend in this version)',
    ].join('\n') + '\n',
  );
}

/** The version in jsync's package.json, two or three levels up (dist/bundle/, dist/ts/cli/ or ts/cli/). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8'));
      if (manifest.name === 'jsync') return manifest.version;
    } catch {
      // not there: try further up
    }
  }
  return 'unknown';
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        await commandRun(rest, io, false);
        return 0;
      case 'sync':
        await commandRun(rest, io, true);
        return 0;
      case 'generate':
        await commandGenerate(rest, io);
        return 0;
      case 'demo':
        await commandDemo(rest, io);
        return 0;
      case 'info':
        await commandInfo(rest, io);
        return 0;
      case '--version':
      case '-v':
        io.stdout.write(`${packageVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io[command === undefined ? 'stderr' : 'stdout'].write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (try: jsync --help)`);
    }
  } catch (error) {
    if (error instanceof JsyncAbortError) {
      io.stderr.write('jsync: aborted\n');
      return 130;
    }
    if (error instanceof JsyncInputError) {
      io.stderr.write(`jsync: ${error.message.split('\n')[0]}\n`);
      return 2;
    }
    io.stderr.write(`jsync: internal error: ${(error as Error)?.stack ?? error}\n`);
    return 1;
  }
}
