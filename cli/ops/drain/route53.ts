/**
 * Route 53 as the drain, restore and drill commands use it: each region's health check (found by its caller
 * reference), its status, inverting it, and TestDNSAnswer from a region's probe subnet to see where the
 * latency record sends that region's users.
 */
import {
  GetHealthCheckStatusCommand,
  type HealthCheck,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
  TestDNSAnswerCommand,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion } from '../../../core/topology.js';
import { explainAwsError } from '../aws-errors.js';
import type { Target } from '../target.js';
import type { RegionRoutingState } from './safety.js';

export function route53(target: Target): Route53Client {
  return new Route53Client(target.globalClientConfig());
}

export function hostedZoneId(target: Target): string {
  return target.sandbox?.hostedZoneId ?? target.topology.hostedZone.id;
}

export async function listHealthChecks(client: Route53Client): Promise<HealthCheck[]> {
  const out: HealthCheck[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await client
      .send(new ListHealthChecksCommand({ Marker: marker, MaxItems: 100 }))
      .catch((error) => Promise.reject(explainAwsError(error, 'listing Route 53 health checks')));
    out.push(...(page.HealthChecks ?? []));
    if (!page.IsTruncated || !page.NextMarker) return out;
    marker = page.NextMarker;
  }
}

/**
 * The health check of each region. Found by caller reference (the sandbox and checks made by hand carry
 * names.healthCheckReference), else by the HealthCheckId of the region's latency record: CloudFormation
 * gives its checks random caller references, and the record's check is the one that steers traffic anyway.
 */
export function healthChecksByRegion(
  target: Target,
  checks: readonly HealthCheck[],
  records: readonly ResourceRecordSet[] = [],
): Map<string, HealthCheck> {
  const out = new Map<string, HealthCheck>();
  for (const region of target.topology.regions) {
    const reference = names.healthCheckReference(target.topology, region.key);
    const recordCheckId = records.find((r) => r.SetIdentifier === region.key)?.HealthCheckId;
    const found =
      checks.find((c) => c.CallerReference === reference) ??
      (recordCheckId ? checks.find((c) => c.Id === recordCheckId) : undefined);
    if (found) out.set(region.key, routingParent(found, checks));
  }
  return out;
}

/**
 * The check that steers traffic: a check that is a child of a CALCULATED one (the /health check under the
 * canary's calculated check, stacks/canary.ts) gives way to its parent, so drain inverts the parent.
 */
export function routingParent(check: HealthCheck, checks: readonly HealthCheck[]): HealthCheck {
  const parent = checks.find(
    (c) =>
      c.HealthCheckConfig?.Type === 'CALCULATED' &&
      c.HealthCheckConfig.ChildHealthChecks?.includes(check.Id ?? ''),
  );
  return parent ? routingParent(parent, checks) : check;
}

export async function findHealthCheck(
  target: Target,
  client: Route53Client,
  key: string,
): Promise<HealthCheck> {
  findRegion(target.topology, key);
  const [checks, records] = await Promise.all([listHealthChecks(client), chatRecordSets(target, client)]);
  const check = healthChecksByRegion(target, checks, records).get(key);
  if (!check?.Id) {
    throw new UserError(
      `no Route 53 health check for region "${key}" (neither caller reference ${names.healthCheckReference(target.topology, key)} nor one on its latency record)`,
      { hint: 'is the region deployed? run: chatctl health (or chatctl deploy)' },
    );
  }
  return check;
}

/**
 * A CALCULATED check has no status of its own to read (GetHealthCheckStatus refuses it): it is healthy when at
 * least HealthThreshold of its children are. Other checks: healthCheckHealthy.
 */
