/** The local event bus (the edge's /_chatctl/events). It speaks no AWS API (not EventBridge's): a chatctl- name. */
import { defineService } from '../definition.js';
import type { EventsService } from './index.js';

export const EVENTS = defineService<EventsService>({
  name: 'chatctl-events',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
