/**
 * `chatctl replication check`: canary items written in each region and polled in the others (a lag matrix),
 * the replica status of every region, and `--verify ROOM` (a room's partition compared across replicas).
 */
import { ATTR } from '../../../core/datamodel.js';
import { type AwsClients, openClients } from '../aws/clients.js';
import { describeChatTable, roomItems } from '../aws/dynamodb.js';
import { assertCredentials, describeError } from '../aws/errors.js';
import type { Target } from '../target.js';
import { round, withTimeout } from '../time.js';
import { canaryRound } from './canary.js';
import {
  blameRegions,
  comparePartitions,
  type Item,
  itemHash,
  type LagPair,
  type LagSample,
  lagMatrix,
  type PartitionDiff,
  type PartitionSummary,
  type ReplicaPartition,
} from './replication-model.js';
import type { CheckResult, CheckStatus, Problem, Verdict } from './verdict.js';

/** The region's replica of the chat table: present and ACTIVE (DescribeTable in that region). */
export async function replicaCheck(
  clients: AwsClients,
  regionKey: string,
  timeoutMs: number,
): Promise<CheckResult<'replica'>> {
  const { target } = clients;
  const awsRegion = target.region(regionKey).spec.awsRegion;
  const started = performance.now();
  try {
    const out = await withTimeout(timeoutMs, `DescribeTable in ${awsRegion}`, async (signal) =>
      describeChatTable(target, await clients.dynamodb(awsRegion), signal),
    );
    const latencyMs = round(performance.now() - started);
    const tableStatus = out.Table?.TableStatus ?? 'UNKNOWN';
    const replicas = out.Table?.Replicas ?? [];
    // DescribeTable in a replica's own region may list only the other replicas: the region's own status is
    // then its table status, and whether the others know it as a replica is checked across regions
    // (crossCheckReplicas).
    const own = replicas.find((r) => r.RegionName === awsRegion);
    const replicaStatus = own?.ReplicaStatus ?? tableStatus;
    const data = {
      tableStatus,
      replicaStatus,
      replicas: replicas.map((r) => r.RegionName),
      statuses: Object.fromEntries(replicas.map((r) => [r.RegionName, r.ReplicaStatus])),
    };
    if (tableStatus !== 'ACTIVE') {
      return { name: 'replica', status: 'fail', latencyMs, detail: `table ${tableStatus}`, data };
    }
    if (replicaStatus !== 'ACTIVE') {
      return { name: 'replica', status: 'fail', latencyMs, detail: `replica ${replicaStatus}`, data };
    }
    return {
      name: 'replica',
      status: 'ok',
      latencyMs,
      detail: replicas.length ? 'ACTIVE' : 'table ACTIVE (not a global table: no replicas listed)',
      data,
    };
  } catch (error) {
    return {
      name: 'replica',
      status: 'fail',
      latencyMs: round(performance.now() - started),
      detail: describeError(error),
    };
  }
}

/**
 * Each region's replica as the other regions see it: a region missing from (or not ACTIVE in) the replica
 * list that another region's DescribeTable returns fails there, with the regions that disagree.
 */
export function crossCheckReplicas(
  checks: readonly { key: string; awsRegion: string; check: CheckResult<'replica'> }[],
): CheckResult<'replica'>[] {
  return checks.map(({ key, awsRegion, check }) => {
    if (check.status !== 'ok') return check;
    const problems: string[] = [];
    for (const other of checks) {
      if (other.key === key || other.check.status !== 'ok') continue;
      const listed = other.check.data?.replicas ?? [];
      if (listed.length === 0) continue;
      const status = other.check.data?.statuses[awsRegion];
      if (!listed.includes(awsRegion)) problems.push(`not a replica in ${other.key}'s view`);
      else if (status && status !== 'ACTIVE') problems.push(`${status} in ${other.key}'s view`);
    }
    if (problems.length === 0) return check;
    return {
      ...check,
      status: 'fail',
      detail: problems.join('; '),
      action: `add ${awsRegion} as a replica of the table: chatctl deploy (the global data stack)`,
    };
  });
}

export interface VerifyResult {
  roomId: string;
  replicas: PartitionSummary[];
  consistent: boolean;
  differing: PartitionDiff[];
}

/** Every item of the room's partition in one region (Query, paginated, consistent): sort key -> item hash. */
async function readPartition(
  clients: AwsClients,
  regionKey: string,
  roomId: string,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const client = await clients.dynamodb(clients.target.region(regionKey).spec.awsRegion);
  const items = new Map<string, string>();
  for (const item of await roomItems(clients.target, client, roomId, signal)) {
    const sk = item[ATTR.sk]?.S ?? JSON.stringify(item[ATTR.sk]);
    items.set(sk, itemHash(item as unknown as Item));
  }
  return items;
}

