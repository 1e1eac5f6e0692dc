import { describe, expect, it } from 'vitest';
import { issueToken, parseTtl } from '../../../../cli/ops/sandbox/token.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../../core/runtime-env.js';
import { defaultTopology } from '../../../../core/topology.js';
import { verifyDevToken } from '../../../../runtime/auth/dev-token.js';

describe('token', () => {
  it('token: signs a development token the sandbox $connect accepts, for the given user and lifetime', () => {
    const now = Date.UTC(2026, 0, 1);
    const result = issueToken(defaultTopology(), { userId: 'alice', ttl: '30m', now });
    expect(verifyDevToken(result.token, SANDBOX_DEV_TOKEN_SECRET, now)).toEqual({
      userId: 'alice',
      expiresAt: now / 1000 + 1800,
    });
    expect(result.expiresAt).toBe('2026-01-01T00:30:00.000Z');
    expect(() => verifyDevToken(result.token, SANDBOX_DEV_TOKEN_SECRET, now + 1801_000)).toThrow(/expired/);
  });

  it('token: bad durations, user ids and a missing AWS secret are clear errors', () => {
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('2h')).toBe(7200);
    expect(() => parseTtl('soon')).toThrow(/not a duration/);
    expect(() => parseTtl('99d')).toThrow(/30 days/);
    expect(() => issueToken(defaultTopology(), { userId: 'no spaces' })).toThrow(/invalid user id/);
    expect(() => issueToken(defaultTopology({ target: 'aws' }), { userId: 'a', env: {} })).toThrow(
      /CHATCTL_DEV_TOKEN_SECRET|secret/,
    );
  });
});
