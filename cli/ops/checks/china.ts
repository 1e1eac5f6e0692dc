/**
 * The China proxy as the checks see it: `chatctl china status` (the distribution as deployed), `chatctl
 * china test` (pings and a chat both ways through the proxy), and the China part of `chatctl health`.
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import { type AwsClients, cloudfrontClient, withClient } from '../aws/clients.js';
import {
  findChinaDistribution,
  type OriginsShape,
  originsOf,
  requireChinaDistribution,
  requireChinaProxyUrl,
} from '../aws/cloudfront.js';
import { answeredBy, chatBothWays, pingOnce, regionOfAnswer } from '../chat/probe.js';
import type { Target } from '../target.js';
import { percentile, round } from '../time.js';
import { pingOrShed } from './region.js';
import { timed } from './timed.js';
import { type ChinaHealth, chinaStatus as chinaStatusOf } from './verdict.js';

export interface ChinaStatus {
  readonly distributionId: string;
  readonly domainName: string;
  /** CloudFront's status: Deployed or InProgress. */
  readonly status: string;
  readonly enabled: boolean;
  /** The region the origin is pinned to (undefined when it follows DNS or is not one of the regions). */
  readonly origin?: string;
  readonly originDomain?: string;
  /** The origin is the global name chat.<domain>: the region is the one latency DNS gives CloudFront's edge. */
  readonly followsDns: boolean;
  readonly failoverOrigins: readonly string[];
  /** What chatctl.json says: a pinned region, or undefined for the global name. */
  readonly configuredOrigin?: string;
  /** The region that answers a ping through the proxy now, seen from the proxy's own edge. */
  readonly servedBy?: string;
  /** Why no region could be named as servedBy (the ping's error, or an answer from no known region). */
  readonly servedByProblem?: string;
  readonly url: string;
}

/** The distribution as deployed, and the region a ping through the proxy reaches now. */
export async function chinaStatus(
  target: Target,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ChinaStatus> {
  const found = await withClient(cloudfrontClient(target), (client) =>
    requireChinaDistribution(target, client),
  );
  const origins = originsOf(target.topology, found as OriginsShape);
  const url = requireChinaProxyUrl(target, found.DomainName);
  // Only the proxy's edge knows where chat.<domain> resolves for it: ask through the proxy.
  const served = await pingOnce(url, target.token('chatctl-china-status', 300), {
    timeoutMs: options.timeoutMs ?? 5000,
    signal: options.signal,
  }).then(
    (pong) => {
      const key = regionOfAnswer(target, pong.region);
      return key ? { servedBy: key } : { servedByProblem: `answered by ${pong.region}, no known region` };
    },
    (error: Error) => ({ servedByProblem: error.message }),
  );
  return {
    distributionId: found.Id,
    domainName: found.DomainName ?? '',
    status: found.Status ?? 'unknown',
    enabled: found.Enabled !== false,
    origin: origins.origin,
    originDomain: origins.originDomain,
    followsDns: origins.followsDns,
    failoverOrigins: origins.failover,
    configuredOrigin: target.topology.china.originRegion,
    ...served,
    url,
  };
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
  const client = await ChatClient.connect({
    url: status.url,
    token: target.token('chatctl-china-test', 600),
    timeoutMs,
    connectTimeoutMs: timeoutMs,
    signal: options.signal,
  });
  const rtts: number[] = [];
  let answered = '';
  try {
    for (let i = 0; i < n; i++) {
      const pong = await client.ping();
      rtts.push(pong.rttMs);
      answered = pong.region;
    }
  } finally {
    void client.close();
  }
  const direct = regionOfAnswer(target, answered) ?? status.servedBy ?? status.origin;
  if (!direct) {
    throw new UserError('the China proxy answers from no known region', {
      hint: 'run: chatctl china status',
    });
  }
  const chat = await chatBothWays(target, status.url, target.region(direct).websocketUrl, {
    timeoutMs,
    signal: options.signal,
  });
  return {
    url: status.url,
    origin: status.origin,
    answeredBy: answered,
    pings: n,
    pingP50Ms: round(percentile(rtts, 50)),
    pingMaxMs: round(Math.max(...rtts)),
    chat,
  };
}

/** The China part of `chatctl health`: the distribution (found, deployed) and a ping through the proxy. */
export async function checkChina(clients: AwsClients, timeoutMs: number): Promise<ChinaHealth> {
  const { target } = clients;
  const topology = target.topology;
  if (!topology.china.enabled) return { enabled: false, status: 'skip', checks: [] };
  const comment = names.chinaDistributionComment(topology);
  let found: { id?: string; domain?: string; status?: string; originDomain?: string } | undefined;
  /** The pinned region; undefined when the origin follows DNS (any serving region may answer). */
  let origin: string | undefined;
  let followsDns = !topology.china.originRegion;
  const distribution = await timed('distribution', timeoutMs, async (signal) => {
    const hit = await findChinaDistribution(target, await clients.cloudfront(), signal);
    if (!hit) {
      return {
        status: 'fail',
        detail: `no distribution with comment "${comment}"`,
        action: 'deploy the China proxy: chatctl deploy',
      };
    }
    const origins = originsOf(topology, hit as OriginsShape);
    found = { id: hit.Id, domain: hit.DomainName, status: hit.Status, originDomain: origins.originDomain };
    origin = origins.origin;
    followsDns = origins.followsDns;
    const detail = `${found.id} ${found.status}, origin ${followsDns ? `${found.originDomain} (follows latency DNS)` : (origin ?? found.originDomain)}`;
    const data = { id: found.id, status: found.status, origin, followsDns, originDomain: found.originDomain };
    if (found.status !== 'Deployed') {
      return { status: 'warn', detail, action: 'a change is deploying; check again in a few minutes', data };
    }
    return { status: 'ok', detail, data };
  });
  const expected = followsDns ? undefined : (origin ?? topology.china.originRegion);
  const sheds = expected ?? 'the region it reaches';
  const proxy = await timed('proxy', timeoutMs, async (signal) => {
    const url = target.chinaProxyUrl(found?.domain);
    if (!url) return { status: 'fail', detail: 'no proxy address (distribution not found)' };
    const { ping, shed } = await pingOrShed(
      url,
      target.token('probe-china', 300),
      { timeoutMs, signal },
      {
        detail: `new connections refused with HTTP 429: the origin ${sheds} sheds load (level 3); connected users still chat`,
        action: expected
          ? `do not move the origin for this; when the surge has passed: chatctl traffic level 0 --region ${expected}`
          : 'do not move the origin for this; when the surge has passed, lower the region chatctl health shows at level 3: chatctl traffic level 0 --region KEY',
      },
    );
    if (shed) return shed;
    if (expected ? !answeredBy(target, ping.region, expected) : !regionOfAnswer(target, ping.region)) {
      return {
        status: 'warn',
        latencyMs: round(ping.totalMs),
        detail: `answered by ${ping.region}, expected ${expected ? `the origin ${expected}` : 'one of the regions'}`,
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
    status: chinaStatusOf({ enabled: true, checks }),
    origin,
    followsDns,
    distributionId: found?.id,
    domain: found?.domain,
    checks,
  };
}