export async function checkHealthy(
  client: Route53Client,
  check: HealthCheck,
  all: readonly HealthCheck[],
): Promise<boolean> {
  const config = check.HealthCheckConfig;
  if (config?.Type !== 'CALCULATED') return healthCheckHealthy(client, check.Id!);
  const children = (config.ChildHealthChecks ?? []).map((id) => all.find((c) => c.Id === id));
  const healthy = await Promise.all(
    children.map(async (child) => {
      if (!child?.Id) return false;
      if (child.HealthCheckConfig?.Disabled) return true;
      return (await checkHealthy(client, child, all)) !== (child.HealthCheckConfig?.Inverted === true);
    }),
  );
  return healthy.filter(Boolean).length >= (config.HealthThreshold ?? children.length);
}

/** Most checkers' latest observation succeeds (Route 53 counts a region healthy when > 18% agree; we ask for most). */
export async function healthCheckHealthy(client: Route53Client, healthCheckId: string): Promise<boolean> {
  const status = await client
    .send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }))
    .catch((error) => Promise.reject(explainAwsError(error, `reading health check ${healthCheckId}`)));
  const observations = status.HealthCheckObservations ?? [];
  if (observations.length === 0) return false;
  const ok = observations.filter((o) => /^Success/i.test(o.StatusReport?.Status ?? '')).length;
  return ok * 2 > observations.length;
}

export interface RegionRouting extends RegionRoutingState {
  readonly healthCheckId?: string;
}

/** Every region's routing state, read in parallel. A region without a health check is reported unhealthy. */
export async function readRoutingStates(target: Target, client = route53(target)): Promise<RegionRouting[]> {
  const [all, records] = await Promise.all([listHealthChecks(client), chatRecordSets(target, client)]);
  const checks = healthChecksByRegion(target, all, records);
  return Promise.all(
    target.topology.regions.map(async (region): Promise<RegionRouting> => {
      const check = checks.get(region.key);
      if (!check?.Id) return { key: region.key, healthy: false, inverted: false };
      return {
        key: region.key,
        healthCheckId: check.Id,
        healthy: await checkHealthy(client, check, all),
        inverted: check.HealthCheckConfig?.Inverted === true,
        disabled: check.HealthCheckConfig?.Disabled === true,
      };
    }),
  );
}

export async function setInverted(
  client: Route53Client,
  check: HealthCheck,
  inverted: boolean,
): Promise<void> {
  await client
    .send(new UpdateHealthCheckCommand({ HealthCheckId: check.Id, Inverted: inverted }))
    .catch((error) =>
      Promise.reject(
        explainAwsError(error, `${inverted ? 'inverting' : 'reverting'} health check ${check.Id}`),
      ),
    );
}

/** The latency record's record sets (one per region, SetIdentifier = region key). */
export async function chatRecordSets(target: Target, client: Route53Client): Promise<ResourceRecordSet[]> {
  const name = `${names.chatRecord(target.topology)}.`;
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = { name };
  for (;;) {
    const page = await client
      .send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId(target),
          StartRecordName: start.name,
          StartRecordType: start.type as never,
          StartRecordIdentifier: start.id,
        }),
      )
      .catch((error) => Promise.reject(explainAwsError(error, 'listing the chat record sets')));
    const sets = page.ResourceRecordSets ?? [];
    for (const set of sets) {
      if ((set.Name ?? '').replace(/\.?$/, '.').toLowerCase() === name.toLowerCase()) out.push(set);
    }
    const leftName = sets.some(
      (s) => (s.Name ?? '').replace(/\.?$/, '.').toLowerCase() !== name.toLowerCase(),
    );
    if (!page.IsTruncated || leftName) return out;
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
  }
}

/** An alias record has no TTL of its own; Route 53 answers it with its target's (60 s for API Gateway). */
const ALIAS_TTL_SECONDS = 60;

/** The TTL resolvers cache the region's latency answer for. */
export async function chatRecordTtl(
  target: Target,
  client: Route53Client,
  regionKey: string,
): Promise<number> {
  const sets = await chatRecordSets(target, client);
  const set = sets.find((s) => s.SetIdentifier === regionKey && (s.Type === 'A' || s.Type === 'AAAA'));
  return set?.TTL ?? ALIAS_TTL_SECONDS;
}

