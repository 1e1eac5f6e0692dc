/** Lambda entry for the $disconnect route. */
import type { WebSocketEvent } from '../app.js';
import { chatApp } from './instance.js';

export const handler = (event: WebSocketEvent) => chatApp().disconnect(event);
