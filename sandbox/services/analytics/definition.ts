/** The analytics pipeline (Firehose's buffering into the local bucket). It speaks no AWS API (not Firehose's): a chatctl- name. */
import { defineService } from '../definition.js';
import type { AnalyticsService } from './index.js';

export const ANALYTICS = defineService<AnalyticsService>({
  name: 'chatctl-analytics',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
