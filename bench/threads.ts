/**
 * Threads and scale: `jsync run` (the command line, as a user runs it) at n = 200 … 5000 with
 * 1 and 2 threads — classification and product rates, iterations, end-to-end time, peak
 * memory, mode — appended to bench/RESULTS.md as its own section.
 *
 *   npm run bench:threads              # n = 200, 500, 1000, 2000, 3000, 5000 (≈ 15 minutes)
 *   npm run bench:threads -- 200 1000  # chosen sizes
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tripletCount } from '../ts/pairs.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n >= 3);
const SIZES = sizes.length ? sizes : [200, 500, 1000, 2000, 3000, 5000];
const THREADS = [1, 2];
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/jsync.js`;
const dataDir = `${root}bench/.data/`;

interface Run {
  n: number;
  threads: number;
  mode: string;
  iterations: number;
  classify: number;
  /** The data-built start vector (the power method's first step, in effect). */
  start: number;
  iterate: number;
  total: number;
  wall: number;
  peakMemoryBytes: number;
}

function input(n: number): string {
  mkdirSync(dataDir, { recursive: true });
  const path = `${dataDir}n${n}.npy`;
  if (!existsSync(path)) {
    execFileSync(process.execPath, [bin, 'generate', '--n', String(n), '--seed', '3', '--noise-deg', '5', '--outliers', '0.2', '--out', path]);
  }
  return path;
}

function run(n: number, threads: number): Run {
  const path = input(n);
  const started = performance.now();
  const out = execFileSync(process.execPath, [bin, 'run', path, '--out', `${dataDir}signs.npy`, '--threads', String(threads), '--json'], {
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - started) / 1000;
  const r = JSON.parse(out.toString());
  const result: Run = {
    n, threads, mode: r.mode + (r.relaxedSimd ? ', relaxed SIMD' : ''), iterations: r.iterations, classify: r.seconds.classify, start: r.seconds.start,
    iterate: r.seconds.iterate,
    total: r.seconds.total, wall, peakMemoryBytes: r.peakMemoryBytes,
  };
  console.log(JSON.stringify(result));
  return result;
}

/** Classification plus power method: the computation itself (issue 3's "end to end"). */
const computeSeconds = (r: Run) => r.classify + r.start + r.iterate;

const rate = (n: number, seconds: number) => (seconds > 0 ? `${(tripletCount(n) / seconds / 1e9).toFixed(2)}` : '—');

const runs: Run[] = [];
for (const n of SIZES) for (const threads of THREADS) runs.push(run(n, threads));

const cpu = cpus();
const lines = [
  '## Threads and scale (`npm run bench:threads`)',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; Node ${process.versions.node}.`,
  'Each row is one `jsync run <file> --threads T --json` as a user runs it (process start, .npy',
  'read, J-synchronization to epsilon 1e-2, .npy write); input: synthetic, 20% outliers, 5° noise,',
  'float64. Rates in billions of triplets per second: classification = C(n,3) / classify time,',
  'product = C(n,3) × iterations / iterate time (power-loop overhead included). Classification',
  '+ power method = classify + start vector + iterate: the computation itself, what the issue',
  'calls end to end (no process start, reading, memory set-up or writing). Total = inside',
  '`jsync()` (with `jsync run`, reading the file included). Wall = the whole process. Peak',
  'memory = the maximum resident set of the process.',
  '"relaxed SIMD": the relaxed-SIMD build of the kernels ran (the command line turns it on in',
  'Node 20; same results as the plain SIMD build).',
  '',
  '| n | threads | mode | classify (s) | classify G/s | iterations | iterate (s) | product G/s | classification + power method (s) | total (s) | wall (s) | peak memory |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...runs.map((r) =>
    `| ${r.n} | ${r.threads} | ${r.mode} | ${r.classify.toFixed(2)} | ${rate(r.n, r.classify)} | ${r.iterations} | ${r.iterate.toFixed(2)} | ${rate(r.n, r.iterate / r.iterations)} | ${computeSeconds(r).toFixed(2)} | ${r.total.toFixed(2)} | ${r.wall.toFixed(2)} | ${(r.peakMemoryBytes / 2 ** 30).toFixed(2)} GiB |`,
  ),
  '',
  '| n | speed-up of 2 threads over 1: classification + power method | total | wall |',
  '|---|---|---|---|',
  ...SIZES.map((n) => {
    const one = runs.find((r) => r.n === n && r.threads === 1)!;
    const two = runs.find((r) => r.n === n && r.threads === 2)!;
    return `| ${n} | ${(computeSeconds(one) / computeSeconds(two)).toFixed(2)}× | ${(one.total / two.total).toFixed(2)}× | ${(one.wall / two.wall).toFixed(2)}× |`;
  }),
  '',
];
const results = `${root}bench/RESULTS.md`;
const existing = existsSync(results) ? readFileSync(results, 'utf8') : '# Benchmark results\n\n';
// Replaces its own section (up to the next '## ' heading) and keeps every other.
const marker = '## Threads and scale';
const at = existing.indexOf(marker);
const before = at >= 0 ? existing.slice(0, at) : existing.endsWith('\n\n') ? existing : existing + '\n';
const next = at >= 0 ? existing.indexOf('\n## ', at + marker.length) : -1;
const after = next >= 0 ? existing.slice(next + 1) : '';
writeFileSync(results, before + lines.join('\n') + (after ? '\n' + after : ''));
console.log(`wrote ${results}`);
