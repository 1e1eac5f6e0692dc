/** Lambda: Invoke of each region's functions, GetAccountSettings. */
import { z } from 'zod';
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { LambdaNeeds, LambdaOptions, LambdaService } from './index.js';

const ms = z.number().min(0);

export const LAMBDA = defineService<LambdaService, LambdaNeeds, LambdaOptions>({
  name: 'lambda',
  protocol: 'rest-json',
  needs: { faults: PARTS.faults, network: PARTS.network, background: PARTS.background },
  options: z.object({
    lambdaConcurrency: z.int().min(0).optional(),
    lambdaAsync: z
      .object({
        retryDelaysMs: z.array(ms).optional(),
        throttleFirstMs: ms.optional(),
        throttleMaxMs: ms.optional(),
        relayMaxEventAgeMs: ms.optional(),
      })
      .optional(),
  }),
  load: async () => (await import('./index.js')).createService,
});
