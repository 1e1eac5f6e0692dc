// How long a gap is waited for: the replication bound, or twice the lag the region reports, within a cap.
// (ChatClient's gap fill against the sandbox, with a lagging region: client.test.ts.)
import { describe, expect, it } from 'vitest';
import { GAP_WAIT_MAX_MS, GAP_WAIT_MS, gapWaitMs } from '../../../runtime/chat-client/rooms.js';

describe('gap wait', () => {
  it('gapWaitMs: the 8 s bound when the lag is unreported or short, twice a longer lag, at most 120 s', () => {
    expect(gapWaitMs(undefined)).toBe(GAP_WAIT_MS);
    expect(gapWaitMs(Number.NaN)).toBe(GAP_WAIT_MS);
    expect(gapWaitMs(-5)).toBe(GAP_WAIT_MS);
    expect(gapWaitMs(3000)).toBe(GAP_WAIT_MS);
    expect(gapWaitMs(9000)).toBe(18_000);
    expect(gapWaitMs(90_000)).toBe(GAP_WAIT_MAX_MS);
    expect(GAP_WAIT_MAX_MS).toBe(120_000);
  });
});
