/**
 * The China proxy: a CloudFront distribution (found by its comment) that proxies the chat's WebSocket to one
 * origin region. Status, moving the origin (UpdateDistribution with If-Match) and waiting until the new origin
 * serves, and a chat test through the proxy.
 */
import {
  CloudFrontClient,
  type DistributionConfig,
  type DistributionSummary,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { UserError } from '../../../core/errors.js';
import { names, WEBSOCKET_STAGE } from '../../../core/names.js';
import { findRegion, type Topology, updateTopology } from '../../../core/topology.js';
import { explainAwsError } from '../aws-errors.js';
import type { ChinaOriginState } from '../drain/safety.js';
import { openProbe, percentile, pingOnce, round, TimeoutError } from '../probe.js';
import type { Target } from '../target.js';

export function cloudfront(target: Target): CloudFrontClient {
  return new CloudFrontClient(target.globalClientConfig());
}

type OriginsShape = Pick<DistributionConfig, 'Origins' | 'OriginGroups' | 'DefaultCacheBehavior'>;

export async function findChinaDistribution(
  target: Target,
  client: CloudFrontClient,
): Promise<DistributionSummary | undefined> {
  const comment = names.chinaDistributionComment(target.topology);
  let marker: string | undefined;
  for (;;) {
    const page = await client
      .send(new ListDistributionsCommand({ Marker: marker }))
      .catch((error) => Promise.reject(explainAwsError(error, 'listing CloudFront distributions')));
    const list = page.DistributionList;
    const found = list?.Items?.find((d) => d.Comment === comment);
    if (found) return found;
    if (!list?.IsTruncated || !list.NextMarker) return undefined;
    marker = list.NextMarker;
  }
}

async function requireChinaDistribution(
  target: Target,
  client: CloudFrontClient,
): Promise<DistributionSummary> {
  const found = await findChinaDistribution(target, client);
  if (!found?.Id) {
    throw new UserError(
      `no China proxy distribution (a CloudFront distribution with comment "${names.chinaDistributionComment(target.topology)}")`,
      {
        hint: target.topology.china.enabled
          ? 'deploy it: chatctl deploy (the China proxy stack)'
          : 'the China proxy is disabled in chatctl.json (china.enabled)',
      },
    );
  }
  return found;
}

/** The region key whose regional domain is `domain`, if any. */
export function regionOfDomain(topology: Topology, domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  const d = domain.toLowerCase().replace(/\.$/, '');
  return topology.regions.find((r) => names.regionalDomain(topology, r.key) === d)?.key;
}

/**
 * Which origin the default behaviour uses (directly, or as the first member of an origin group), and which
 * other regions an origin group can fail over to.
 */
export function originsOf(
  topology: Topology,
  config: OriginsShape,
): { originId?: string; origin?: string; originDomain?: string; failover: string[] } {
  const origins = config.Origins?.Items ?? [];
  const targetId = config.DefaultCacheBehavior?.TargetOriginId;
  const group = config.OriginGroups?.Items?.find((g) => g.Id === targetId);
  const memberIds = group ? (group.Members?.Items ?? []).map((m) => m.OriginId) : [targetId];
  const members = memberIds.map((id) => origins.find((o) => o.Id === id)).filter((o) => o !== undefined);
  const primary = members[0] ?? (origins.length === 1 ? origins[0] : undefined);
  const failover = members
    .slice(1)
    .map((o) => regionOfDomain(topology, o.DomainName))
    .filter((k): k is string => k !== undefined);
  return {
    originId: primary?.Id,
    origin: regionOfDomain(topology, primary?.DomainName),
    originDomain: primary?.DomainName,
    failover,
  };
}

/** The China proxy as deployed, for the safety rules. Falls back to chatctl.json when none is deployed. */
export async function chinaOriginState(
  target: Target,
  client = cloudfront(target),
): Promise<ChinaOriginState> {
  if (!target.topology.china.enabled) return { enabled: false, failoverOrigins: [] };
  const found = await findChinaDistribution(target, client);
  if (!found) return { enabled: true, origin: target.topology.china.originRegion, failoverOrigins: [] };
  const origins = originsOf(target.topology, found as OriginsShape);
  return { enabled: true, origin: origins.origin, failoverOrigins: origins.failover };
}

export interface ChinaStatus {
  readonly distributionId: string;
  readonly domainName: string;
  /** CloudFront's status: Deployed or InProgress. */
  readonly status: string;
  readonly enabled: boolean;
  /** The region the proxy forwards to (undefined when its origin is not one of the regions). */
  readonly origin?: string;
  readonly originDomain?: string;
  readonly failoverOrigins: readonly string[];
  /** What chatctl.json says the origin should be. */
  readonly configuredOrigin: string;
  readonly url: string;
}

/** The URL a chat client uses to reach the chat through the proxy. */
export function chinaUrl(target: Target, domainName: string): string {
  if (target.kind === 'sandbox') {
    const url = target.sandbox?.china?.url;
    if (!url)
      throw new UserError('the running sandbox has no China proxy', {
        hint: 'set china.enabled in chatctl.json and restart the sandbox',
      });
    return url;
  }
  return `wss://${domainName}/${WEBSOCKET_STAGE}`;
}

export async function chinaStatus(target: Target, client = cloudfront(target)): Promise<ChinaStatus> {
  const found = await requireChinaDistribution(target, client);
  const origins = originsOf(target.topology, found as OriginsShape);
  return {
    distributionId: found.Id!,
    domainName: found.DomainName ?? '',
    status: found.Status ?? 'unknown',
    enabled: found.Enabled !== false,
    origin: origins.origin,
    originDomain: origins.originDomain,
    failoverOrigins: origins.failover,
    configuredOrigin: target.topology.china.originRegion,
    url: chinaUrl(target, found.DomainName ?? ''),
  };
}

const regionMatches = (target: Target, answered: string, key: string) =>
  answered === key || answered === findRegion(target.topology, key).awsRegion;

/** Pings through the proxy until the answer comes from `key`; returns how long that took. */
export async function waitUntilChinaServes(
  target: Target,
  url: string,
  key: string,
  options: { timeoutMs: number; since?: number; signal?: AbortSignal },
): Promise<{ elapsedMs: number; lastRegion?: string }> {
  const since = options.since ?? performance.now();
  let last: string | undefined;
  let lastError = '';
  const token = target.token('chatctl-china-probe', 600);
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    try {
      const pong = await pingOnce(url, token, { timeoutMs: 3000, signal: options.signal });
      last = pong.region;
      if (regionMatches(target, pong.region, key))
        return { elapsedMs: performance.now() - since, lastRegion: last };
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (performance.now() - since > options.timeoutMs) {
      throw new UserError(
        `the China proxy did not serve from ${key} within ${Math.round(options.timeoutMs / 1000)} s (${last ? `still answered by ${last}` : lastError})`,
        { hint: 'check the distribution: chatctl china status' },
      );
    }
    await new Promise((r) => setTimeout(r, target.kind === 'sandbox' ? 100 : 5000));
  }
}

export interface ChinaOriginMove {
  readonly distributionId: string;
  readonly from?: string;
  readonly to: string;
  readonly changed: boolean;
  /** From UpdateDistribution returning to the first ping through the proxy answered by the new origin. */
  readonly servedAfterMs?: number;
  readonly topologyUpdated: boolean;
}

/**
 * Points the distribution's origin at `key`'s regional domain (GetDistributionConfig, then UpdateDistribution
 * with If-Match = its ETag), then waits until a ping through the proxy is answered by `key`.
 */
export async function moveChinaOrigin(
  target: Target,
  key: string,
  options: {
    wait?: boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
    /** Also record the new origin in chatctl.json (so a deploy keeps it). */
    topologyPath?: string;
    client?: CloudFrontClient;
  } = {},
): Promise<ChinaOriginMove> {
  findRegion(target.topology, key);
  const client = options.client ?? cloudfront(target);
  const found = await requireChinaDistribution(target, client);
  const id = found.Id!;
  const current = await client
    .send(new GetDistributionConfigCommand({ Id: id }))
    .catch((error) => Promise.reject(explainAwsError(error, `reading distribution ${id}`)));
  const config = current.DistributionConfig;
  if (!config) throw new Error(`distribution ${id} returned no configuration`);
  const origins = originsOf(target.topology, config);
  const domain = names.regionalDomain(target.topology, key);
  const changed = origins.origin !== key;
  if (changed) {
    const originId = origins.originId;
    const items = (config.Origins?.Items ?? []).map((o) =>
      o.Id === originId ? { ...o, DomainName: domain } : o,
    );
    if (!items.some((o) => o.DomainName === domain)) {
      throw new UserError(`distribution ${id} has no origin chatctl can move`, {
        hint: 'its default behaviour should target one origin: redeploy the China proxy stack',
      });
    }
    await client
      .send(
        new UpdateDistributionCommand({
          Id: id,
          IfMatch: current.ETag,
          DistributionConfig: { ...config, Origins: { Quantity: items.length, Items: items } },
        }),
      )
      .catch((error) => {
        if ((error as { name?: string }).name === 'PreconditionFailed') {
          return Promise.reject(
            new UserError(
              `distribution ${id} changed while chatctl was moving its origin; nothing was changed`,
              {
                hint: `run it again: chatctl china origin ${key}`,
              },
            ),
          );
        }
        return Promise.reject(explainAwsError(error, `updating distribution ${id}`));
      });
  }
  const since = performance.now();
  let servedAfterMs: number | undefined;
  if (options.wait !== false) {
    const url = chinaUrl(target, found.DomainName ?? '');
    const timeoutMs = options.timeoutMs ?? (target.kind === 'sandbox' ? 15_000 : 30 * 60_000);
    servedAfterMs = (
      await waitUntilChinaServes(target, url, key, { timeoutMs, since, signal: options.signal })
    ).elapsedMs;
  }
  let topologyUpdated = false;
  if (options.topologyPath && target.topology.china.originRegion !== key) {
    await updateTopology(options.topologyPath, (t) => ({ ...t, china: { ...t.china, originRegion: key } }));
    topologyUpdated = true;
  }
  return { distributionId: id, from: origins.origin, to: key, changed, servedAfterMs, topologyUpdated };
}

/** Reads the distribution again (GetDistribution) to report its status after a change. */
export async function distributionStatus(
  target: Target,
  id: string,
  client = cloudfront(target),
): Promise<string> {
  const out = await client.send(new GetDistributionCommand({ Id: id }));
  return out.Distribution?.Status ?? 'unknown';
}

export interface ChinaTestResult {
  readonly url: string;
  readonly origin?: string;
  /** The region that answered pings through the proxy. */
  readonly answeredBy: string;
  readonly pings: number;
  readonly pingP50Ms: number;
  readonly pingMaxMs: number;
  /** A user through the proxy and a user connected directly to the origin chat in one room, both ways. */
  readonly chat: {
    readonly roomId: string;
    /** Through the proxy to the direct user. */
    readonly aToBMs: number;
    readonly bToAMs: number;
  };
}

/** Chats through the proxy: pings, then a message each way between a proxied user and a direct one. */
export async function chinaTest(
  target: Target,
  options: { pings?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ChinaTestResult> {
  const status = await chinaStatus(target);
  const timeoutMs = options.timeoutMs ?? 5000;
  const n = Math.max(1, options.pings ?? 5);
  const socket = await openProbe(status.url, target.token('chatctl-china-test', 600), {
    timeoutMs,
    signal: options.signal,
  });
  const rtts: number[] = [];
  let answeredBy = '';
  try {
    for (let i = 0; i < n; i++) {
      const sent = performance.now();
      socket.send({ action: 'ping' });
      const pong = await socket.next((f) => f.type === 'pong', timeoutMs);
      rtts.push(performance.now() - sent);
      if (pong.type === 'pong') answeredBy = pong.region;
    }
  } finally {
    socket.close();
  }
  const originKey = target.topology.regions.find((r) => regionMatches(target, answeredBy, r.key))?.key;
  const direct = originKey ?? status.origin;
  if (!direct)
    throw new UserError('the China proxy answers from no known region', {
      hint: 'run: chatctl china status',
    });
  const chat = await chatBothWays(target, status.url, target.region(direct).websocketUrl, {
    timeoutMs,
    signal: options.signal,
  });
  return {
    url: status.url,
    origin: status.origin,
    answeredBy,
    pings: n,
    pingP50Ms: round(percentile(rtts, 50)),
    pingMaxMs: round(Math.max(...rtts)),
    chat,
  };
}

/**
 * Two users, one at `urlA` and one at `urlB`, join one fresh room; each sends a message and the other must
 * receive it. Returns the delivery time each way. Used by `china test` and by the drill's chat check.
 */
export async function chatBothWays(
  target: Target,
  urlA: string | { readonly url: string; readonly address?: string },
  urlB: string,
  options: { timeoutMs: number; signal?: AbortSignal; roomId?: string },
): Promise<{ roomId: string; aToBMs: number; bToAMs: number }> {
  const roomId =
    options.roomId ?? `chatctl-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  // A's endpoint may name a host reached at a DNS answer (the global name, as a user's client reaches it).
  const endpointA = typeof urlA === 'string' ? { url: urlA } : urlA;
  const a = await openProbe(endpointA.url, target.token('chatctl-test-a', 600), {
    ...options,
    address: endpointA.address,
  });
  try {
    const b = await openProbe(urlB, target.token('chatctl-test-b', 600), options);
    try {
      for (const s of [a, b]) {
        s.send({ action: 'join', roomId });
        const joined = await s.next((f) => f.type === 'joined' || f.type === 'error', options.timeoutMs);
        if (joined.type === 'error')
          throw new Error(`join ${roomId} at ${s.url}: ${joined.code} ${joined.message}`);
      }
      // A member who joined in another region is known to the sender's region once its presence has
      // replicated there: until then a message reaches that member only through history. So the sender sends
      // again every second (a new message each time) until one arrives; the time counts from the first send.
      const oneWay = async (from: typeof a, to: typeof a, label: string) => {
        const ids = new Set<string>();
        const started = performance.now();
        for (;;) {
          const clientMsgId = `${label}-${Math.random().toString(36).slice(2, 10)}`;
          ids.add(clientMsgId);
          from.send({ action: 'send', roomId, text: `chatctl ${label}`, clientMsgId });
          const left = options.timeoutMs - (performance.now() - started);
          try {
            await to.next(
              (f) => f.type === 'message' && ids.has(f.message.clientMsgId),
              Math.max(1, Math.min(1000, left)),
            );
            return performance.now() - started;
          } catch (error) {
            if (!(error instanceof TimeoutError) || performance.now() - started >= options.timeoutMs) {
              throw new Error(`message ${label} not delivered: ${(error as Error).message}`);
            }
          }
        }
      };
      const aToBMs = await oneWay(a, b, 'a-to-b');
      const bToAMs = await oneWay(b, a, 'b-to-a');
      return { roomId, aToBMs: round(aToBMs), bToAMs: round(bToAMs) };
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}
