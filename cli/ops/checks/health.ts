/**
 * `chatctl health`: every check of every region at once, each bounded by its own timeout, then a verdict.
 * The same code runs against the sandbox and AWS; only the Target differs. The checks themselves are in
 * region.ts, china.ts and replication.ts; the rules that turn them into a verdict in verdict.ts.
 */

import { type AwsClients, openClients } from '../aws/clients.js';
import { assertCredentials } from '../aws/errors.js';
import type { Route53View } from '../aws/route53.js';
import { readRoute53View } from '../aws/route53.js';
import { activeFaults } from '../sandbox/faults.js';
import type { Target } from '../target.js';
import { round, withTimeout } from '../time.js';
import { alarmsCheck, canaryCheck } from './alarms.js';
import { canaryRound } from './canary.js';
import { checkChina } from './china.js';
import { engineCheck } from './engine.js';
import { deepHealthCheck, loadCheck, relayCheck, route53Check, websocketCheck } from './region.js';
import { crossCheckReplicas, replicaCheck, replicationCheckOf } from './replication.js';
import { type LagPair, type LagSample, lagMatrix } from './replication-model.js';
import type { Check } from './timed.js';
import { timed } from './timed.js';
import {
  type ChinaHealth,
  findCheck,
  type HealthResult,
  problemsOf,
  type RegionCheck,
  type RegionHealth,
  regionStatus,
  verdictOf,
} from './verdict.js';

export const DEFAULT_HEALTH_TIMEOUT_MS = 5000;

export interface HealthOptions {
  /** Only this region (the China proxy is then not checked). */
  region?: string;
  /** Each check's own time limit; the whole run takes about this long at most. */
  timeoutMs?: number;
  /** Skip the replication canary (one write per region); on by default. */
  replication?: boolean;
}

/**
 * One canary round for every region at once (only pairs with `region` when one is given), judged into lag
 * pairs. A failed write, or a round that ran out of time, counts as not replicated.
 */
function canaryPairs(
  clients: AwsClients,
  regionKeys: readonly string[],
  region: string | undefined,
  timeoutMs: number,
): Promise<LagPair[]> {
  const pairsOf = (from: string) => regionKeys.filter((to) => to !== from).map((to) => ({ from, to }));
  const canaries: Promise<LagSample[]> = withTimeout(timeoutMs, 'replication canaries', (signal) =>
    canaryRound(clients, {
      sources: regionKeys,
      destinations: regionKeys,
      involving: region ? [region] : undefined,
      // Leave room to report, so the canaries end as "not replicated in time", not as a timeout.
      timeoutMs: Math.max(1, Math.floor(timeoutMs * 0.8)),
      signal,
    }).then((r) => [...r.samples, ...Object.keys(r.writeErrors).flatMap(pairsOf)]),
  ).catch(() =>
    // The round itself ran out of time (a write hung): nothing was seen to replicate.
    regionKeys.flatMap(pairsOf).filter((p) => !region || p.from === region || p.to === region),
  );
  const { lagThresholdMs } = clients.target.topology.replication;
  return canaries.then((samples) =>
    lagMatrix(regionKeys, samples, lagThresholdMs, Math.floor(timeoutMs * 0.8)),
  );
}

