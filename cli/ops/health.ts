/**
 * `chatctl health`: every check of every region at once, each bounded by its own timeout, then a verdict.
 * The same code runs against the sandbox and AWS; only the Target differs.
 */
import { ATTR, keys } from '../../core/datamodel.js';
import { names, WEBSOCKET_STAGE } from '../../core/names.js';
import { LOAD_LEVELS, type LoadLevel } from '../../core/protocol.js';
import { alarmsCheck, canaryCheck } from './health-alarms.js';
import {
  type CheckResult,
  type ChinaCheckName,
  type ChinaHealth,
  chinaStatus,
  type HealthResult,
  problemsOf,
  type RegionCheckName,
  type RegionHealth,
  regionStatus,
  route53State,
  verdictOf,
} from './health-verdict.js';
import { ConnectionShedError, pingOnce, round, TimeoutError, withTimeout } from './probe.js';
import { assertCredentials, describeError, type ProbeClients, probeClients } from './probe-clients.js';
import { canaryRound, crossCheckReplicas, replicaCheck } from './replication.js';
import { blameRegions, type LagPair, type LagSample, lagMatrix } from './replication-model.js';
import { activeFaults } from './sandbox/faults.js';
import type { RegionEndpoints, Target } from './target.js';

export const DEFAULT_HEALTH_TIMEOUT_MS = 5000;

export interface HealthOptions {
  /** Only this region (the China proxy is then not checked). */
  region?: string;
  /** Each check's own time limit; the whole run takes about this long at most. */
  timeoutMs?: number;
  /** Skip the replication canary (one write per region); on by default. */
  replication?: boolean;
}

type Check<N extends string> = Promise<CheckResult<N>>;

/** Runs `work` under the check's timeout; an exception or a timeout becomes a failed check. */
async function timed<N extends string>(
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

function regionNames(region: RegionEndpoints): string[] {
  return [region.spec.key, region.spec.awsRegion];
}

/** A shedding region (load level 3) refuses new connections but serves chat: degraded, never drained. */
const SHEDDING_ADVICE = (key: string) =>
  `the region sheds load but still serves its members: do not drain it; when the surge has passed: chatctl traffic level 0 --region ${key}`;

/** The ping of a probe, or, when the region sheds new connections (HTTP 429), a warn saying so. */
async function pingOrShed(
  url: string,
  token: string,
  options: { timeoutMs: number; signal: AbortSignal },
  shedding: { detail: string; action: string },
) {
  try {
    return { ping: await pingOnce(url, token, options) };
  } catch (error) {
    if (!(error instanceof ConnectionShedError)) throw error;
    return { shed: { status: 'warn' as const, ...shedding, data: { shedding: true } } };
  }
}

function websocketCheck(target: Target, region: RegionEndpoints, timeoutMs: number): Check<'websocket'> {
  return timed('websocket', timeoutMs, async (signal) => {
    const token = target.token(`probe-${region.spec.key}`, 300);
    const { ping, shed } = await pingOrShed(
      region.websocketUrl,
      token,
      { timeoutMs, signal },
      {
        detail:
          'new connections refused with HTTP 429: the region sheds load (level 3); connected members still chat',
        action: SHEDDING_ADVICE(region.spec.key),
      },
    );
    if (shed) return shed;
    const latencyMs = round(ping.totalMs);
    if (!regionNames(region).includes(ping.region)) {
      return {
        status: 'fail',
        latencyMs,
        detail: `pong came from ${ping.region}, not ${region.spec.key}`,
        action: `the endpoint of ${region.spec.key} serves another region: check its custom domain mapping`,
        data: { pongRegion: ping.region },
      };
    }
    return {
      status: 'ok',
      latencyMs,
      detail: `pong in ${round(ping.rttMs)} ms (connect ${round(ping.connectMs)} ms)`,
      data: { rttMs: round(ping.rttMs), connectMs: round(ping.connectMs) },
    };
  });
}

function deepHealthCheck(region: RegionEndpoints, timeoutMs: number): Check<'health'> {
  return timed('health', timeoutMs, async (signal) => {
    const response = await fetch(region.healthUrl, { signal });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status !== 200) {
      const reason = summarize(body) ?? text.slice(0, 120);
      return {
        status: 'fail',
        detail: `HTTP ${response.status}${reason ? `: ${reason}` : ''}`,
        data: { httpStatus: response.status, body },
      };
    }
    return { status: 'ok', detail: `HTTP 200${describeHealthBody(body)}`, data: { httpStatus: 200, body } };
  });
}

