import { describe, expect, it } from 'vitest';
import type { LoadLevel } from '../../../core/protocol.js';
import {
  DEFAULT_POLICY,
  decide,
  type LaneReading,
  type LevelState,
  measure,
  type Utilization,
  wantedLevel,
} from '../../../runtime/surge/controller.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** A reading where `send` runs at `sendShare` of its 200 lane and `connect` at `connectShare` of its 100. */
function reading(sendShare: number, connectShare = 0.05, extra: Partial<LaneReading> = {}): Utilization {
  return {
    at: T0,
    lanes: [
      {
        route: 'send',
        concurrency: 200 * sendShare,
        reserved: 200,
        throttles: 0,
        invocations: 1000,
        errors: 0,
      },
      {
        route: 'connect',
        concurrency: 100 * connectShare,
        reserved: 100,
        throttles: 0,
        invocations: 100,
        errors: 0,
        ...extra,
      },
    ],
  };
}

function state(level: LoadLevel, overrides: Partial<LevelState> = {}): LevelState {
  return {
    level,
    setBy: 'auto',
    changedAt: T0 - 10 * MINUTE,
    auto: { enabled: true, maxLevel: 3 },
    ...overrides,
  };
}

describe('surge controller: measure', () => {
  it('measure: pressure is the hottest lane, a throttled lane counts as full, lanes without a reservation are skipped', () => {
    const figures = measure({
      at: T0,
      lanes: [
        { route: 'send', concurrency: 50, reserved: 200, throttles: 0, invocations: 400, errors: 4 },
        { route: 'history', concurrency: 3, reserved: 25, throttles: 7, invocations: 30, errors: 0 },
        { route: 'ping', concurrency: 999, reserved: 0, throttles: 0, invocations: 10, errors: 6 },
      ],
    });
    expect(figures).toEqual({
      at: T0,
      pressure: 1,
      hottest: 'history',
      errorRate: 0.023,
      throttles: 7,
      lanes: { send: 0.25, history: 1 },
    });
  });

  it('measure: the error rate is ignored below the minimum number of invocations', () => {
    const figures = measure({
      at: T0,
      lanes: [{ route: 'send', concurrency: 1, reserved: 200, throttles: 0, invocations: 10, errors: 9 }],
    });
    expect(figures.errorRate).toBeNull();
    expect(wantedLevel(figures)).toBe(0);
  });

  it('wantedLevel: each threshold of pressure and of error rate maps to its level', () => {
    const at = (pressure: number, errorRate: number | null = null) =>
      wantedLevel({ at: T0, pressure, hottest: 'send', errorRate, throttles: 0, lanes: {} });
    expect([at(0.49), at(0.5), at(0.69), at(0.7), at(0.84), at(0.85), at(1)]).toEqual([0, 1, 1, 2, 2, 3, 3]);
    expect([at(0, 0.019), at(0, 0.02), at(0, 0.05), at(0, 0.1)]).toEqual([0, 1, 2, 3]);
  });
});

