/**
 * Before and after: the command line of another commit against this working tree, run in
 * turns on the same input, so that both see the same (shared, noisy) machine. Reports each
 * side's median and the ratio, and checks that both wrote the same signs.
 *
 *   npm run bench:compare -- <git ref> [--n 1000] [--threads 2] [--rounds 5]
 *
 * The ref is checked out into a temporary git worktree and built there with this checkout's
 * node_modules; nothing is written into the repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { n: { type: 'string', default: '1000' }, threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' } },
});
const ref = positionals[0];
if (!ref) {
  console.error('usage: npm run bench:compare -- <git ref> [--n N] [--threads T] [--rounds R]');
  process.exit(2);
}
const n = Number(values.n);
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jsync-compare-'));
const before = join(work, 'before');

interface Sample {
  wall: number;
  total: number;
  classify: number;
  iterate: number;
}

function run(tree: string, input: string, output: string): Sample {
  const started = performance.now();
  const out = execFileSync(process.execPath, [join(tree, 'bin/jsync.js'), 'run', input, '--out', output, '--threads', String(threads), '--json']);
  const wall = (performance.now() - started) / 1000;
  const { seconds } = JSON.parse(out.toString());
  return { wall, total: seconds.total, classify: seconds.classify, iterate: seconds.iterate };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

try {
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', before, ref], { stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(before, 'node_modules'));
  console.log(`building ${ref} in ${before} …`);
  execFileSync('npm', ['run', 'build'], { cwd: before, stdio: 'ignore' });
  const input = join(work, 'input.npy');
  execFileSync(process.execPath, [join(root, 'bin/jsync.js'), 'generate', '--n', String(n), '--seed', '3', '--noise-deg', '5', '--outliers', '0.2', '--out', input]);

  const sides = [
    { name: ref, tree: before, output: join(work, 'before.npy'), samples: [] as Sample[] },
    { name: 'working tree', tree: root, output: join(work, 'after.npy'), samples: [] as Sample[] },
  ];
  for (let round = 0; round < rounds; round++) {
    for (const side of sides) {
      const sample = run(side.tree, input, side.output);
      side.samples.push(sample);
      console.log(`${side.name.padEnd(14)} wall ${sample.wall.toFixed(3)} s, total ${sample.total.toFixed(3)}, classify ${sample.classify.toFixed(3)}, iterate ${sample.iterate.toFixed(3)}`);
    }
  }
  const same = Buffer.compare(readFileSync(sides[0].output), readFileSync(sides[1].output)) === 0;
  console.log(`\nn = ${n}, ${threads} thread(s), ${rounds} rounds in turns; medians (s):`);
  console.log('| | wall | total | classify | iterate |');
  console.log('|---|---|---|---|---|');
  const medians = sides.map((side) => (['wall', 'total', 'classify', 'iterate'] as const).map((key) => median(side.samples.map((s) => s[key]))));
  sides.forEach((side, k) => console.log(`| ${side.name} | ${medians[k].map((x) => x.toFixed(3)).join(' | ')} |`));
  console.log(`| ratio | ${medians[0].map((x, k) => `${(x / medians[1][k]).toFixed(2)}×`).join(' | ')} |`);
  console.log(`signs ${same ? 'identical' : 'DIFFERENT'}`);
  if (!same) process.exitCode = 1;
} finally {
  try {
    execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', before], { stdio: 'ignore' });
  } catch {
    // Not added (the ref did not check out): the error that stopped us is the one to see.
  }
  rmSync(work, { recursive: true, force: true });
}