/** ": replica read 3 ms, write 5 ms, load level 0" from the runtime's /health body, as far as it says. */
function describeHealthBody(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as { checks?: Record<string, { ms?: number }>; loadLevel?: number | null };
  const parts = Object.entries(b.checks ?? {})
    .filter(([, c]) => c && typeof c === 'object' && typeof c.ms === 'number')
    .map(([name, c]) => `${name} ${c.ms} ms`);
  if (typeof b.loadLevel === 'number') parts.push(`load level ${b.loadLevel}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

/** The reason a /health body gives for failing (its failing checks, or its message). */
function summarize(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (b.checks && typeof b.checks === 'object') {
    const failing = Object.entries(b.checks as Record<string, unknown>)
      .filter(([, v]) => {
        if (v === false) return true;
        if (v && typeof v === 'object') {
          const c = v as Record<string, unknown>;
          return c.ok === false || (typeof c.status === 'string' && !/^(ok|pass|healthy)$/i.test(c.status));
        }
        return false;
      })
      .map(([k]) => k);
    if (failing.length) return `failing: ${failing.join(', ')}`;
  }
  for (const key of ['error', 'message', 'reason']) if (typeof b[key] === 'string') return b[key] as string;
  return undefined;
}

interface Route53View {
  /** By caller reference, and by `id:<HealthCheckId>` (CloudFormation gives checks random caller references). */
  healthChecks: Map<string, { id: string; inverted: boolean; disabled: boolean }>;
  records: { name: string; setIdentifier?: string; region?: string; healthCheckId?: string }[];
}

const stripDot = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** One listing of health checks and one of the chat record's record sets, shared by every region's check. */
async function loadRoute53(clients: ProbeClients, signal: AbortSignal): Promise<Route53View> {
  const { client, sdk } = await clients.route53();
  const topology = clients.target.topology;
  const healthChecks: Route53View['healthChecks'] = new Map();
  let marker: string | undefined;
  do {
    const out = await client.send(new sdk.ListHealthChecksCommand({ Marker: marker }), {
      abortSignal: signal,
    });
    for (const hc of out.HealthChecks ?? []) {
      if (!hc.Id) continue;
      const entry = {
        id: hc.Id,
        inverted: Boolean(hc.HealthCheckConfig?.Inverted),
        disabled: Boolean(hc.HealthCheckConfig?.Disabled),
      };
      healthChecks.set(`id:${hc.Id}`, entry);
      if (hc.CallerReference) healthChecks.set(hc.CallerReference, entry);
    }
    marker = out.IsTruncated ? out.NextMarker : undefined;
  } while (marker);
  const zoneId = clients.target.sandbox?.hostedZoneId ?? topology.hostedZone.id;
  const recordName = names.chatRecord(topology);
  const records: Route53View['records'] = [];
  let start: { name?: string; type?: string; id?: string } | undefined = { name: recordName, type: 'A' };
  while (start) {
    const out: import('@aws-sdk/client-route-53').ListResourceRecordSetsCommandOutput = await client.send(
      new sdk.ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.id,
      }),
      { abortSignal: signal },
    );
    const sets = out.ResourceRecordSets ?? [];
    for (const set of sets) {
      if (stripDot(set.Name ?? '') !== recordName.toLowerCase()) continue;
      records.push({
        name: recordName,
        setIdentifier: set.SetIdentifier,
        region: set.Region,
        healthCheckId: set.HealthCheckId,
      });
    }
    // Stop once the listing has moved past the chat record.
    const last = sets.at(-1);
    start =
      out.IsTruncated && last && stripDot(last.Name ?? '') === recordName.toLowerCase()
        ? { name: out.NextRecordName, type: out.NextRecordType, id: out.NextRecordIdentifier }
        : undefined;
  }
  return { healthChecks, records };
}

function route53Check(
  clients: ProbeClients,
  region: RegionEndpoints,
  view: () => Promise<Route53View>,
  timeoutMs: number,
): Check<'route53'> {
  return timed('route53', timeoutMs, async (signal) => {
    const topology = clients.target.topology;
    const { healthChecks, records } = await view();
    const reference = names.healthCheckReference(topology, region.spec.key);
    const record = records.find(
      (r) => r.setIdentifier === region.spec.key || r.region === region.spec.awsRegion,
    );
    // The sandbox names checks by caller reference; on AWS the latency record's check is the one that steers.
    const hc =
      healthChecks.get(reference) ??
      (record?.healthCheckId ? healthChecks.get(`id:${record.healthCheckId}`) : undefined);
    if (!hc) {
      return {
        status: 'fail',
        detail: `no health check (caller reference ${reference}, or on its latency record)`,
        action: `recreate it: chatctl deploy --region ${region.spec.key}`,
        data: { recordPresent: Boolean(record) },
      };
    }
    const { client, sdk } = await clients.route53();
    const status = await client.send(new sdk.GetHealthCheckStatusCommand({ HealthCheckId: hc.id }), {
      abortSignal: signal,
    });
    const observations = (status.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
    const state = route53State({ inverted: hc.inverted, disabled: hc.disabled, observations });
    const data = {
      healthCheckId: hc.id,
      inverted: hc.inverted,
      disabled: hc.disabled,
      drained: state.drained,
      healthy: state.healthy,
      recordPresent: Boolean(record),
    };
    if (!record) {
      return {
        status: 'fail',
        detail: `no latency record for ${names.chatRecord(topology)} (set ${region.spec.key})`,
        action: `users are not routed to ${region.spec.key}: chatctl deploy --region ${region.spec.key}`,
        data,
      };
    }
    if (state.drained) {
      return {
        status: 'warn',
        detail: `drained: ${state.reason}`,
        action: `it gets no traffic; if no drill is running: chatctl restore ${region.spec.key}`,
        data,
      };
    }
    if (record.healthCheckId && record.healthCheckId !== hc.id) {
      return {
        status: 'warn',
        detail: `the latency record carries health check ${record.healthCheckId}, not ${hc.id}`,
        action: 'the record is not tied to the region health check: chatctl deploy',
        data,
      };
    }
    if (!state.healthy) {
      return {
        status: 'fail',
        detail: `unhealthy: ${state.reason}`,
        action: `Route 53 routes users away from ${region.spec.key}; fix its /health`,
        data,
      };
    }
    return { status: 'ok', detail: `healthy (${state.reason}), record present`, data };
  });
}

function relayCheck(clients: ProbeClients, region: RegionEndpoints, timeoutMs: number): Check<'relay'> {
  return timed('relay', timeoutMs, async (signal) => {
    const { client, sdk } = await clients.lambda(region.spec.awsRegion);
    const functionName = names.relayFunction(clients.target.topology, region.spec.key);
    const out = await client.send(
      new sdk.InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify({ dryRun: true })),
      }),
      { abortSignal: signal },
    );
    const payload = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      let message = payload.slice(0, 160);
      try {
        const parsed = JSON.parse(payload) as { errorMessage?: string; errorType?: string };
        if (parsed.errorMessage) message = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}`;
      } catch {}
      return {
        status: 'fail',
        detail: `${functionName} failed: ${message}`,
        data: { functionError: out.FunctionError },
      };
    }
    try {
      const answer = JSON.parse(payload) as { ok?: boolean; error?: string };
      if (answer && answer.ok === false) {
        return {
          status: 'fail',
          detail: `${functionName} answered not ok: ${answer.error ?? payload.slice(0, 120)}`,
        };
      }
    } catch {}
    if (out.StatusCode !== undefined && out.StatusCode !== 200) {
      return { status: 'fail', detail: `${functionName} answered ${out.StatusCode}` };
    }
    return { status: 'ok', detail: `${functionName} answers (dry run)` };
  });
}

