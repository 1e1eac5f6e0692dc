/** Small helpers shared by the benchmarks: timing, percentiles, and running a command repeatedly. */
import { spawnSync } from 'node:child_process';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Wall time of a command, in ms, as the median of `runs` runs after one warm-up. */
export function timeCommand(
  command: string,
  args: readonly string[],
  runs = 10,
  env: NodeJS.ProcessEnv = {},
): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const result = spawnSync(command, args, { stdio: 'ignore', env: { ...process.env, ...env } });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
    if (i > 0) times.push(elapsed);
  }
  return median(times);
}

export function row(label: string, value: string): void {
  console.log(`${label.padEnd(48)} ${value}`);
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
