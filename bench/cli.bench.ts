import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmt, median, row } from './support.js';

/**
 * Runs two commands turn about (A B A B ..., after one warm-up each), so that both see the same machine load;
 * returns each one's median and the median of the pair-by-pair ratios A/B.
 */
export function timeSideBySide(
  a: readonly string[],
  b: readonly string[],
  options: { runs?: number; cwd?: string } = {},
): { a: number; b: number; ratio: number } {
  const times: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  for (let i = 0; i <= (options.runs ?? 10); i++) {
    const pair: number[] = [];
    for (const args of [a, b]) {
      const start = performance.now();
      const result = spawnSync(args[0], args.slice(1), { stdio: 'ignore', cwd: options.cwd });
      if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
      pair.push(performance.now() - start);
    }
    if (i === 0) continue;
    times[0].push(pair[0]);
    times[1].push(pair[1]);
    ratios.push(pair[0] / pair[1]);
  }
  return { a: median(times[0]), b: median(times[1]), ratio: median(ratios) };
}

export async function run(): Promise<void> {
  const bin = resolve('bin/run.js');
  // An operator's project: region list reads and validates its chatctl.json.
  const project = mkdtempSync(join(tmpdir(), 'chatctl-bench-'));
  try {
    spawnSync('node', [bin, 'init'], { cwd: project, stdio: 'ignore' });
    const node = ['node', '-e', '0'];
    const rows: [string, string[], number][] = [
      ['chatctl --help / node -e 0', ['node', bin, '--help'], 2.0],
      ['chatctl region list / node -e 0', ['node', bin, 'region', 'list'], 2.5],
    ];
    for (const [label, command, aim] of rows) {
      const { a, b, ratio } = timeSideBySide(command, node, { cwd: project });
      row(label, `${ratio.toFixed(2)}x  (${fmt(a)} vs ${fmt(b)}, turn about, median of 10; aim <= ${aim}x)`);
    }
    // BENCH_BASELINE=<a built checkout of another commit>: the same commands there, turn about with these.
    const baseline = process.env.BENCH_BASELINE;
    if (!baseline) return;
    const other = resolve(baseline, 'bin/run.js');
    for (const args of [['--help'], ['region', 'list']]) {
      const { a, b, ratio } = timeSideBySide(['node', bin, ...args], ['node', other, ...args], {
        cwd: project,
      });
      row(
        `chatctl ${args.join(' ')}: this / baseline`,
        `${ratio.toFixed(2)}x  (${fmt(a)} vs ${fmt(b)}, turn about)`,
      );
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
