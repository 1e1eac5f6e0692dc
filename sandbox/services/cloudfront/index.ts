/**
 * CloudFront on the sandbox's edge, when the topology has the China proxy: the distribution's API
 * (./api.ts) and the proxy itself (./china-proxy.ts), a port of its own that forwards to the region the
 * distribution's origin resolves to.
 *
 * CloudFront resolves its origin's name by DNS from the edge that serves the viewer, so the proxy asks the
 * sandbox's Route 53 (the rule of ../route53/resolve.ts, as the DNS server and TestDNSAnswer answer) for the
 * origin's address from the edge nearest mainland China, and forwards to the gateway at that address. With
 * the origin chat.<domain>, latency routing and the health checks decide the region, so a drained or failed
 * region loses its China users as it loses everyone else; a pinned origin <key>.chat.<domain> resolves to
 * that region whatever its health. Each new request or connection resolves afresh (CloudFront keeps an
 * answer for its TTL); open connections stay where they are, as with CloudFront.
 */
import { names, WEBSOCKET_STAGE } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { normalizeName } from '../../dns-name.js';
import { urlHost } from '../../http.js';
import { listenOrExplain } from '../../ports.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { ROUTE53 } from '../route53/definition.js';
import type { Route53Service } from '../route53/index.js';
import { resolveRecord } from '../route53/resolve.js';
import type { SandboxService, ServiceContext, ServiceStateFields } from '../service.js';
import { CloudFrontApi } from './api.js';
import { ChinaProxy, type ProxyOrigin } from './china-proxy.js';

/**
 * Where the proxy's edge resolves from: Hong Kong, the CloudFront edge next to mainland China (the global
 * network has no edge inside it). Route 53 places the edge's resolver there for latency routing.
 */
export const CHINA_EDGE_AWS_REGION = 'ap-east-1';

export class CloudFrontService implements SandboxService {
  readonly name = 'cloudfront';
  readonly api: CloudFrontApi;
  private readonly proxy: ChinaProxy;
  private url: string | undefined;

  constructor(
    private readonly context: ServiceContext,
    private readonly route53: Route53Service | undefined,
    private readonly listeners: SandboxParts['listeners'],
  ) {
    this.api = new CloudFrontApi({ topology: context.topology(), account: context.account });
    this.proxy = new ChinaProxy({
      host: listeners.host,
      port: listeners.ports.china,
      resolveOrigin: () => this.resolveOrigin(),
    });
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> => this.api.handle(request);

  async start(): Promise<void> {
    const wanted = this.listeners.ports.china;
    const port = await listenOrExplain(wanted, 'the China proxy', () => this.proxy.start());
    this.url = `ws://${urlHost(this.listeners.host)}:${port}/${WEBSOCKET_STAGE}`;
  }

  /** The China proxy's URL and distribution (undefined until started). */
  get china(): { url: string; distributionId: string } | undefined {
    return this.url ? { url: this.url, distributionId: this.api.distributionId } : undefined;
  }

  /** The region key the China proxy forwards a new connection to now (undefined: its origin resolves nowhere here). */
  chinaOrigin(): string | undefined {
    const domain = this.api.originDomain();
    if (!domain) return undefined;
    if (this.route53) {
      const answer = resolveRecord(this.route53.store, normalizeName(domain), 'A', undefined, {
        fromAwsRegion: CHINA_EDGE_AWS_REGION,
      }).answers[0];
      const addresses = this.route53.store.regionAddresses();
      return Object.keys(addresses).find((key) => answer?.data.includes(addresses[key]));
    }
    // Without Route 53 (a sandbox of regional services only), a region's own name still names it.
    const topology = this.context.topology();
    return this.context
      .regions()
      .map((r) => r.key)
      .find((key) => names.regionalDomain(topology, key) === domain);
  }

  private resolveOrigin(): ProxyOrigin | undefined {
    const domain = this.api.originDomain();
    const key = this.chinaOrigin();
    const region = key ? this.context.regions().find((r) => r.key === key) : undefined;
    if (!domain || !region) return undefined;
    // Host is the origin's name, as CloudFront sends it: the gateway holds chat.<domain> and its own names.
    return { domainName: domain, host: '127.0.0.1', port: region.gatewayPort };
  }

  stateFields(): ServiceStateFields {
    return this.china ? { china: this.china } : {};
  }

  stop(): Promise<void> {
    return this.proxy.stop();
  }
}

/** Only a topology with the China proxy runs CloudFront. */
export type CloudFrontNeeds = { route53: typeof ROUTE53; listeners: PartNeed<'listeners'> };

export const createService: ServiceFactory<CloudFrontService, CloudFrontNeeds> = (
  context,
  { route53, listeners },
) => (context.topology().china.enabled ? new CloudFrontService(context, route53, listeners) : undefined);
