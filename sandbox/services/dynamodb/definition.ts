/** DynamoDB and DynamoDB Streams, forwarded to DynamoDB Local. */
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { SandboxService } from '../service.js';
import type { DynamoDbNeeds } from './index.js';

export const DYNAMODB = defineService<SandboxService, DynamoDbNeeds>({
  name: 'dynamodb',
  protocol: 'json',
  needs: { engine: PARTS.engine },
  load: async () => (await import('./index.js')).createService,
});
