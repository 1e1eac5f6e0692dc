import { describe, expect, it } from 'vitest';
import { alarmAdvice } from '../../../../cli/ops/checks/alarms.js';
import { EVENTS_ALARM_SLUG } from '../../../../stacks/events.js';

describe('alarm advice', () => {
  it("alarms: the event feed's dead-letter alarm says what other services miss and how to get it back", () => {
    const advice = alarmAdvice(EVENTS_ALARM_SLUG, 'tokyo');
    expect(advice).toMatch(/chat events from tokyo/);
    expect(advice).toMatch(/replay .* archive/);
    expect(alarmAdvice('something-new', 'tokyo')).toBe('see the alarm in CloudWatch (tokyo)');
  });
});
