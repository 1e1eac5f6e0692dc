/**
 * The sandbox's DNS server: the hosted zone of the sandbox's Route 53 (../route53/), answered over UDP and
 * TCP on loopback on a port of its own (sandbox.json `dns`), as Route 53's name servers answer it: the
 * chat record by latency from the client's location, among healthy records, with each record's TTL; the
 * regional names; NXDOMAIN and NODATA with the zone's SOA; REFUSED outside the zone. The rule of each
 * answer is Route 53's one (../route53/resolve.ts), shared with TestDNSAnswer.
 */
import { normalizeName } from '../../dns-name.js';
import { urlHost } from '../../http.js';
import { listenOrExplain } from '../../ports.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { ROUTE53 } from '../route53/definition.js';
import type { Route53Service } from '../route53/index.js';
import { resolveRecord } from '../route53/resolve.js';
import type { SandboxService, ServiceStateFields } from '../service.js';
import { type DnsQuestion, type DnsReply, type DnsServer, startDnsServer } from './server.js';

export class DnsService implements SandboxService {
  readonly name = 'dns';
  private server: DnsServer | undefined;

  constructor(
    private readonly listeners: SandboxParts['listeners'],
    private readonly route53: Route53Service,
  ) {}

  async start(): Promise<void> {
    const { host, ports } = this.listeners;
    this.server = await listenOrExplain(ports.dns, 'the DNS server', () =>
      startDnsServer({ host, port: ports.dns, answer: (q) => this.answer(q) }),
    );
  }

  answer(question: DnsQuestion): DnsReply {
    const resolution = resolveRecord(
      this.route53.store,
      normalizeName(question.name),
      question.type,
      question.clientIp,
    );
    return {
      rcode: resolution.responseCode,
      answers: resolution.answers.flatMap((r) => r.data.map((data) => ({ ...r, data }))),
      authorities:
        resolution.soa && resolution.answers.length === 0
          ? [{ ...resolution.soa, data: resolution.soa.data[0] ?? '' }]
          : [],
    };
  }

  stateFields(): ServiceStateFields {
    if (!this.server) return {};
    return {
      dns: {
        host: urlHost(this.listeners.host).replace(/^\[|\]$/g, ''),
        port: this.server.port,
        addresses: this.route53.store.regionAddresses(),
      },
    };
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

/** Runs with the sandbox's Route 53 (the global services). */
export type DnsNeeds = { route53: typeof ROUTE53; listeners: PartNeed<'listeners'> };

export const createService: ServiceFactory<DnsService, DnsNeeds> = (_context, { route53, listeners }) =>
  route53 ? new DnsService(listeners, route53) : undefined;
