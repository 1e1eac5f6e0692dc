/**
 * Moving the China proxy's origin: the one place that changes a CloudFront distribution. Points the
 * distribution's origin at a region (GetDistributionConfig, then UpdateDistribution with If-Match = its
 * ETag) and waits until a ping through the proxy is answered by that region. `chatctl china origin` and the
 * drill's --move-china-origin use it.
 */
import { type CloudFrontClient, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion, updateTopology } from '../../../core/topology.js';
import { cloudfrontClient } from '../aws/clients.js';
import {
  distributionConfig,
  originsOf,
  requireChinaDistribution,
  requireChinaProxyUrl,
} from '../aws/cloudfront.js';
import { explainAwsError } from '../aws/errors.js';
import { answeredBy, pingOnce } from '../chat/probe.js';
import type { Target } from '../target.js';
import { sleep } from '../time.js';

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
      if (answeredBy(target, pong.region, key))
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
    await sleep(target.timing.chinaPollMs, options.signal);
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
 * Points the distribution's origin at `key`'s regional domain, then (unless `wait` is false) waits until a
 * ping through the proxy is answered by `key`.
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
  const client = options.client ?? (await cloudfrontClient(target));
  try {
    const found = await requireChinaDistribution(target, client);
    const id = found.Id;
    const current = await distributionConfig(client, id);
    const config = current.DistributionConfig;
    const origins = originsOf(target.topology, config);
    const domain = names.regionalDomain(target.topology, key);
    const changed = origins.origin !== key;
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
    const since = performance.now();
    let servedAfterMs: number | undefined;
    if (options.wait !== false) {
      const url = requireChinaProxyUrl(target, found.DomainName);
      const timeoutMs = options.timeoutMs ?? target.timing.chinaMoveTimeoutMs;
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
  } finally {
    if (!options.client) client.destroy();
  }
}
