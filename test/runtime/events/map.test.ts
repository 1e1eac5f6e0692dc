// Stream records as DynamoDB Streams shapes them (NEW_AND_OLD_IMAGES), mapped to chat events.
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { matchesAnyEventPattern } from '../../../core/event-pattern.js';
import { eventFilterPatterns } from '../../../core/events.js';
import { chatEventOf, chatEventsOf } from '../../../runtime/events/map.js';

function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  next?: Record<string, unknown>,
  old?: Record<string, unknown>,
  extra: Partial<DynamoDBRecord> = {},
): DynamoDBRecord {
  const image = next ?? old ?? {};
  return {
    eventID: `id-${Math.random()}`,
    eventName,
    dynamodb: {
      Keys: marshall({ pk: image.pk, sk: image.sk }) as never,
      ...(next ? { NewImage: marshall(next, { removeUndefinedValues: true }) as never } : {}),
      ...(old ? { OldImage: marshall(old, { removeUndefinedValues: true }) as never } : {}),
      ApproximateCreationDateTime: 1_800_000_000,
      SequenceNumber: '1',
    },
    ...extra,
  };
}

const message = {
  pk: 'ROOM#lobby',
  sk: 'MSG#m1',
  type: 'message',
  messageId: 'm1',
  roomId: 'lobby',
  userId: 'ana',
  text: 'hi',
  sentAt: 5,
  region: 'seoul',
  clientMsgId: 'c1',
};
const presence = {
  pk: 'ROOM#lobby',
  sk: 'CONN#seoul#c9',
  type: 'presence',
  region: 'seoul',
  connectionId: 'c9',
  userId: 'ana',
  joinedAt: 7,
};
const reaction = {
  pk: 'ROOM#lobby',
  sk: 'MSG#m1#R#👍#ben',
  type: 'reaction',
  messageId: 'm1',
  emoji: '👍',
  userId: 'ben',
  at: 9,
  region: 'seoul',
};

describe('chat events of stream records', () => {
  it('events: a message becomes chat.message.sent in its region only; its replicated copy in another region is none', () => {
    expect(chatEventOf(record('INSERT', message), 'seoul')).toMatchObject({
      type: 'chat.message.sent',
      region: 'seoul',
      roomId: 'lobby',
      messageId: 'm1',
      at: 5,
    });
    expect(chatEventOf(record('INSERT', message), 'tokyo')).toBeUndefined();
    expect(chatEventOf(record('INSERT', { ...message, parentId: 'm0' }), 'seoul')?.type).toBe(
      'chat.reply.sent',
    );
  });

  it('events: a presence is joined on INSERT and left on REMOVE; its rewrites and TTL expiry are none', () => {
    expect(chatEventOf(record('INSERT', presence), 'seoul')?.type).toBe('chat.member.joined');
    expect(
      chatEventOf(record('MODIFY', { ...presence, sentThrough: 'x' }, presence), 'seoul'),
    ).toBeUndefined();
    expect(chatEventOf(record('REMOVE', undefined, presence), 'seoul')).toMatchObject({
      type: 'chat.member.left',
      at: 1_800_000_000_000,
    });
    const ttl = { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } };
    expect(chatEventOf(record('REMOVE', undefined, presence, ttl), 'seoul')).toBeUndefined();
    // A copy of seoul's presence that tokyo wrote (a relayed join) is seoul's event, not tokyo's.
    expect(chatEventOf(record('INSERT', presence), 'tokyo')).toBeUndefined();
  });

  it('events: a reaction is added or removed only when its state changes', () => {
    const removed = { ...reaction, removed: true };
    expect(chatEventOf(record('INSERT', reaction), 'seoul')?.type).toBe('chat.reaction.added');
    expect(chatEventOf(record('MODIFY', removed, reaction), 'seoul')?.type).toBe('chat.reaction.removed');
    expect(chatEventOf(record('MODIFY', reaction, removed), 'seoul')?.type).toBe('chat.reaction.added');
    // Removing what was never there writes a tombstone: no event.
    expect(chatEventOf(record('INSERT', removed), 'seoul')).toBeUndefined();
  });

  it('events: bookkeeping and items without a region (written before the stamp) are none; a bad item is skipped', () => {
    const epoch = { pk: 'ROOM#lobby', sk: 'CONN#seoul', type: 'presenceEpoch', region: 'seoul', epoch: 3 };
    const legacy = { ...message, region: undefined };
    const bad = { ...message, messageId: 'm2', userId: 42 };
    const events = chatEventsOf(
      [record('INSERT', epoch), record('INSERT', legacy), record('INSERT', bad), record('INSERT', message)],
      'seoul',
    );
    expect(events.map((e) => e.type)).toEqual(['chat.message.sent']);
  });

  it("events: the pipe's filter drops nothing the mapping publishes (it runs first, on AWS and in the sandbox)", () => {
    const notice = {
      pk: 'ROOM#lobby',
      sk: 'NOTICE',
      type: 'notice',
      region: 'seoul',
      userId: 'ana',
      text: 'hi',
      setAt: 3,
    };
    const removed = { ...reaction, removed: true };
    const records = [
      record('INSERT', message),
      record('INSERT', { ...message, parentId: 'm0' }),
      record('INSERT', presence),
      record('REMOVE', undefined, presence),
      record('INSERT', reaction),
      record('MODIFY', removed, reaction),
      record('MODIFY', reaction, removed),
      record('INSERT', notice),
      record('MODIFY', { ...notice, text: 'bye' }, notice),
    ];
    for (const key of ['seoul', 'tokyo']) {
      for (const r of records) {
        const event = chatEventOf(r, key);
        const passes = matchesAnyEventPattern(eventFilterPatterns(key), r);
        if (event) expect(passes, `${key}: ${event.type}`).toBe(true);
        // Another region's writes never pass: each event is published once, where it happened.
        if (key === 'tokyo')
          expect(passes, `tokyo: ${r.eventName} ${r.dynamodb?.NewImage ? 'new' : 'old'}`).toBe(false);
      }
    }
    expect(records.filter((r) => chatEventOf(r, 'seoul')).length).toBe(records.length);
  });
});
