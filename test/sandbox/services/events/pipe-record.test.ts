// The sandbox's local bus runs every stream record through the stacks' pipe filter; the record must first look
// as a pipe sees it.
import { describe, expect, it } from 'vitest';
import { matchesAnyEventPattern } from '../../../../core/event-pattern.js';
import { eventFilterPatterns } from '../../../../core/events.js';
import { asPipeRecord } from '../../../../sandbox/services/events/index.js';

function record(eventName: string, image: Record<string, string>, extra: Record<string, unknown> = {}) {
  const attributes = Object.fromEntries(Object.entries(image).map(([k, v]) => [k, { S: v }]));
  return { eventID: 'e1', eventName, dynamodb: { Keys: {}, OldImage: attributes }, ...extra };
}

describe('events service: the pipe filter', () => {
  it("events filter: the sandbox reads the Streams API's identity fields as a pipe does, so a TTL deletion stays out", () => {
    const presence = { pk: 'ROOM#lobby', sk: 'CONN#tokyo#c1', type: 'presence', region: 'tokyo' };
    const fromApi = record('REMOVE', presence, {
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    });
    expect(matchesAnyEventPattern(eventFilterPatterns('tokyo'), fromApi)).toBe(true);
    // biome-ignore lint/suspicious/noExplicitAny: a record of the Streams API's shape, as the sandbox reads it
    expect(matchesAnyEventPattern(eventFilterPatterns('tokyo'), asPipeRecord(fromApi as any))).toBe(false);
  });
});
