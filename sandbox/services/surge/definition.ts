/**
 * The surge controller, run in-process for every region (the stacks deploy it as a Lambda on a schedule): it
 * reads each region's lanes and writes the load level through the edge to DynamoDB, as on AWS. It speaks no
 * AWS API: a chatctl- name.
 */
import { z } from 'zod';
import { defineService } from '../definition.js';
import { DYNAMODB } from '../dynamodb/definition.js';
import { PARTS } from '../parts.js';
import type { SurgeNeeds, SurgeOptions, SurgeService } from './index.js';

export const SURGE = defineService<SurgeService, SurgeNeeds, SurgeOptions>({
  name: 'chatctl-surge',
  needs: { dynamodb: DYNAMODB, lanes: PARTS.lanes, replication: PARTS.replication, edge: PARTS.edge },
  options: z.object({
    /**
     * It changes a level only where `chatctl traffic auto on`. Default: every second, with a 10 s cool-down;
     * false: not run.
     */
    surge: z
      .union([
        z.literal(false),
        z.object({
          intervalMs: z.number().positive().optional(),
          coolDownMs: z.number().min(0).optional(),
        }),
      ])
      .optional(),
  }),
  load: async () => (await import('./index.js')).createService,
});
