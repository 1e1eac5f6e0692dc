import { monotonicFactory } from 'ulid';
import { describe, expect, it } from 'vitest';
import { clientIdClock, derivedMessageId, ID_PATTERN, idTime, newId } from '../../core/message-id.js';

const WINDOW = { aheadMs: 5 * 60_000, behindMs: 24 * 3_600_000 };
const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);
const HI = { text: 'hi' };

describe('message ids', () => {
  it('message-id: an id keeps its millisecond time, and ids sort by it', () => {
    const a = newId(NOW);
    const b = newId(NOW + 1);
    expect(a).toMatch(ID_PATTERN);
    expect(idTime(a)).toBe(NOW);
    expect(a < b).toBe(true);
    expect(idTime('not-an-id')).toBeNaN();
  });

  it('message-id: a ULID clientMsgId names the same message in every region, per room and per user', () => {
    const cmid = newId(NOW - 1000);
    const id = derivedMessageId('lobby', 'ann', cmid, HI, NOW, WINDOW);
    expect(id).toMatch(ID_PATTERN);
    expect(idTime(id!)).toBe(NOW - 1000);
    // Another region, later: the same id.
    expect(derivedMessageId('lobby', 'ann', cmid, HI, NOW + 60_000, WINDOW)).toBe(id);
    // Another user or room reusing the clientMsgId: another message.
    expect(derivedMessageId('lobby', 'bob', cmid, HI, NOW, WINDOW)).not.toBe(id);
    expect(derivedMessageId('other', 'ann', cmid, HI, NOW, WINDOW)).not.toBe(id);
    // The same clientMsgId with another text or parent: another id, so no id ever carries two texts.
    expect(derivedMessageId('lobby', 'ann', cmid, { text: 'bye' }, NOW, WINDOW)).not.toBe(id);
    expect(
      derivedMessageId('lobby', 'ann', cmid, { text: 'hi', parentId: newId(NOW) }, NOW, WINDOW),
    ).not.toBe(id);
  });

  it('message-id: a spec-conformant monotonic ULID generator (same millisecond, random part incremented) keeps its order in the ids', () => {
    const next = monotonicFactory(() => 0.5);
    const ids = Array.from({ length: 200 }, () => next(NOW));
    expect(new Set(ids.map(idTime))).toEqual(new Set([NOW]));
    const derived = ids.map((c) => derivedMessageId('r', 'u', c, HI, NOW, WINDOW)!);
    expect(derived.every((id) => ID_PATTERN.test(id))).toBe(true);
    expect([...derived].sort()).toEqual(derived);
  });

  it('message-id: outside the window (5 min ahead, 24 h behind) or not a ULID, no id is derived', () => {
    expect(derivedMessageId('r', 'u', newId(NOW + 5 * 60_000 + 1), HI, NOW, WINDOW)).toBeUndefined();
    expect(derivedMessageId('r', 'u', newId(NOW - 24 * 3_600_000 - 1), HI, NOW, WINDOW)).toBeUndefined();
    expect(derivedMessageId('r', 'u', newId(NOW - 24 * 3_600_000 + 1), HI, NOW, WINDOW)).toBeDefined();
    expect(derivedMessageId('r', 'u', 'm1', HI, NOW, WINDOW)).toBeUndefined();
  });

  it('message-id: the client clock steps to the next millisecond, so one sender ids keep its order', () => {
    const next = clientIdClock(() => NOW);
    const ids = Array.from({ length: 50 }, next);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map(idTime)).size).toBe(50);
    const derived = ids.map((c) => derivedMessageId('r', 'u', c, HI, NOW, WINDOW)!);
    expect([...derived].sort()).toEqual(derived);
  });
});
