import { describe, expect, it } from 'vitest';
import { matchesAnyEventPattern, matchesEventPattern } from '../../core/event-pattern.js';
import { eventFilterPatterns } from '../../core/events.js';

/** A stream record as a pipe receives it (Lambda's shape), of an item with these string attributes. */
function record(eventName: string, image: Record<string, string>, extra: Record<string, unknown> = {}) {
  const attributes = Object.fromEntries(Object.entries(image).map(([k, v]) => [k, { S: v }]));
  const images = eventName === 'REMOVE' ? { OldImage: attributes } : { NewImage: attributes };
  return { eventID: 'e1', eventName, dynamodb: { Keys: {}, ...images }, ...extra };
}

describe('event patterns', () => {
  it('event pattern: fields AND, values OR, nested objects, exists and prefix', () => {
    const pattern = { a: ['x', 'y'], b: { c: [{ prefix: 'ROOM#' }] }, d: [{ exists: false }] };
    expect(matchesEventPattern(pattern, { a: 'y', b: { c: 'ROOM#lobby' } })).toBe(true);
    expect(matchesEventPattern(pattern, { a: 'z', b: { c: 'ROOM#lobby' } })).toBe(false);
    expect(matchesEventPattern(pattern, { a: 'x', b: { c: 'CONN#1' } })).toBe(false);
    expect(matchesEventPattern(pattern, { a: 'x', b: { c: 'ROOM#1' }, d: 1 })).toBe(false);
    expect(matchesEventPattern({ a: ['x'] }, { a: ['w', 'x'] })).toBe(true);
    expect(matchesEventPattern({ a: [{ exists: true }] }, {})).toBe(false);
    expect(() => matchesEventPattern({ a: [{ numeric: ['>', 1] }] }, { a: 2 })).toThrow(/numeric/);
  });

  it("events filter: a region's pipe passes its own writes only, never a replicated copy or a TTL deletion", () => {
    const tokyo = eventFilterPatterns('tokyo');
    const passes = (r: unknown) => matchesAnyEventPattern(tokyo, r);
    const message = { pk: 'ROOM#lobby', sk: 'MSG#1', type: 'message', region: 'tokyo' };
    expect(passes(record('INSERT', message))).toBe(true);
    // The same item replicated from Seoul reaches Tokyo's stream with Seoul's key.
    expect(passes(record('INSERT', { ...message, region: 'seoul' }))).toBe(false);
    expect(passes(record('MODIFY', { ...message, type: 'reaction' }))).toBe(true);
    // Bookkeeping items are never events, whoever wrote them.
    expect(passes(record('INSERT', { ...message, type: 'member' }))).toBe(false);
    const presence = { pk: 'ROOM#lobby', sk: 'CONN#tokyo#c1', type: 'presence', region: 'tokyo' };
    expect(passes(record('REMOVE', presence))).toBe(true);
    expect(passes(record('REMOVE', message))).toBe(false);
    const ttl = { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } };
    expect(passes(record('REMOVE', presence, ttl))).toBe(false);
  });
});
