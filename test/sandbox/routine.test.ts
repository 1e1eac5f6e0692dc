import { describe, expect, it } from 'vitest';
import { keys } from '../../core/datamodel.js';
import { CANARY_USER_AGENT, ROUTE53_HEALTH_CHECK_USER_AGENT } from '../../core/observability.js';
import {
  eventUserAgent,
  inRoutine,
  isRoutineAgent,
  isRoutineItem,
  runRoutine,
} from '../../sandbox/routine.js';

const S = (value: string) => ({ S: value });

describe('routine traffic', () => {
  it("routine: the checkers' and canaries' User-Agents, from a WebSocket or an HTTP API event", () => {
    expect(isRoutineAgent(ROUTE53_HEALTH_CHECK_USER_AGENT)).toBe(true);
    expect(isRoutineAgent(CANARY_USER_AGENT)).toBe(true);
    expect(isRoutineAgent('Mozilla/5.0')).toBe(false);
    expect(isRoutineAgent(undefined)).toBe(false);
    expect(eventUserAgent({ requestContext: { identity: { userAgent: 'a' } } })).toBe('a');
    expect(eventUserAgent({ requestContext: { http: { userAgent: 'b' } } })).toBe('b');
    expect(eventUserAgent({})).toBeUndefined();
  });

  it('routine: what a routine call awaits is routine, and nothing outside it', async () => {
    expect(inRoutine()).toBe(false);
    const seen = await runRoutine(true, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return inRoutine();
    });
    expect(seen).toBe(true);
    expect(runRoutine(false, () => inRoutine())).toBe(false);
    expect(inRoutine()).toBe(false);
  });

  it("routine: the health probe's item, a canary room's items and a canary's connection; a user's are not", () => {
    const item = (pk: string, sk: string) => ({ pk: S(pk), sk: S(sk) });
    expect(isRoutineItem(item(keys.healthPk, keys.healthSk('seoul')), undefined)).toBe(true);
    expect(isRoutineItem(item(keys.roomPk('canary-seoul'), keys.messageSk('x')), undefined)).toBe(true);
    expect(isRoutineItem(item('CONN#seoul#abc', 'META'), { userId: S('canary-seoul') })).toBe(true);
    expect(isRoutineItem(item('CONN#seoul#abc', 'META'), { userId: S('ana') })).toBe(false);
    expect(isRoutineItem(item(keys.roomPk('lobby'), keys.messageSk('x')), undefined)).toBe(false);
  });
});
