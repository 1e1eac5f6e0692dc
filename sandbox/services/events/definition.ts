/** The local event bus (the edge's /_chatctl/events; no SigV4 API). */
import { defineService } from '../definition.js';
import type { EventsService } from './index.js';

export const EVENTS = defineService<EventsService>({
  name: 'events',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
