/** The DNS server (UDP and TCP) answering the hosted zone by Route 53's rule; not on the edge. */
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import { ROUTE53 } from '../route53/definition.js';
import type { DnsNeeds, DnsService } from './index.js';

export const DNS = defineService<DnsService, DnsNeeds>({
  name: 'dns',
  global: true,
  ports: ['dns'],
  needs: { route53: ROUTE53, listeners: PARTS.listeners },
  load: async () => (await import('./index.js')).createService,
});
