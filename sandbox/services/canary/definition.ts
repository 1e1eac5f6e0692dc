/**
 * The chat canary in every region (the stacks deploy it as a Lambda every minute): its judgement alarms in
 * CloudWatch, which Route 53's checks follow, and its results stored there. It speaks no AWS API: a chatctl-
 * name.
 */
import { z } from 'zod';
import { CLOUDWATCH } from '../cloudwatch/definition.js';
import { defineService } from '../definition.js';
import type { CanaryNeeds, CanaryOptions, CanaryService } from './index.js';

export const CANARY = defineService<CanaryService, CanaryNeeds, CanaryOptions>({
  name: 'chatctl-canary',
  needs: { monitoring: CLOUDWATCH },
  options: z.object({
    /**
     * Every 2 s unless given: CloudWatch gets each region's canary alarm and Route 53 routes on a CALCULATED
     * check of /health and that alarm, as the stacks deploy them. Default off (the CLI's `sandbox up` turns it
     * on); off, Route 53 routes on the /health check alone.
     */
    canary: z.union([z.boolean(), z.object({ intervalMs: z.number().positive().optional() })]).optional(),
  }),
  load: async () => (await import('./index.js')).createService,
});