export async function verifyRoom(
  clients: AwsClients,
  roomId: string,
  regions: readonly string[],
  timeoutMs: number,
): Promise<VerifyResult> {
  const replicas: ReplicaPartition[] = await Promise.all(
    regions.map(async (region) => {
      try {
        const items = await withTimeout(timeoutMs, `reading room ${roomId} in ${region}`, (signal) =>
          readPartition(clients, region, roomId, signal),
        );
        return { region, items };
      } catch (error) {
        return { region, error: describeError(error) };
      }
    }),
  );
  const { summaries, differing } = comparePartitions(replicas);
  return {
    roomId,
    replicas: summaries,
    consistent: differing.length === 0 && summaries.every((s) => !s.error),
    differing,
  };
}

export interface ReplicationRegion {
  key: string;
  awsRegion: string;
  replica: CheckResult<'replica'>;
  /** Failing pairs point at this region (e.g. its replication is paused). */
  suspect: boolean;
}

export interface ReplicationResult {
  target: 'sandbox' | 'aws';
  verdict: Verdict;
  elapsedMs: number;
  samples: number;
  thresholdMs: number;
  timeoutMs: number;
  regions: ReplicationRegion[];
  pairs: LagPair[];
  /** Sources whose canary write failed, with the error. */
  writeErrors: Record<string, string>;
  verify?: VerifyResult;
  problems: Problem[];
  /** The SVG heat map written with --report. */
  report?: string;
}

export interface ReplicationOptions {
  samples?: number;
  /** Per sample: how long a canary may take to show up elsewhere before the pair is flagged. */
  timeoutMs?: number;
  verifyRoom?: string;
}

export async function checkReplication(
  target: Target,
  options: ReplicationOptions = {},
): Promise<ReplicationResult> {
  const started = performance.now();
  const samples = Math.max(1, options.samples ?? 5);
  const thresholdMs = target.topology.replication.lagThresholdMs;
  const timeoutMs = options.timeoutMs ?? Math.max(5000, thresholdMs * 2);
  const regionKeys = target.regions().map((r) => r.spec.key);
  const clients = openClients(target);
  try {
    const replicaChecks = Promise.all(regionKeys.map((key) => replicaCheck(clients, key, timeoutMs)));
    const all: LagSample[] = [];
    const writeErrors: Record<string, string> = {};
    for (let i = 0; i < samples; i++) {
      const batch = await canaryRound(clients, {
        sources: regionKeys,
        destinations: regionKeys,
        timeoutMs,
      });
      all.push(...batch.samples);
      Object.assign(writeErrors, batch.writeErrors);
    }
    // The sandbox's replication delay model, so a lag is judged against what it was set to (none on AWS).
    const model = target.sandbox?.replication?.lagMs;
    const pairs = lagMatrix(regionKeys, all, thresholdMs, timeoutMs, model);
    const blamed = blameRegions(regionKeys, pairs);
    const replicas = crossCheckReplicas(
      (await replicaChecks).map((check, index) => ({
        key: regionKeys[index],
        awsRegion: target.region(regionKeys[index]).spec.awsRegion,
        check,
      })),
    );
    const verify = options.verifyRoom
      ? await verifyRoom(clients, options.verifyRoom, regionKeys, timeoutMs)
      : undefined;
    const regions: ReplicationRegion[] = regionKeys.map((key, index) => ({
      key,
      awsRegion: target.region(key).spec.awsRegion,
      replica: replicas[index],
      suspect: blamed.has(key),
    }));
    assertCredentials(
      [...Object.values(writeErrors), ...regions.map((r) => r.replica.detail)],
      'chatctl replication check',
    );
    const problems = replicationProblems(regions, pairs, writeErrors, verify);
    return {
      target: target.kind,
      verdict: replicationVerdict(regions, pairs, writeErrors, verify),
      elapsedMs: round(performance.now() - started),
      samples,
      thresholdMs,
      timeoutMs,
      regions,
      pairs,
      writeErrors,
      verify,
      problems,
    };
  } finally {
    clients.close();
  }
}

/** critical: a replica is missing, not ACTIVE or cannot be written; degraded: lag, timeouts or divergence. */
export function replicationVerdict(
  regions: readonly ReplicationRegion[],
  pairs: readonly LagPair[],
  writeErrors: Record<string, string>,
  verify?: VerifyResult,
): Verdict {
  if (regions.some((r) => r.replica.status === 'fail') || Object.keys(writeErrors).length > 0) {
    return 'critical';
  }
  if (pairs.some((p) => p.status !== 'ok') || (verify && !verify.consistent)) return 'degraded';
  return 'healthy';
}

