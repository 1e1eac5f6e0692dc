import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fmt, median, row, timeCommand } from './support.js';

/** Runs two commands turn about, so that both see the same machine load; returns each one's median. */
function timeSideBySide(a: readonly string[], b: readonly string[], runs = 10): [number, number] {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i <= runs; i++) {
    for (const [index, args] of [a, b].entries()) {
      const start = performance.now();
      const result = spawnSync('node', args, { stdio: 'ignore' });
      if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
      if (i > 0) times[index].push(performance.now() - start);
    }
  }
  return [median(times[0]), median(times[1])];
}

export async function run(): Promise<void> {
  const node = timeCommand('node', ['-e', '0']);
  const help = timeCommand('node', ['bin/run.js', '--help']);
  const list = timeCommand('node', ['bin/run.js', 'region', 'list']);
  row('node -e 0 (median of 10)', fmt(node));
  row('chatctl --help', `${fmt(help)}  (${(help / node).toFixed(2)}x bare node; aim <= 2.5x)`);
  row('chatctl region list', `${fmt(list)}  (${(list / node).toFixed(2)}x bare node)`);
  // BENCH_BASELINE=<a built checkout of another commit>: the same commands there, turn about with these.
  const baseline = process.env.BENCH_BASELINE;
  if (!baseline) return;
  const other = resolve(baseline, 'bin/run.js');
  for (const args of [['--help'], ['region', 'list']]) {
    const [mine, theirs] = timeSideBySide(['bin/run.js', ...args], [other, ...args]);
    row(
      `chatctl ${args.join(' ')}: this / baseline`,
      `${fmt(mine)} / ${fmt(theirs)}  (${(mine / theirs).toFixed(2)}x, side by side)`,
    );
  }
}
