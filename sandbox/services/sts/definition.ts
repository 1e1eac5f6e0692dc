/** STS: GetCallerIdentity. */
import { defineService } from '../definition.js';
import type { SandboxService } from '../service.js';

export const STS = defineService<SandboxService>({
  name: 'sts',
  protocol: 'query',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
