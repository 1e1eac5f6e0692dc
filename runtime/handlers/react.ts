/** Lambda entry for the react route (every MESSAGE route routes by body.action). */
import type { WebSocketEvent } from '../app.js';
import { chatApp } from './instance.js';

export const handler = (event: WebSocketEvent) => chatApp().message(event);
