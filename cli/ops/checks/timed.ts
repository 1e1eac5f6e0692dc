/** A check under its own time limit: an exception or a timeout becomes a failed check, never a hang. */
import { describeError } from '../aws/errors.js';
import { round, TimeoutError, withTimeout } from '../time.js';
import type { CheckResult } from './verdict.js';

export type Check<N extends string> = Promise<CheckResult<N>>;

export async function timed<N extends string>(
  name: N,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<Omit<CheckResult<N>, 'name' | 'latencyMs'> & { latencyMs?: number }>,
): Check<N> {
  const started = performance.now();
  try {
    const result = await withTimeout(timeoutMs, name, work);
    return { name, ...result, latencyMs: result.latencyMs ?? round(performance.now() - started) };
  } catch (error) {
    const detail = error instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : describeError(error);
    const hint = (error as { hint?: string }).hint;
    return {
      name,
      status: 'fail',
      latencyMs: round(performance.now() - started),
      detail,
      ...(hint ? { action: hint } : {}),
    };
  }
}
