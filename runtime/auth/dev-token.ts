/**
 * Development tokens: `v1.<payload>.<signature>`, payload = base64url JSON { sub, exp (epoch s) },
 * signature = base64url HMAC-SHA256(secret, "v1." + payload). The sandbox's $connect accepts them;
 * `chatctl token` and the CLI's probes sign them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DevTokenClaims {
  readonly userId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`v1.${payload}`).digest('base64url');
}

export function signDevToken(options: {
  userId: string;
  ttlSeconds: number;
  secret: string;
  now?: number;
}): string {
  if (!USER_ID.test(options.userId)) {
    throw new InvalidTokenError('a user id is 1-64 letters, digits or _ . @ -');
  }
  const exp = Math.floor((options.now ?? Date.now()) / 1000) + options.ttlSeconds;
  const payload = Buffer.from(JSON.stringify({ sub: options.userId, exp })).toString('base64url');
  return `v1.${payload}.${sign(options.secret, payload)}`;
}

export function verifyDevToken(token: string, secret: string, now = Date.now()): DevTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') throw new InvalidTokenError('malformed token');
  const [, payload, signature] = parts;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new InvalidTokenError('bad signature');
  }
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed payload');
  }
  if (typeof claims.sub !== 'string' || !USER_ID.test(claims.sub) || typeof claims.exp !== 'number') {
    throw new InvalidTokenError('malformed claims');
  }
  if (claims.exp * 1000 <= now) throw new InvalidTokenError('expired');
  return { userId: claims.sub, expiresAt: claims.exp };
}
