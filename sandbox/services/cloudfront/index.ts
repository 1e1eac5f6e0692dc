/**
 * CloudFront on the sandbox's edge, when the topology has the China proxy: the distribution's API
 * (./api.ts) and the proxy itself (./china-proxy.ts), a port of its own that forwards to the region the
 * distribution's origin names.
 */
import { names, WEBSOCKET_STAGE } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { urlHost } from '../../http.js';
import { listenOrExplain } from '../../ports.js';
import type { SandboxService, ServiceContext, ServiceFactory, ServiceStateFields } from '../service.js';
import { CloudFrontApi } from './api.js';
import { ChinaProxy } from './china-proxy.js';

export class CloudFrontService implements SandboxService {
  readonly name = 'cloudfront';
  readonly api: CloudFrontApi;
  private readonly proxy: ChinaProxy;
  private url: string | undefined;

  constructor(private readonly context: ServiceContext) {
    const topology = context.topology();
    this.api = new CloudFrontApi({
      topology,
      account: context.account,
      originRegion: topology.china.originRegion,
    });
    this.proxy = new ChinaProxy({
      host: context.host,
      port: context.ports.china,
      resolveOrigin: () => {
        const key = this.chinaOrigin();
        const region = key ? context.regions().find((r) => r.key === key) : undefined;
        if (!key || !region) return undefined;
        return {
          domainName: names.regionalDomain(topology, key),
          host: '127.0.0.1',
          port: region.gatewayPort,
        };
      },
    });
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> => this.api.handle(request);

  async start(): Promise<void> {
    const wanted = this.context.ports.china;
    const port = await listenOrExplain(wanted, 'the China proxy', () => this.proxy.start());
    this.url = `ws://${urlHost(this.context.host)}:${port}/${WEBSOCKET_STAGE}`;
  }

  /** The China proxy's URL and distribution (undefined until started). */
  get china(): { url: string; distributionId: string } | undefined {
    return this.url ? { url: this.url, distributionId: this.api.distributionId } : undefined;
  }

  /** The region key the China proxy forwards to now (undefined when its origin runs nowhere here). */
  chinaOrigin(): string | undefined {
    const domain = this.api.originDomain();
    if (!domain) return undefined;
    const topology = this.context.topology();
    return this.context
      .regions()
      .map((r) => r.key)
      .find((key) => names.regionalDomain(topology, key).toLowerCase() === domain);
  }

  stateFields(): ServiceStateFields {
    return this.china ? { china: this.china } : {};
  }

  stop(): Promise<void> {
    return this.proxy.stop();
  }
}

/** Only a topology with the China proxy runs CloudFront. */
export const createService: ServiceFactory = (context) =>
  context.topology().china.enabled ? new CloudFrontService(context) : undefined;
