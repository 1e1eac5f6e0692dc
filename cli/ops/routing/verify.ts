/** Verifying a routing change: poll TestDNSAnswer from the region's probe subnet until it shows the change. */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { UserError } from '../../../core/errors.js';
import { answerIndex, type DnsAnswer, testDnsFrom } from '../aws/route53.js';
import type { Target } from '../target.js';
import { sleep } from '../time.js';

export interface WaitResult {
  readonly answer: DnsAnswer;
  readonly elapsedMs: number;
  readonly polls: number;
}

/**
 * Polls TestDNSAnswer from a region's subnet until `accept` holds; `elapsedMs` counts from `since` (the moment
 * the change was made). Throws a UserError on timeout, saying what DNS still answers.
 */
export async function waitForAnswer(
  target: Target,
  client: Route53Client,
  options: {
    from: string;
    accept: (answer: DnsAnswer) => boolean;
    describe: string;
    since: number;
    timeoutMs: number;
    signal?: AbortSignal;
    index?: Map<string, string>;
  },
): Promise<WaitResult> {
  const index = options.index ?? (await answerIndex(target, client));
  let polls = 0;
  for (;;) {
    const answer = await testDnsFrom(target, client, options.from, index);
    polls++;
    const now = performance.now();
    if (options.accept(answer)) return { answer, elapsedMs: now - options.since, polls };
    if (now - options.since > options.timeoutMs) {
      throw new UserError(
        `DNS did not ${options.describe} within ${Math.round(options.timeoutMs / 1000)} s: users of ${options.from} still get ${answer.region ?? answer.records.join(', ')}`,
        { hint: 'check the health checks and the regions: chatctl health' },
      );
    }
    await sleep(target.timing.dnsPollMs, options.signal);
  }
}

/** What DNS must answer once a drain or a restore of `key` has taken effect. */
export function shiftAccepted(action: 'drain' | 'restore', key: string): (answer: DnsAnswer) => boolean {
  return action === 'drain' ? (a) => a.region !== undefined && a.region !== key : (a) => a.region === key;
}

/** Waits until DNS shows a drain (users of `key` sent elsewhere) or a restore (sent back to `key`). */
export function verifyShift(
  target: Target,
  client: Route53Client,
  action: 'drain' | 'restore',
  key: string,
  options: { since: number; timeoutMs?: number; signal?: AbortSignal; index?: Map<string, string> },
): Promise<WaitResult> {
  return waitForAnswer(target, client, {
    from: key,
    accept: shiftAccepted(action, key),
    describe:
      action === 'drain' ? `move ${key}'s users to another region` : `send ${key}'s users back to ${key}`,
    since: options.since,
    timeoutMs: options.timeoutMs ?? target.timing.shiftTimeoutMs,
    signal: options.signal,
    index: options.index,
  });
}
