/** Lambda entry for the $connect route. */
import type { WebSocketEvent } from '../app.js';
import { chatApp } from './instance.js';

export const handler = (event: WebSocketEvent) => chatApp().connect(event);
