// The pipe's enrichment entry: what EventBridge Pipes invokes with a batch of stream records after its filter.
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { parseChatEvent } from '../../../core/events.js';
import { RUNTIME_ENV } from '../../../core/runtime-env.js';
import { handler } from '../../../runtime/handlers/events.js';

const insert = (id: string, region: string): DynamoDBRecord => ({
  eventID: id,
  eventName: 'INSERT',
  dynamodb: {
    NewImage: marshall({
      pk: 'ROOM#lobby',
      sk: `MSG#${id}`,
      type: 'message',
      messageId: id,
      roomId: 'lobby',
      userId: 'ana',
      text: 'hi',
      sentAt: 7,
      region,
    }) as never,
    SequenceNumber: id,
  },
});

describe('events enrichment', () => {
  const before = process.env[RUNTIME_ENV.regionKey];
  afterEach(() => {
    if (before === undefined) delete process.env[RUNTIME_ENV.regionKey];
    else process.env[RUNTIME_ENV.regionKey] = before;
  });

  it("events enrichment: a batch becomes the region's chat events, in order, a copy from elsewhere dropped", async () => {
    process.env[RUNTIME_ENV.regionKey] = 'tokyo';
    const events = await handler([insert('m1', 'tokyo'), insert('m2', 'seoul'), insert('m3', 'tokyo')]);
    expect(events.map((e) => [e.type, e.id, e.region])).toEqual([
      ['chat.message.sent', 'm1', 'tokyo'],
      ['chat.message.sent', 'm3', 'tokyo'],
    ]);
    for (const event of events) expect(parseChatEvent(event)).toEqual(event);
    // Nothing left is an empty array: the pipe then invokes no target.
    expect(await handler([insert('m4', 'seoul')])).toEqual([]);
  });

  it('events enrichment: without its region key it fails, naming the variable', async () => {
    delete process.env[RUNTIME_ENV.regionKey];
    await expect(handler([insert('m1', 'tokyo')])).rejects.toThrow(RUNTIME_ENV.regionKey);
  });
});
