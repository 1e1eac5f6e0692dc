/** The local event bus (the edge's /_chatctl/events). It speaks no AWS API (not EventBridge's): a chatctl- name. */
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { EventsNeeds, EventsService } from './index.js';

export const EVENTS = defineService<EventsService, EventsNeeds>({
  name: 'chatctl-events',
  needs: { streams: PARTS.streams },
  load: async () => (await import('./index.js')).createService,
});
