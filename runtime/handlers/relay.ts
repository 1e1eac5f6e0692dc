/** Lambda entry for the relay (Lambda Invoke from another region; { dryRun: true } is a health probe). */
import type { RelayPayload } from '../app.js';
import { chatApp } from './instance.js';

export const handler = (payload: RelayPayload) => chatApp().relay(payload);
