/** SSM: GetParameter of the CDK bootstrap version. */
import { defineService } from '../definition.js';
import type { SandboxService } from '../service.js';

export const SSM = defineService<SandboxService>({
  name: 'ssm',
  protocol: 'json',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
