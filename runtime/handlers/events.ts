/**
 * Lambda entry for a region's event pipe's enrichment (stacks/events.ts): the batch of stream records that passed
 * the pipe's filter -> the chat events (runtime/events/map.ts), which the pipe puts on the region's event bus.
 * Returning fewer items than it got is how an enrichment drops records; an empty array invokes no target.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { ChatEvent } from '../../core/events.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { chatEventsOf } from '../events/map.js';

export const handler = async (batch: DynamoDBRecord[] | DynamoDBRecord): Promise<ChatEvent[]> => {
  const regionKey = process.env[RUNTIME_ENV.regionKey];
  if (!regionKey)
    throw new Error(`environment variable ${RUNTIME_ENV.regionKey} is not set; the stack sets it`);
  return chatEventsOf(Array.isArray(batch) ? batch : [batch], regionKey);
};
