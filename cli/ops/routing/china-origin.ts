/**
 * Choosing the China proxy's origin: the one place that changes a CloudFront distribution. The origin is
 * the global name chat.<domain> by default (CloudFront resolves it by latency DNS from its edge, so China's
 * users follow a drain or a failure with no change here); `global` puts it back there, and a region key pins
 * it to that region's own name (which does not follow a drain: the safety rules guard it). GetDistributionConfig,
 * then UpdateDistribution with If-Match = its ETag; then it waits until a ping through the proxy is answered by
 * the pinned region (or, for the global name, by any region). `chatctl china origin` and the drill's
 * --move-china-origin use it.
 */
import { type CloudFrontClient, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { CHINA_ORIGIN_GLOBAL, findRegion, updateTopology } from '../../../core/topology.js';
import { cloudfrontClient, route53Client } from '../aws/clients.js';
import {
  distributionConfig,
  findChinaDistribution,
  originsOf,
  requireChinaDistribution,
  requireChinaProxyUrl,
} from '../aws/cloudfront.js';
import { explainAwsError } from '../aws/errors.js';
import { findHealthCheck } from '../aws/route53.js';
import { answeredBy, pingOnce, regionOfAnswer } from '../chat/probe.js';
import type { Target } from '../target.js';
import { sleep } from '../time.js';
import { withRoutingLock } from './lock.js';

/**
 * Pings through the proxy until the answer comes from `key` (`global`: from any region); returns how long that
 * took and the region that answered.
 */
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
      const served =
        key === CHINA_ORIGIN_GLOBAL
          ? regionOfAnswer(target, pong.region) !== undefined
          : answeredBy(target, pong.region, key);
      if (served) return { elapsedMs: performance.now() - since, lastRegion: last };
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (performance.now() - since > options.timeoutMs) {
      throw new UserError(
        `the China proxy did not serve from ${key} within ${Math.round(options.timeoutMs / 1000)} s (${last ? `still answered by ${last}` : lastError})`,
        { hint: 'check the distribution: chatctl china status' },
      );
    }
    await sleep(target.timing.chinaPollMs, options.signal);
  }
}

/** Polls the distribution until CloudFront says Deployed (the sandbox's always is). */
async function waitUntilDeployed(
  target: Target,
  client: CloudFrontClient,
  options: { timeoutMs: number; since: number; signal?: AbortSignal },
): Promise<void> {
  for (;;) {
    const found = await findChinaDistribution(target, client, options.signal);
    if (found?.Status === 'Deployed') return;
    if (performance.now() - options.since > options.timeoutMs) {
      throw new UserError(
        `the China proxy's distribution is still ${found?.Status ?? 'missing'} after ${Math.round(options.timeoutMs / 1000)} s`,
        { hint: 'check it: chatctl china status' },
      );
    }
    await sleep(target.timing.chinaPollMs, options.signal);
  }
}

/**
 * A pinned origin stays on its region, drained or not, which is why the safety rules refuse to drain the
 * pinned region: pinning to a region already drained would reach the same state from the other side.
 */
async function refuseDrainedOrigin(target: Target, key: string, given?: Route53Client): Promise<void> {
  const client = given ?? (await route53Client(target));
  try {
    const check = await findHealthCheck(target, client, key);
    if (check.HealthCheckConfig?.Inverted !== true) return;
    throw new UserError(
      `refusing to pin the China proxy's origin to ${key}: ${key} is drained (its health check ${check.Id} is inverted), so China's users would go to a region taken out of service; nothing was changed`,
      {
        hint: `restore it first (chatctl restore ${key}), or let the origin follow DNS: chatctl china origin global`,
      },
    );
  } finally {
    if (!given) client.destroy();
  }
}

export interface ChinaOriginMove {
  readonly distributionId: string;
  /** A region key, `global` (the global name), or undefined when the old origin was neither. */
  readonly from?: string;
  /** A region key, or `global`. */
  readonly to: string;
  readonly changed: boolean;
  /** From UpdateDistribution returning to the first ping through the proxy answered by the new origin. */
  readonly servedAfterMs?: number;
  /** The region key that answered that ping (for `global`, the one latency DNS gave the proxy's edge). */
  readonly servedBy?: string;
  readonly topologyUpdated: boolean;
}

/**
 * Points the distribution's origin at `key`'s own name (pins it), or at chat.<domain> for `global`, then
 * (unless `wait` is false) waits until a ping through the proxy is answered by `key` (by any region for
 * `global`). With `topologyPath`, chatctl.json's china.originRegion follows (unset for `global`).
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
    route53?: Route53Client;
  } = {},
): Promise<ChinaOriginMove> {
  const global = key === CHINA_ORIGIN_GLOBAL;
  if (!global) findRegion(target.topology, key);
  const client = options.client ?? (await cloudfrontClient(target));
  try {
    const found = await requireChinaDistribution(target, client);
    const id = found.Id;
    // The read, the drained check and the write under the routing lock (lock.ts): a drain of the region
    // being pinned waits, then sees the pinned origin and is refused by the China rule.
    const { from, changed } = await withRoutingLock(async () => {
      const current = await distributionConfig(client, id);
      const config = current.DistributionConfig;
      const origins = originsOf(target.topology, config);
      const domain = global ? names.chatRecord(target.topology) : names.regionalDomain(target.topology, key);
      const from = origins.followsDns ? CHINA_ORIGIN_GLOBAL : origins.origin;
      const changed = from !== key;
      if (changed && !global) await refuseDrainedOrigin(target, key, options.route53);
      if (changed) {
        const items = (config.Origins?.Items ?? []).map((o) =>
          o.Id === origins.originId ? { ...o, DomainName: domain } : o,
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
                  { hint: `run it again: chatctl china origin ${key}` },
                ),
              );
            }
            return Promise.reject(explainAwsError(error, `updating distribution ${id}`));
          });
      }
      return { from, changed };
    });
    const since = performance.now();
    let servedAfterMs: number | undefined;
    let servedBy: string | undefined;
    if (options.wait !== false) {
      const url = requireChinaProxyUrl(target, found.DomainName);
      const timeoutMs = options.timeoutMs ?? target.timing.chinaMoveTimeoutMs;
      // Any region answers the global name, the old pinned one too: wait for the change to reach the edges.
      if (global && changed)
        await waitUntilDeployed(target, client, { timeoutMs, since, signal: options.signal });
      const served = await waitUntilChinaServes(target, url, key, {
        timeoutMs,
        since,
        signal: options.signal,
      });
      servedAfterMs = served.elapsedMs;
      servedBy = served.lastRegion ? regionOfAnswer(target, served.lastRegion) : undefined;
    }
    let topologyUpdated = false;
    const pinned = global ? undefined : key;
    if (options.topologyPath && target.topology.china.originRegion !== pinned) {
      await updateTopology(options.topologyPath, (t) => ({
        ...t,
        china: { enabled: t.china.enabled, ...(pinned ? { originRegion: pinned } : {}) },
      }));
      topologyUpdated = true;
    }
    return { distributionId: id, from, to: key, changed, servedAfterMs, servedBy, topologyUpdated };
  } finally {
    if (!options.client) client.destroy();
  }
}
