import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chatEventJsonSchema, eventFilterPatterns, parseChatEvent } from '../../core/events.js';

describe('chat events contract', () => {
  it('events: the committed JSON Schema is the zod schema as JSON Schema', () => {
    const committed = JSON.parse(readFileSync('docs/chat-events.v1.schema.json', 'utf8'));
    expect(committed).toEqual(chatEventJsonSchema());
    expect(JSON.stringify(committed)).toContain('chat.member.left');
  });

  it('events: an event missing a field or with an unknown type is refused, naming it', () => {
    const good = {
      type: 'chat.message.sent',
      version: 1,
      id: 'e1',
      region: 'seoul',
      roomId: 'lobby',
      at: 1,
      messageId: 'm1',
      userId: 'ana',
      text: 'hi',
    };
    expect(parseChatEvent(good)).toEqual(good);
    expect(() => parseChatEvent({ ...good, messageId: undefined })).toThrow(/messageId/);
    expect(() => parseChatEvent({ ...good, type: 'chat.message.deleted' })).toThrow();
    expect(() => parseChatEvent({ ...good, extra: 1 })).toThrow(/extra/);
  });

  it("events: the pipe's filter passes only the region's own writes, and no TTL deletion", () => {
    const [writes, removes] = eventFilterPatterns('tokyo');
    expect(writes).toMatchObject({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { region: { S: ['tokyo'] } } },
      userIdentity: { type: [{ exists: false }] },
    });
    expect(removes).toMatchObject({
      eventName: ['REMOVE'],
      dynamodb: { OldImage: { region: { S: ['tokyo'] }, type: { S: ['presence'] } } },
    });
  });
});
