/** CloudWatch metrics and alarms (JSON 1.0, CBOR and query). */
import { defineService } from '../definition.js';
import type { CloudWatchService } from './index.js';

export const CLOUDWATCH = defineService<CloudWatchService>({
  name: 'monitoring',
  protocol: 'json',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
