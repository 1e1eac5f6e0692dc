/**
 * The China proxy as the checks see it: `chatctl china status` (the distribution as deployed), `chatctl
 * china test` (pings and a chat both ways through the proxy), and the China part of `chatctl health`.
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { type AwsClients, cloudfrontClient, withClient } from '../aws/clients.js';
import {
  findChinaDistribution,
  type OriginsShape,
  originsOf,
  requireChinaDistribution,
  requireChinaProxyUrl,
} from '../aws/cloudfront.js';
import { ChatClient } from '../chat/client.js';
import { answeredBy, chatBothWays, regionOfAnswer } from '../chat/probe.js';
import type { Target } from '../target.js';
import { percentile, round } from '../time.js';
import { pingOrShed } from './region.js';
import { timed } from './timed.js';
import { type ChinaCheckName, type ChinaHealth, chinaStatus as chinaStatusOf } from './verdict.js';

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

export async function chinaStatus(target: Target): Promise<ChinaStatus> {
  const found = await withClient(cloudfrontClient(target), (client) =>
    requireChinaDistribution(target, client),
  );
  const origins = originsOf(target.topology, found as OriginsShape);
  return {
    distributionId: found.Id,
    domainName: found.DomainName ?? '',
    status: found.Status ?? 'unknown',
    enabled: found.Enabled !== false,
    origin: origins.origin,
    originDomain: origins.originDomain,
    failoverOrigins: origins.failover,
    configuredOrigin: target.topology.china.originRegion,
    url: requireChinaProxyUrl(target, found.DomainName),
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
  const direct = regionOfAnswer(target, answered) ?? status.origin;
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
  let origin: string | undefined;
  const distribution = await timed<ChinaCheckName>('distribution', timeoutMs, async (signal) => {
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
    const detail = `${found.id} ${found.status}, origin ${origin ?? found.originDomain}`;
    const data = { id: found.id, status: found.status, origin, originDomain: found.originDomain };
    if (found.status !== 'Deployed') {
      return { status: 'warn', detail, action: 'a change is deploying; check again in a few minutes', data };
    }
    return { status: 'ok', detail, data };
  });
  const expected = origin ?? topology.china.originRegion;
  const proxy = await timed<ChinaCheckName>('proxy', timeoutMs, async (signal) => {
    const url = target.chinaProxyUrl(found?.domain);
    if (!url) return { status: 'fail', detail: 'no proxy address (distribution not found)' };
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
    if (!answeredBy(target, ping.region, expected)) {
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
    status: chinaStatusOf({ enabled: true, checks }),
    origin,
    distributionId: found?.id,
    domain: found?.domain,
    checks,
  };
}
