/** CloudWatch metrics and alarms (JSON 1.0, CBOR and query). */
import { z } from 'zod';
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { CloudWatchNeeds, CloudWatchOptions, CloudWatchService } from './index.js';

export const CLOUDWATCH = defineService<CloudWatchService, CloudWatchNeeds, CloudWatchOptions>({
  name: 'monitoring',
  protocol: 'json',
  needs: { figures: PARTS.figures },
  options: z.object({ metricsIntervalMs: z.number().positive().optional() }),
  load: async () => (await import('./index.js')).createService,
});
