/**
 * Small helpers of the runtime: time-sortable ids (core/message-id.ts), bounded concurrency, backoff, the AWS
 * clients' logger.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export { ID_PATTERN, newId } from '../core/message-id.js';

type SdkLogger = NonNullable<DynamoDBClientConfig['logger']>;

/**
 * The logger of every AWS client the runtime makes. The SDK's logger middleware calls `logger?.info?.(...)`
 * after each command (and `logger?.error?.(...)` on a failure) with a copy of the input and output redacted
 * by walking their schemas; its default logger is a no-op that has those methods, so every call paid for two
 * copies nobody read (about 8% of the SDK's CPU per call; docs/protocol.md, Cost of a send). Without `info`
 * and `error` the optional calls skip building their arguments; the SDK calls the other methods with `?.` or
 * directly, so they stay, as no-ops like the default's.
 */
export const SDK_LOGGER = {
  trace() {},
  debug() {},
  warn() {},
} as unknown as SdkLogger;

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
