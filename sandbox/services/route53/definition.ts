/** Route 53: the hosted zone, health checks and latency routing; its checks follow CloudWatch's and the canary's alarms. */
import { z } from 'zod';
import { CANARY } from '../canary/definition.js';
import { CLOUDWATCH } from '../cloudwatch/definition.js';
import { defineService } from '../definition.js';
import type { Route53Needs, Route53Options, Route53Service } from './index.js';

export const ROUTE53 = defineService<Route53Service, Route53Needs, Route53Options>({
  name: 'route53',
  protocol: 'rest-xml',
  global: true,
  needs: { monitoring: CLOUDWATCH, canary: CANARY },
  options: z.object({
    healthCheckIntervalMs: z.number().positive().optional(),
    failureThreshold: z.int().min(1).optional(),
    dnsTtlSeconds: z.int().min(0).optional(),
  }),
  load: async () => (await import('./index.js')).createService,
});
