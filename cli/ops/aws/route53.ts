/**
 * Route 53 as the ops code reads it: health checks and the chat record's record sets (paged), each region's
 * check and record, the one rule for "healthy", and TestDNSAnswer from a region's probe subnet to see where
 * latency routing sends that region's users. Changing a health check is routing's job (cli/ops/routing/).
 */
import {
  GetHealthCheckStatusCommand,
  type HealthCheck,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { judgementOfAlarm } from '../../../core/routing-health.js';
import { findRegion } from '../../../core/topology.js';
import type { Target } from '../target.js';
import { explainAwsError } from './errors.js';

const sent = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : undefined);

export async function listHealthChecks(client: Route53Client, signal?: AbortSignal): Promise<HealthCheck[]> {
  const out: HealthCheck[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await client
      .send(new ListHealthChecksCommand({ Marker: marker, MaxItems: 100 }), sent(signal))
      .catch((error) => Promise.reject(explainAwsError(error, 'listing Route 53 health checks')));
    out.push(...(page.HealthChecks ?? []));
    if (!page.IsTruncated || !page.NextMarker) return out;
    marker = page.NextMarker;
  }
}

const sameName = (a: string | undefined, b: string) =>
  (a ?? '').replace(/\.?$/, '.').toLowerCase() === b.replace(/\.?$/, '.').toLowerCase();

/** The latency record's record sets (one per region, SetIdentifier = region key), every page of them. */
export async function chatRecordSets(
  target: Target,
  client: Route53Client,
  signal?: AbortSignal,
): Promise<ResourceRecordSet[]> {
  const name = `${names.chatRecord(target.topology)}.`;
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = { name };
  for (;;) {
    const page = await client
      .send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: target.hostedZoneId,
          StartRecordName: start.name,
          StartRecordType: start.type as never,
          StartRecordIdentifier: start.id,
        }),
        sent(signal),
      )
      .catch((error) => Promise.reject(explainAwsError(error, 'listing the chat record sets')));
    const sets = page.ResourceRecordSets ?? [];
    out.push(...sets.filter((set) => sameName(set.Name, name)));
    // Stop once the listing has moved past the chat record.
    if (!page.IsTruncated || sets.some((set) => !sameName(set.Name, name))) return out;
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
  }
}

/** A region's latency record set: by its set identifier (the region key), else by its AWS region. */
export function recordOf(
  target: Target,
  records: readonly ResourceRecordSet[],
  key: string,
): ResourceRecordSet | undefined {
  const awsRegion = findRegion(target.topology, key).awsRegion;
  return records.find((r) => r.SetIdentifier === key) ?? records.find((r) => r.Region === awsRegion);
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
    const recordCheckId = recordOf(target, records, region.key)?.HealthCheckId;
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

/** Every health check and the chat record's sets, read once and shared by every region. */
export interface Route53View {
  /** Each region's routing check (a CALCULATED parent when there is one). */
  readonly checks: Map<string, HealthCheck>;
  /** Every health check (a calculated check's children are judged from these). */
  readonly all: readonly HealthCheck[];
  readonly records: readonly ResourceRecordSet[];
}

export async function readRoute53View(
  target: Target,
  client: Route53Client,
  signal?: AbortSignal,
): Promise<Route53View> {
  const [checks, records] = await Promise.all([
    listHealthChecks(client, signal),
    chatRecordSets(target, client, signal),
  ]);
  return { checks: healthChecksByRegion(target, checks, records), all: checks, records };
}

export async function findHealthCheck(
  target: Target,
  client: Route53Client,
  key: string,
): Promise<HealthCheck> {
  findRegion(target.topology, key);
  const check = (await readRoute53View(target, client)).checks.get(key);
  if (!check?.Id) {
    throw new UserError(
      `no Route 53 health check for region "${key}" (neither caller reference ${names.healthCheckReference(target.topology, key)} nor one on its latency record)`,
      { hint: 'is the region deployed? run: chatctl health (or chatctl deploy)' },
    );
  }
  return check;
}

/**
 * The one rule for "healthy", Route 53's own ("How Amazon Route 53 determines whether a health check is
 * healthy", Route 53 Developer Guide): healthy when more than 18% of the health checkers report success,
 * unhealthy at 18% or less. `drain`'s safety rules and `health` both judge by it.
 */
export function checkersHealthy(observations: readonly string[]): boolean {
  const successes = observations.filter((s) => /^success/i.test(s.trim())).length;
  return observations.length > 0 && successes / observations.length > 0.18;
}

/** The checkers' latest status reports (GetHealthCheckStatus), e.g. "Success: HTTP Status Code 200...". */
export async function checkerReports(
  client: Route53Client,
  healthCheckId: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const status = await client
    .send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }), sent(signal))
    .catch((error) => Promise.reject(explainAwsError(error, `reading health check ${healthCheckId}`)));
  return (status.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
}