const norm = (value: string) => value.toLowerCase().replace(/\.$/, '');

/** Maps the values of each region's latency record (IPs, or an alias target's name and its addresses) to the key. */
export async function answerIndex(target: Target, client: Route53Client): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  const keys = new Set(target.topology.regions.map((r) => r.key));
  const sets = (await chatRecordSets(target, client)).filter((s) => s.Type === 'A' || s.Type === 'AAAA');
  const aliasLookups: Promise<void>[] = [];
  for (const set of sets) {
    const key = set.SetIdentifier && keys.has(set.SetIdentifier) ? set.SetIdentifier : undefined;
    if (!key) continue;
    for (const record of set.ResourceRecords ?? []) if (record.Value) index.set(norm(record.Value), key);
    const alias = set.AliasTarget?.DNSName;
    if (alias) {
      index.set(norm(alias), key);
      // On AWS an alias answers with the target's addresses: resolve them so an answer maps back to its region.
      if (target.kind === 'aws') {
        aliasLookups.push(
          import('node:dns/promises').then(async (dns) => {
            const addresses = await dns.resolve4(norm(alias)).catch(() => [] as string[]);
            for (const address of addresses) index.set(address, key);
          }),
        );
      }
    }
  }
  await Promise.all(aliasLookups);
  return index;
}

export interface DnsAnswer {
  /** The region key the answer belongs to; undefined when it matches no region's record. */
  readonly region?: string;
  readonly records: readonly string[];
  readonly responseCode?: string;
}

export function subnetOf(cidr: string): { ip: string; mask: string } {
  const [ip, mask] = cidr.split('/');
  return { ip, mask: mask ?? '24' };
}

/** TestDNSAnswer for the chat record as seen from a region's probe subnet (EDNS0 client subnet). */
export async function testDnsFrom(
  target: Target,
  client: Route53Client,
  fromKey: string,
  index: Map<string, string>,
): Promise<DnsAnswer> {
  const { ip, mask } = subnetOf(findRegion(target.topology, fromKey).probeSubnet);
  const answer = await client
    .send(
      new TestDNSAnswerCommand({
        HostedZoneId: hostedZoneId(target),
        RecordName: names.chatRecord(target.topology),
        RecordType: 'A',
        EDNS0ClientSubnetIP: ip,
        EDNS0ClientSubnetMask: mask,
      }),
    )
    .catch((error) => Promise.reject(explainAwsError(error, `asking Route 53 where ${fromKey} users go`)));
  const records = answer.RecordData ?? [];
  const regions = new Set(records.map((r) => index.get(norm(r))).filter((k): k is string => k !== undefined));
  return {
    region: regions.size === 1 ? [...regions][0] : undefined,
    records,
    responseCode: answer.ResponseCode,
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

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
    intervalMs?: number;
    signal?: AbortSignal;
    index?: Map<string, string>;
  },
): Promise<WaitResult> {
  const index = options.index ?? (await answerIndex(target, client));
  const interval = options.intervalMs ?? pollIntervalMs(target);
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
    await sleep(interval, options.signal);
  }
}

/** The theoretical floor of a shift: the health check's interval times its failure threshold. */
export function shiftFloorMs(target: Target): number {
  if (target.kind === 'sandbox') {
    const sb = target.topology.sandbox;
    return sb.healthCheckIntervalSeconds * 1000 * sb.failureThreshold;
  }
  const hc = target.topology.healthCheck;
  return hc.intervalSeconds * 1000 * hc.failureThreshold;
}

/** How long to wait for DNS to move: generous multiples of the floor, never less than 15 s. */
export function shiftTimeoutMs(target: Target): number {
  const floor = shiftFloorMs(target);
  return target.kind === 'sandbox' ? Math.max(15_000, floor * 5) : Math.max(120_000, floor * 4 + 60_000);
}

function pollIntervalMs(target: Target): number {
  return target.kind === 'sandbox' ? 100 : 2_000;
}
