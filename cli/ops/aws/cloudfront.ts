/**
 * CloudFront as the ops code reads it: the China proxy's distribution (found by its comment), its origin
 * (the global name chat.<domain>, or the region it is pinned to, and which it can fail over to) and the
 * proxy's WebSocket URL. Changing the
 * origin is routing's job (cli/ops/routing/china-origin.ts).
 */
import {
  type CloudFrontClient,
  type DistributionConfig,
  type DistributionSummary,
  GetDistributionConfigCommand,
  type GetDistributionConfigCommandOutput,
  ListDistributionsCommand,
} from '@aws-sdk/client-cloudfront';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import type { Topology } from '../../../core/topology.js';
import type { Target } from '../target.js';
import { explainAwsError } from './errors.js';

export type OriginsShape = Pick<DistributionConfig, 'Origins' | 'OriginGroups' | 'DefaultCacheBehavior'>;

/** The China proxy's distribution, or undefined when none carries its comment. */
export async function findChinaDistribution(
  target: Target,
  client: CloudFrontClient,
  signal?: AbortSignal,
): Promise<DistributionSummary | undefined> {
  const comment = names.chinaDistributionComment(target.topology);
  let marker: string | undefined;
  for (;;) {
    const page = await client
      .send(new ListDistributionsCommand({ Marker: marker }), signal ? { abortSignal: signal } : undefined)
      .catch((error) => Promise.reject(explainAwsError(error, 'listing CloudFront distributions')));
    const list = page.DistributionList;
    const found = list?.Items?.find((d) => d.Comment === comment);
    if (found) return found;
    if (!list?.IsTruncated || !list.NextMarker) return undefined;
    marker = list.NextMarker;
  }
}

export async function requireChinaDistribution(
  target: Target,
  client: CloudFrontClient,
): Promise<DistributionSummary & { Id: string }> {
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
  return found as DistributionSummary & { Id: string };
}

export async function distributionConfig(
  client: CloudFrontClient,
  id: string,
): Promise<GetDistributionConfigCommandOutput & { DistributionConfig: DistributionConfig }> {
  const current = await client
    .send(new GetDistributionConfigCommand({ Id: id }))
    .catch((error) => Promise.reject(explainAwsError(error, `reading distribution ${id}`)));
  if (!current.DistributionConfig) throw new Error(`distribution ${id} returned no configuration`);
  return current as GetDistributionConfigCommandOutput & { DistributionConfig: DistributionConfig };
}

/** The region key whose regional domain is `domain`, if any. */
export function regionOfDomain(topology: Topology, domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  const d = domain.toLowerCase().replace(/\.$/, '');
  return topology.regions.find((r) => names.regionalDomain(topology, r.key) === d)?.key;
}

/** The China proxy's origin as deployed. */
export interface ChinaOrigins {
  readonly originId?: string;
  /** The pinned region (its own name is the origin); undefined when the origin follows DNS or is not ours. */
  readonly origin?: string;
  readonly originDomain?: string;
  /** The origin is the global name chat.<domain>: CloudFront reaches the region latency DNS gives its edge. */
  readonly followsDns: boolean;
  readonly failover: string[];
}

/**
 * Which origin the default behaviour uses (directly, or as the first member of an origin group): the global
 * name, or a pinned region; and which other regions an origin group can fail over to.
 */
export function originsOf(topology: Topology, config: OriginsShape): ChinaOrigins {
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
  const domain = primary?.DomainName?.toLowerCase().replace(/\.$/, '');
  return {
    originId: primary?.Id,
    origin: regionOfDomain(topology, domain),
    originDomain: primary?.DomainName,
    followsDns: domain === names.chatRecord(topology),
    failover,
  };
}

/** The China proxy's WebSocket URL, or a sentence saying why there is none. */
export function requireChinaProxyUrl(target: Target, distributionDomain: string | undefined): string {
  const url = target.chinaProxyUrl(distributionDomain);
  if (!url) {
    throw new UserError('there is no China proxy to connect to', {
      hint: 'set china.enabled in chatctl.json, then deploy it (chatctl deploy) or restart the sandbox (chatctl sandbox down && chatctl sandbox up --detach)',
    });
  }
  return url;
}