/** What the checkers say of a check, before its Inverted and Disabled settings. */
export interface CheckerVerdict {
  readonly healthy: boolean;
  /** False while no checker has reported yet. */
  readonly reported: boolean;
  readonly reason: string;
}

/** The verdict of an endpoint check's checkers, by the one rule. */
export function reportsVerdict(observations: readonly string[]): CheckerVerdict {
  const successes = observations.filter((s) => /^success/i.test(s.trim())).length;
  const total = observations.length;
  return {
    healthy: checkersHealthy(observations),
    reported: total > 0,
    reason: total > 0 ? `${successes}/${total} checkers report success` : 'no checker has reported yet',
  };
}

/**
 * What Route 53 says of a check: an endpoint check by its checkers' reports; a CALCULATED check has no status
 * of its own (GetHealthCheckStatus refuses it): it is healthy when at least HealthThreshold of its children
 * are, each child judged with its own Inverted and Disabled.
 */
export async function checkerVerdict(
  client: Route53Client,
  check: HealthCheck,
  all: readonly HealthCheck[],
  signal?: AbortSignal,
): Promise<CheckerVerdict> {
  const config = check.HealthCheckConfig;
  if (config?.Type !== 'CALCULATED') return reportsVerdict(await checkerReports(client, check.Id!, signal));
  const children = (config.ChildHealthChecks ?? []).map((id) => all.find((c) => c.Id === id));
  const healthy = await Promise.all(
    children.map(async (child) => {
      if (!child?.Id) return false;
      const verdict = await checkerVerdict(client, child, all, signal);
      return healthCheckState({
        inverted: child.HealthCheckConfig?.Inverted === true,
        disabled: child.HealthCheckConfig?.Disabled === true,
        verdict,
      }).healthy;
    }),
  );
  const up = healthy.filter(Boolean).length;
  const threshold = config.HealthThreshold ?? children.length;
  // The canary's judges (core/routing-health.ts): say which region judged the region how.
  const judges = children.map((child, i) => {
    const alarm = child?.HealthCheckConfig?.AlarmIdentifier?.Name;
    const judgement = alarm ? judgementOfAlarm(alarm) : undefined;
    return judgement ? `${judgement.judge} ${healthy[i] ? 'ok' : 'fails'}` : undefined;
  });
  const judged = judges.every(Boolean) ? `judged by ${judges.join(', ')}: ` : '';
  return {
    healthy: up >= threshold,
    reported: true,
    reason: `${judged}${up}/${children.length} child checks healthy (at least ${threshold} needed)`,
  };
}

/** Whether Route 53 counts the check healthy before its own Inverted and Disabled (see checkerVerdict). */
export async function checkHealthy(
  client: Route53Client,
  check: HealthCheck,
  all: readonly HealthCheck[],
): Promise<boolean> {
  return (await checkerVerdict(client, check, all)).healthy;
}

export interface HealthCheckState {
  /** Inverted or Disabled: the region is taken out (or kept in) on purpose. */
  readonly drained: boolean;
  /** What Route 53 routes by: an inverted check flips the checkers' verdict, a disabled one is healthy. */
  readonly healthy: boolean;
  /** The checkers' own verdict, before Inverted or Disabled. */
  readonly checkersHealthy: boolean;
  readonly reason: string;
}

/** A health check's state as Route 53 evaluates it (HealthCheckConfig's Inverted and Disabled). */
export function healthCheckState(input: {
  inverted: boolean;
  disabled: boolean;
  verdict: CheckerVerdict;
}): HealthCheckState {
  const raw = input.verdict.healthy;
  if (input.disabled) {
    return { drained: true, healthy: true, checkersHealthy: raw, reason: 'health check disabled (drained)' };
  }
  if (input.inverted) {
    return { drained: true, healthy: !raw, checkersHealthy: raw, reason: 'health check inverted (drained)' };
  }
  return {
    drained: false,
    healthy: raw && input.verdict.reported,
    checkersHealthy: raw,
    reason: input.verdict.reason,
  };
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

export const norm = (value: string) => value.toLowerCase().replace(/\.$/, '');

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
      if (target.resolvesAliases) {
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

/** Where Route 53 sends the users of one region's probe subnet. */
export interface DnsAnswer {
  /** The region key the answer belongs to; undefined when it matches no region's record. */
  readonly region?: string;
  readonly records: readonly string[];
  readonly responseCode?: string;
  /** The EDNS0 client subnet asked from (the region's probe subnet). */
  readonly clientSubnet: string;
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
  const clientSubnet = findRegion(target.topology, fromKey).probeSubnet;
  const { ip, mask } = subnetOf(clientSubnet);
  const answer = await client
    .send(
      new TestDNSAnswerCommand({
        HostedZoneId: target.hostedZoneId,
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
    clientSubnet,
  };
}

/** Where latency routing sends the users of `fromKey` now (one TestDNSAnswer). */
export async function whereUsersGo(
  target: Target,
  client: Route53Client,
  fromKey: string,
): Promise<DnsAnswer> {
  return testDnsFrom(target, client, fromKey, await answerIndex(target, client));
}
