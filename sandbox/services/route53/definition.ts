/** Route 53: the hosted zone, health checks and latency routing; its checks follow CloudWatch's alarms. */
import { CLOUDWATCH } from '../cloudwatch/definition.js';
import { defineService } from '../definition.js';
import type { Route53Service } from './index.js';

export const ROUTE53 = defineService<Route53Service, { monitoring: typeof CLOUDWATCH }>({
  name: 'route53',
  protocol: 'rest-xml',
  global: true,
  needs: { monitoring: CLOUDWATCH },
  load: async () => (await import('./index.js')).createService,
});
