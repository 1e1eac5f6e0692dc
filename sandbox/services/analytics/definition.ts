/** The analytics pipeline (Firehose's buffering into the local bucket). It speaks no AWS API (not Firehose's): a chatctl- name. */
import { z } from 'zod';
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { AnalyticsNeeds, AnalyticsOptions, AnalyticsService } from './index.js';

export const ANALYTICS = defineService<AnalyticsService, AnalyticsNeeds, AnalyticsOptions>({
  name: 'chatctl-analytics',
  needs: { streams: PARTS.streams },
  options: z.object({ filesDir: z.string().min(1).optional() }),
  load: async () => (await import('./index.js')).createService,
});
