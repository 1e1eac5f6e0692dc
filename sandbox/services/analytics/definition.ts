/** The analytics pipeline (a Firehose-like buffer into the local bucket); not an AWS API on the edge. */
import { defineService } from '../definition.js';
import type { AnalyticsService } from './index.js';

export const ANALYTICS = defineService<AnalyticsService>({
  name: 'firehose',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