/** Reads the level attribute of the CONFIG/LOAD#region item; no item means level 0. */
export function loadLevelOf(item: Record<string, { N?: string; S?: string }> | undefined): LoadLevel {
  if (!item) return 0;
  for (const name of ['level', 'loadLevel', 'value']) {
    const raw = item[name]?.N ?? item[name]?.S;
    if (raw !== undefined) {
      const n = Number(raw);
      if (Number.isInteger(n) && n >= 0 && n <= 3) return n as LoadLevel;
    }
  }
  return 0;
}

function loadCheck(clients: ProbeClients, region: RegionEndpoints, timeoutMs: number): Check<'load'> {
  return timed('load', timeoutMs, async (signal) => {
    const { client, sdk } = await clients.dynamo(region.spec.awsRegion);
    const out = await client.send(
      new sdk.GetItemCommand({
        TableName: names.table(clients.target.topology),
        Key: { [ATTR.pk]: { S: keys.configPk }, [ATTR.sk]: { S: keys.loadSk(region.spec.key) } },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    const level = loadLevelOf(out.Item as never);
    // Who set it: the operator's level holds against auto; auto's comes with the controller's reason.
    const setBy = (out.Item?.setBy?.S as 'operator' | 'auto' | undefined) ?? null;
    const reason = out.Item?.reason?.S;
    const auto = out.Item?.autoEnabled?.BOOL === true;
    const by = setBy ? `, set by ${setBy}${reason ? ` (${reason})` : ''}` : '';
    const data = { level, setBy, auto };
    if (level > 0) {
      return {
        status: 'warn',
        detail: `level ${level}: ${LOAD_LEVELS[level]}${by}`,
        action:
          level === 3 && setBy !== 'auto'
            ? SHEDDING_ADVICE(region.spec.key)
            : setBy === 'auto'
              ? `auto sheds work and lowers the level when the lanes are calm: chatctl traffic status --region ${region.spec.key}`
              : `the region sheds work; when the surge is over: chatctl traffic level 0 --region ${region.spec.key}${auto ? '' : ' (or chatctl traffic auto on)'}`,
        data,
      };
    }
    return { status: 'ok', detail: `level 0${by}${auto ? ', auto on' : ''}`, data };
  });
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

/** The origin region key of a distribution's origin domain (AWS: the regional API domain; sandbox: its host). */
export function originRegionOf(target: Target, originDomain: string | undefined): string | undefined {
  if (!originDomain) return undefined;
  const domain = originDomain.toLowerCase();
  for (const region of target.regions()) {
    const key = region.spec.key;
    if (domain === names.regionalDomain(target.topology, key)) return key;
    try {
      const host = new URL(region.websocketUrl).host;
      if (domain === host || domain.startsWith(`${host}/`)) return key;
    } catch {}
  }
  return target.regions().find((r) => domain.split(/[.:/-]/).includes(r.spec.key))?.spec.key;
}

/** The WebSocket URL of the China proxy. */
export function chinaProxyUrl(target: Target, distributionDomain: string | undefined): string | undefined {
  const base =
    target.kind === 'sandbox'
      ? target.sandbox?.china?.url
      : distributionDomain && `wss://${distributionDomain}`;
  if (!base) return undefined;
  const url = new URL(base.includes('://') ? base : `wss://${base}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = `/${WEBSOCKET_STAGE}`;
  return url.toString();
}

async function checkChina(clients: ProbeClients, timeoutMs: number): Promise<ChinaHealth> {
  const { target } = clients;
  const topology = target.topology;
  if (!topology.china.enabled) {
    return { enabled: false, status: 'skip', checks: [] };
  }
  const comment = names.chinaDistributionComment(topology);
  let found: { id?: string; domain?: string; status?: string; originDomain?: string } | undefined;
  const distribution = await timed<ChinaCheckName>('distribution', timeoutMs, async (signal) => {
    const { client, sdk } = await clients.cloudfront();
    let marker: string | undefined;
    do {
      const out = await client.send(new sdk.ListDistributionsCommand({ Marker: marker }), {
        abortSignal: signal,
      });
      const list = out.DistributionList;
      const hit = list?.Items?.find((d) => d.Comment === comment);
      if (hit) {
        found = {
          id: hit.Id,
          domain: hit.DomainName,
          status: hit.Status,
          originDomain: hit.Origins?.Items?.[0]?.DomainName,
        };
        break;
      }
      marker = list?.IsTruncated ? list.NextMarker : undefined;
    } while (marker);
    if (!found) {
      return {
        status: 'fail',
        detail: `no distribution with comment "${comment}"`,
        action: 'deploy the China proxy: chatctl deploy',
      };
    }
    const origin = originRegionOf(target, found.originDomain);
    const detail = `${found.id} ${found.status}, origin ${origin ?? found.originDomain}`;
    const data = { id: found.id, status: found.status, origin, originDomain: found.originDomain };
    if (found.status !== 'Deployed') {
      return { status: 'warn', detail, action: 'a change is deploying; check again in a few minutes', data };
    }
    return { status: 'ok', detail, data };
  });
  const origin = originRegionOf(target, found?.originDomain);
  const expected = origin ?? topology.china.originRegion;
  const proxy = await timed<ChinaCheckName>('proxy', timeoutMs, async (signal) => {
    const url = chinaProxyUrl(target, found?.domain);
    if (!url) {
      return { status: 'fail', detail: 'no proxy address (distribution not found)' };
    }
    const { ping, shed } = await pingOrShed(
      url,
      target.token('probe-china', 300),
      { timeoutMs, signal },
      {
        detail: `new connections refused with HTTP 429: the origin ${expected} sheds load (level 3); connected users still chat`,
        action: `do not move the origin for this; when the surge has passed: chatctl traffic level 0 --region ${expected}`,
      },
    );
    if (shed) return shed;
    const expectedNames = [expected, target.region(expected).spec.awsRegion];
    if (!expectedNames.includes(ping.region)) {
      return {
        status: 'warn',
        latencyMs: round(ping.totalMs),
        detail: `answered by ${ping.region}, expected the origin ${expected}`,
        action: 'the distribution may still be deploying an origin change: chatctl china status',
        data: { pongRegion: ping.region },
      };
    }
    return {
      status: 'ok',
      latencyMs: round(ping.totalMs),
      detail: `pong from ${ping.region} in ${round(ping.rttMs)} ms`,
      data: { pongRegion: ping.region },
    };
  });
  const checks = [distribution, proxy];
  return {
    enabled: true,
    status: chinaStatus({ enabled: true, checks }),
    origin,
    distributionId: found?.id,
    domain: found?.domain,
    checks,
  };
}

export async function runHealth(target: Target, options: HealthOptions = {}): Promise<HealthResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const started = performance.now();
  const all = target.regions();
  const selected = options.region ? [target.region(options.region)] : all;
  const clients = probeClients(target);
  // Load the SDK clients and ws first, in parallel, so a check's time limit measures the region, not the import.
  await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-route-53'),
    import('@aws-sdk/client-cloudwatch'),
    import('ws'),
    ...(target.topology.china.enabled && !options.region ? [import('@aws-sdk/client-cloudfront')] : []),
  ]);
  const checksStarted = performance.now();
  const startupMs = round(checksStarted);
  try {
    let route53: Promise<Route53View> | undefined;
    const route53View = () => {
      route53 ??= withTimeout(timeoutMs, 'Route 53 listing', (signal) => loadRoute53(clients, signal));
      return route53;
    };
    const regionKeys = all.map((r) => r.spec.key);
    const wantReplication = options.replication !== false && all.length > 1;
    const replicationStarted = performance.now();
    const canaries: Promise<LagSample[]> = wantReplication
      ? withTimeout(timeoutMs, 'replication canaries', (signal) =>
          canaryRound(clients, {
            sources: regionKeys,
            destinations: regionKeys,
            involving: options.region ? [options.region] : undefined,
            // Leave room to report, so the canaries end as "not replicated in time", not as a timeout.
            timeoutMs: Math.max(1, Math.floor(timeoutMs * 0.8)),
            signal,
          }).then((r) => {
            // A source whose canary write failed counts as not replicated anywhere.
            const failed = Object.keys(r.writeErrors).flatMap((from) =>
              regionKeys.filter((to) => to !== from).map((to) => ({ from, to })),
            );
            return [...r.samples, ...failed];
          }),
        ).catch(() =>
          // The round itself ran out of time (a write hung): nothing was seen to replicate.
          regionKeys.flatMap((from) =>
            regionKeys
              .filter((to) => to !== from)
              .filter((to) => !options.region || from === options.region || to === options.region)
              .map((to) => ({ from, to })),
          ),
        )
      : Promise.resolve([]);
    const replicationPairs = canaries.then((samples) =>
      lagMatrix(regionKeys, samples, target.topology.replication.lagThresholdMs, Math.floor(timeoutMs * 0.8)),
    );

    const regions = Promise.all(
      selected.map(async (region): Promise<RegionHealth> => {
        const key = region.spec.key;
        const replication: Check<'replication'> = wantReplication
          ? replicationPairs.then((pairs) =>
              replicationCheckOf(key, regionKeys, pairs, round(performance.now() - replicationStarted)),
            )
          : Promise.resolve({ name: 'replication', status: 'skip', detail: 'no other region' });
        const checks = await Promise.all<CheckResult<RegionCheckName>>([
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
    const [checked, chinaResult] = await Promise.all([regions, china]);
    // A replica is also judged by how the other regions' tables list it.
    const crossed = crossCheckReplicas(
      checked.map((r) => ({
        key: r.key,
        awsRegion: r.awsRegion,
        check: r.checks.find((c) => c.name === 'replica') as CheckResult<'replica'>,
      })),
    );
    const regionResults = checked.map((region, index) => {
      const checks = region.checks.map((c) => (c.name === 'replica' ? crossed[index] : c));
      return { ...region, checks, status: regionStatus(checks) };
    });
    await assertCredentials(
      [...regionResults.flatMap((r) => r.checks), ...chinaResult.checks]
        .filter((c) => c.status === 'fail')
        .map((c) => c.detail),
      'chatctl health',
    );
    return {
      target: target.kind,
      verdict: verdictOf(regionResults, chinaResult),
      elapsedMs: round(performance.now() - started),
      startupMs,
      checksMs: round(performance.now() - checksStarted),
      timeoutMs,
      regions: regionResults,
      china: chinaResult,
      problems: problemsOf(regionResults, chinaResult, {
        target: target.kind,
        chinaOrigin: chinaResult.origin ?? target.topology.china.originRegion,
        // Asked now, not when the target was opened: --watch runs again after faults change.
        sandboxFaults: target.sandbox ? await activeFaults(target.sandbox) : undefined,
      }),
    };
  } finally {
    clients.close();
  }
}