function replicationProblems(
  regions: readonly ReplicationRegion[],
  pairs: readonly LagPair[],
  writeErrors: Record<string, string>,
  verify?: VerifyResult,
): Problem[] {
  const problems: Problem[] = [];
  const push = (scope: string, check: string, status: CheckStatus, message: string, action: string) => {
    if (status === 'warn' || status === 'fail') problems.push({ scope, check, status, message, action });
  };
  for (const region of regions) {
    push(
      region.key,
      'replica',
      region.replica.status,
      `replica: ${region.replica.detail}`,
      region.replica.action ?? 'check the Global Table in the console or redeploy: chatctl deploy',
    );
    if (region.suspect) {
      push(
        region.key,
        'lag',
        'fail',
        'every replication pair in or out of this region fails',
        `its replication looks paused or broken; check the replica and its stream (sandbox: chatctl sandbox heal ${region.key})`,
      );
    }
  }
  for (const [source, error] of Object.entries(writeErrors)) {
    push(
      source,
      'canary',
      'fail',
      `the canary write failed: ${error}`,
      'the replica does not take writes: check the table in that region',
    );
  }
  for (const pair of pairs) {
    push(
      `${pair.from}->${pair.to}`,
      'lag',
      pair.status,
      pair.detail,
      pair.status === 'fail'
        ? 'wait and run again; if it stays, look at the ReplicationLatency metric and the replica in each region'
        : 'replication is slow: watch ReplicationLatency; a write burst or a region issue may be the cause',
    );
  }
  if (verify) {
    for (const replica of verify.replicas) {
      if (replica.error)
        push(replica.region, 'verify', 'fail', `could not read the room: ${replica.error}`, 'run again');
    }
    for (const diff of verify.differing.slice(0, 20)) {
      const parts = [
        diff.missingIn.length ? `missing in ${diff.missingIn.join(', ')}` : '',
        diff.differsIn.length ? `differs in ${diff.differsIn.join(', ')}` : '',
      ].filter(Boolean);
      push(
        'room',
        'verify',
        'fail',
        `${diff.sk}: ${parts.join('; ')}`,
        'if replication was paused, wait for it to catch up and verify again',
      );
    }
  }
  return problems;
}

/** The replication check of one region, from a shared canary round: failing pairs are blamed on a region. */
export function replicationCheckOf(
  key: string,
  regionKeys: readonly string[],
  pairs: readonly LagPair[],
  latencyMs: number,
): CheckResult<'replication'> {
  const mine = pairs.filter((p) => p.from === key || p.to === key);
  if (mine.length === 0) return { name: 'replication', status: 'skip', detail: 'no other region' };
  const blamed = blameRegions(regionKeys, pairs);
  const lags = mine.flatMap((p) => (p.maxMs === undefined ? [] : [p.maxMs]));
  const max = lags.length ? Math.max(...lags) : undefined;
  const bad = mine.filter((p) => p.status !== 'ok');
  const describe = (p: LagPair) => `${p.from}->${p.to} ${p.detail}`;
  const data = {
    pairs: mine.map((p) => ({ from: p.from, to: p.to, lagMs: p.maxMs, status: p.status })),
  };
  if (bad.length > 0 && blamed.has(key)) {
    const worst = bad.some((p) => p.status === 'fail') ? 'fail' : 'warn';
    const isolated = mine.every((p) => p.status === 'fail');
    // Each slow pair is told once: under its source, or under its destination when the source is not blamed.
    const shown = bad.filter((p) => p.from === key || !blamed.has(p.from));
    return {
      name: 'replication',
      status: worst,
      latencyMs: max ?? latencyMs,
      detail: isolated
        ? `every pair in and out of ${key} fails: ${bad[0].detail}`
        : (shown.length ? shown : bad).map(describe).join('; '),
      action: `see: chatctl replication check${isolated ? ` (replication of ${key} looks paused or broken)` : ''}`,
      data,
    };
  }
  const elsewhere = bad.length
    ? `; pairs with ${[...new Set(bad.flatMap((p) => [p.from, p.to]))].filter((r) => r !== key).join(', ')} fail there`
    : '';
  return {
    name: 'replication',
    status: 'ok',
    latencyMs: max ?? latencyMs,
    detail: `max lag ${max ?? '-'} ms${elsewhere}`,
    data,
  };
}
