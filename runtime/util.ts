/** Small helpers of the runtime: time-sortable ids, bounded concurrency, backoff. */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 10 characters of millisecond time, then 16 random ones; sorts by time as a string. */
export function newId(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[bytes[i] % 32];
  return time + random;
}

export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

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
