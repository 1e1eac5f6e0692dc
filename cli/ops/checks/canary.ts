/**
 * Replication canaries: an item written in each region at once and polled for in the others, which gives
 * the lag of every pair (shared by `chatctl replication check` and `chatctl health`).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { keys } from '../../../core/datamodel.js';
import type { AwsClients } from '../aws/clients.js';
import { canaryPresent, putCanary } from '../aws/dynamodb.js';
import { describeError } from '../aws/errors.js';
import { sleep } from '../time.js';
import type { LagSample } from './replication-model.js';

/** Canaries live an hour; DynamoDB's TTL removes them. */
export const CANARY_TTL_SECONDS = 3600;

export interface CanaryRoundOptions {
  /** Region keys that write a canary. */
  sources: readonly string[];
  /** Region keys that poll for the canaries (a region does not poll its own). */
  destinations: readonly string[];
  /** When given, only pairs with one of these regions at either end are measured. */
  involving?: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One round: every source writes a canary at the same time; every other destination polls (consistent
 * GetItem) until it appears or the timeout passes. A write that fails yields no samples for that source.
 */
export async function canaryRound(
  clients: AwsClients,
  options: CanaryRoundOptions,
): Promise<{ samples: LagSample[]; writeErrors: Record<string, string> }> {
  const { target } = clients;
  const samples: LagSample[] = [];
  const writeErrors: Record<string, string> = {};
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  // No SDK call may outlive the round, even against a region that accepts and never answers.
  const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs + 1000);
  setMaxListeners(1000, signal);
  await Promise.all(
    options.sources.map(async (source) => {
      const sk = keys.canarySk(source, id);
      const client = await clients.dynamodb(target.region(source).spec.awsRegion);
      const started = performance.now();
      try {
        await putCanary(target, client, { source, sk, ttlSeconds: CANARY_TTL_SECONDS }, signal);
      } catch (error) {
        writeErrors[source] = signal.aborted
          ? `no answer within ${options.timeoutMs} ms`
          : describeError(error);
        return;
      }
      const written = performance.now();
      const deadline = started + options.timeoutMs;
      await Promise.all(
        options.destinations
          .filter((to) => to !== source)
          .filter(
            (to) =>
              !options.involving || options.involving.includes(source) || options.involving.includes(to),
          )
          .map(async (to) => {
            const lagMs = await pollUntilSeen(clients, to, sk, written, deadline, signal);
            samples.push({ from: source, to, lagMs });
          }),
      );
    }),
  );
  return { samples, writeErrors };
}

async function pollUntilSeen(
  clients: AwsClients,
  regionKey: string,
  sk: string,
  since: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const client = await clients.dynamodb(clients.target.region(regionKey).spec.awsRegion);
  for (let attempt = 0; performance.now() < deadline && !signal?.aborted; attempt++) {
    try {
      if (await canaryPresent(clients.target, client, sk, signal)) return performance.now() - since;
    } catch {
      // A failed read is a miss; the deadline bounds the retries.
    }
    // Poll fast at first (lag is usually tens of ms), then back off to spare the replica.
    const wait = attempt < 40 ? 10 : attempt < 80 ? 25 : 100;
    // An abort ends the wait; the loop's condition then ends the polling.
    await sleep(Math.min(wait, Math.max(0, deadline - performance.now())), signal).catch(() => {});
  }
  return undefined;
}
