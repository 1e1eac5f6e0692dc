/** Lambda: Invoke of each region's functions, GetAccountSettings. */
import { defineService } from '../definition.js';
import type { LambdaService } from './index.js';

export const LAMBDA = defineService<LambdaService>({
  name: 'lambda',
  protocol: 'rest-json',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
