/** Small helpers of the runtime: time-sortable ids (core/message-id.ts), bounded concurrency, backoff. */
export { ID_PATTERN, newId } from '../core/message-id.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` over `items` with at most `limit` in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Exponential backoff with full jitter: a random wait in [base*2^attempt / 2, base*2^attempt]. */
export function backoffMs(attempt: number, baseMs: number): number {
  const ceiling = baseMs * 2 ** attempt;
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}
