/** The DNS server (UDP and TCP) answering the hosted zone by Route 53's rule; not on the edge. */
import { defineService } from '../definition.js';
import { ROUTE53 } from '../route53/definition.js';
import type { DnsService } from './index.js';

export const DNS = defineService<DnsService, { route53: typeof ROUTE53 }>({
  name: 'dns',
  global: true,
  ports: ['dns'],
  needs: { route53: ROUTE53 },
  load: async () => (await import('./index.js')).createService,
});
