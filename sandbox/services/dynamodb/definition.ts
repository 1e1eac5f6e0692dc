/** DynamoDB and DynamoDB Streams, forwarded to DynamoDB Local. */
import { defineService } from '../definition.js';
import type { SandboxService } from '../service.js';

export const DYNAMODB = defineService<SandboxService>({
  name: 'dynamodb',
  protocol: 'json',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