export async function runHealth(target: Target, options: HealthOptions = {}): Promise<HealthResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const started = performance.now();
  const all = target.regions();
  const selected = options.region ? [target.region(options.region)] : all;
  const clients = openClients(target);
  // Make the SDK clients first, in parallel, so a check's time limit measures the region, not the import.
  await Promise.all([
    ...[...new Set(all.map((r) => r.spec.awsRegion))].flatMap((r) => [
      clients.dynamodb(r),
      clients.lambda(r),
    ]),
    clients.route53(),
    ...(target.topology.china.enabled && !options.region ? [clients.cloudfront()] : []),
  ]);
  const checksStarted = performance.now();
  const startupMs = round(checksStarted);
  try {
    let route53: Promise<Route53View> | undefined;
    const route53View = () => {
      route53 ??= withTimeout(timeoutMs, 'Route 53 listing', async (signal) =>
        readRoute53View(target, await clients.route53(), signal),
      );
      return route53;
    };
    const regionKeys = all.map((r) => r.spec.key);
    const wantReplication = options.replication !== false && all.length > 1;
    const replicationStarted = performance.now();
    const replicationPairs = wantReplication
      ? canaryPairs(clients, regionKeys, options.region, timeoutMs)
      : Promise.resolve([]);

    const regions = Promise.all(
      selected.map(async (region): Promise<RegionHealth> => {
        const key = region.spec.key;
        const replication: Check<'replication'> = wantReplication
          ? replicationPairs.then((pairs) =>
              replicationCheckOf(key, regionKeys, pairs, round(performance.now() - replicationStarted)),
            )
          : Promise.resolve({ name: 'replication', status: 'skip', detail: 'no other region' });
        const checks = await Promise.all<RegionCheck>([
          websocketCheck(target, region, timeoutMs),
          deepHealthCheck(region, timeoutMs),
          route53Check(clients, region, route53View, timeoutMs),
          timed('replica', timeoutMs, async () => {
            const { name: _name, ...rest } = await replicaCheck(clients, key, timeoutMs);
            return rest;
          }),
          replication,
          relayCheck(clients, region, timeoutMs),
          loadCheck(clients, region, timeoutMs),
          timed('alarms', timeoutMs, async (signal) =>
            alarmsCheck(await clients.cloudwatch(region.spec.awsRegion), target, region, signal),
          ),
          timed('canary', timeoutMs, async (signal) =>
            canaryCheck(await clients.cloudwatch(region.spec.awsRegion), target, region, signal),
          ),
        ]);
        return { key, awsRegion: region.spec.awsRegion, status: regionStatus(checks), checks };
      }),
    );
    const china: Promise<ChinaHealth> = options.region
      ? Promise.resolve({ enabled: target.topology.china.enabled, status: 'skip', checks: [] })
      : checkChina(clients, timeoutMs);
    const engine = target.sandbox ? engineCheck(target.sandbox, timeoutMs) : Promise.resolve(undefined);
    const [checked, chinaResult, engineResult] = await Promise.all([regions, china, engine]);
    // A replica is also judged by how the other regions' tables list it.
    const crossed = crossCheckReplicas(
      checked.map((r) => ({
        key: r.key,
        awsRegion: r.awsRegion,
        check: findCheck(r.checks, 'replica')!,
      })),
    );
    const regionResults = checked.map((region, index) => {
      const checks = region.checks.map((c) => (c.name === 'replica' ? crossed[index] : c));
      return { ...region, checks, status: regionStatus(checks) };
    });
    assertCredentials(
      [...regionResults.flatMap((r) => r.checks), ...chinaResult.checks]
        .filter((c) => c.status === 'fail')
        .map((c) => c.detail),
      'chatctl health',
    );
    const problems = problemsOf(regionResults, chinaResult, {
      target: target.kind,
      chinaOrigin: chinaResult.followsDns
        ? undefined
        : (chinaResult.origin ?? target.topology.china.originRegion),
      // Asked now, not when the target was opened: --watch runs again after faults change.
      sandboxFaults: target.sandbox ? await activeFaults(target.sandbox) : undefined,
    });
    // A dead engine fails every region; it is named first, and nothing serves chat without it.
    const engineDown = engineResult?.status === 'fail';
    if (engineDown) {
      problems.unshift({
        scope: 'sandbox',
        check: 'engine',
        status: 'fail',
        message: engineResult.detail,
        action: engineResult.action ?? '',
      });
    }
    return {
      target: target.kind,
      verdict: engineDown ? 'critical' : verdictOf(regionResults, chinaResult),
      elapsedMs: round(performance.now() - started),
      startupMs,
      checksMs: round(performance.now() - checksStarted),
      timeoutMs,
      regions: regionResults,
      china: chinaResult,
      ...(engineResult ? { engine: engineResult } : {}),
      problems,
    };
  } finally {
    clients.close();
  }
}