describe('surge controller: decide', () => {
  it('decide: raises straight to the level the pressure asks for, with no cool-down', () => {
    const justChanged = state(0, { changedAt: T0 - 1000 });
    const decision = decide(justChanged, reading(0.9), { now: T0 });
    expect(decision).toMatchObject({ action: 'raise', previous: 0, level: 3, wanted: 3 });
    expect(decision.reason).toContain('send at 90% of its lane');
    expect(decision.figures.hottest).toBe('send');
  });

  it('decide: a throttled connect lane (an earthquake of logins) raises to 3, which sheds new connections', () => {
    const decision = decide(state(0), reading(0.1, 0.4, { throttles: 120 }), { now: T0 });
    expect(decision).toMatchObject({ action: 'raise', level: 3 });
    expect(decision.figures.hottest).toBe('connect');
    expect(decision.reason).toContain('120 throttled');
  });

  it('decide: a high error rate alone raises the level', () => {
    const erroring: Utilization = {
      at: T0,
      lanes: [{ route: 'send', concurrency: 10, reserved: 200, throttles: 0, invocations: 1000, errors: 60 }],
    };
    expect(decide(state(0), erroring, { now: T0 })).toMatchObject({ action: 'raise', level: 2 });
  });

  it('decide: lowers one level at a time once calm and past the cool-down', () => {
    const decision = decide(state(3), reading(0.1), { now: T0 });
    expect(decision).toMatchObject({ action: 'lower', previous: 3, level: 2, wanted: 0 });
    const next = decide(state(2), reading(0.1), { now: T0 });
    expect(next).toMatchObject({ action: 'lower', level: 1 });
    expect(decide(state(1), reading(0.1), { now: T0 })).toMatchObject({ action: 'lower', level: 0 });
  });

  it('decide: hysteresis holds a level while pressure sits between the lower and the raise threshold', () => {
    // Level 2 starts at 0.70; it is left only below 0.70 - 0.15 = 0.55.
    expect(decide(state(2), reading(0.6), { now: T0 })).toMatchObject({
      action: 'hold',
      level: 2,
      wanted: 1,
    });
    expect(decide(state(2), reading(0.56), { now: T0 })).toMatchObject({ action: 'hold', level: 2 });
    expect(decide(state(2), reading(0.54), { now: T0 })).toMatchObject({ action: 'lower', level: 1 });
  });

  it('decide: a level that oscillates around its threshold does not flap', () => {
    let current = state(0, { changedAt: null });
    const levels: LoadLevel[] = [];
    // Pressure alternates 0.72 / 0.66 every minute: above and below the level 2 threshold of 0.70.
    for (let minute = 0; minute < 20; minute++) {
      const now = T0 + minute * MINUTE;
      const decision = decide(current, { ...reading(minute % 2 === 0 ? 0.72 : 0.66), at: now }, { now });
      if (decision.action !== 'hold') current = { ...current, level: decision.level, changedAt: now };
      levels.push(current.level);
    }
    expect(new Set(levels)).toEqual(new Set([2]));
  });

  it('decide: the cool-down holds a calm level until it has passed since the last change', () => {
    const recent = state(2, { changedAt: T0 - 2 * MINUTE });
    const held = decide(recent, reading(0.1), { now: T0 });
    expect(held).toMatchObject({ action: 'hold', level: 2 });
    expect(held.reason).toMatch(/cooling down 180 s more/);
    const later = decide(recent, reading(0.1), { now: T0 + 3 * MINUTE });
    expect(later).toMatchObject({ action: 'lower', level: 1 });
  });

  it('decide: never goes above the operator maximum, and says it capped', () => {
    const capped = state(0, { auto: { enabled: true, maxLevel: 1 } });
    const decision = decide(capped, reading(0.95), { now: T0 });
    expect(decision).toMatchObject({ action: 'raise', level: 1, wanted: 3 });
    expect(decision.reason).toContain("capped at the operator's maximum 1");
    expect(decide({ ...capped, level: 1 }, reading(0.95), { now: T0 })).toMatchObject({ action: 'hold' });
  });

  it('decide: a level above a newly lowered maximum comes down at once, cool-down or not', () => {
    const above = state(3, { changedAt: T0 - 1000, auto: { enabled: true, maxLevel: 1 } });
    expect(decide(above, reading(0.95), { now: T0 })).toMatchObject({ action: 'lower', level: 1 });
  });

  it("decide: the operator's level wins: nothing changes until the operator releases it", () => {
    const operator = state(1, { setBy: 'operator', changedAt: T0 - 60 * MINUTE });
    const surge = decide(operator, reading(0.99), { now: T0 });
    expect(surge).toMatchObject({ action: 'hold', level: 1, wanted: 3 });
    expect(surge.reason).toContain('chatctl traffic auto on');
    expect(decide(operator, reading(0), { now: T0 })).toMatchObject({ action: 'hold', level: 1 });
    // Released: auto takes over from the same figures.
    expect(decide({ ...operator, setBy: 'auto' }, reading(0.99), { now: T0 })).toMatchObject({
      action: 'raise',
      level: 3,
    });
  });

  it('decide: with auto off nothing changes whatever the figures', () => {
    const off = state(0, { auto: { enabled: false, maxLevel: 3 } });
    const decision = decide(off, reading(1), { now: T0 });
    expect(decision).toMatchObject({ action: 'hold', level: 0, wanted: 3 });
    expect(decision.reason).toMatch(/^auto is off/);
  });

  it('decide: a policy can be passed in (the sandbox uses a short cool-down)', () => {
    const policy = { ...DEFAULT_POLICY, coolDownMs: 1000 };
    const recent = state(1, { changedAt: T0 - 1500 });
    expect(decide(recent, reading(0), { now: T0, policy })).toMatchObject({ action: 'lower', level: 0 });
    expect(decide(recent, reading(0), { now: T0 })).toMatchObject({ action: 'hold', level: 1 });
  });
});
