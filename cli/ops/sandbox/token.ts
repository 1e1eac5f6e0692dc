/** `chatctl token`: a development token that the sandbox's $connect accepts (or an AWS dev-mode stack's). */

import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import type { Topology } from '../../../core/topology.js';
import { InvalidTokenError, signDevToken } from '../../../runtime/auth/dev-token.js';

export interface TokenResult {
  readonly token: string;
  readonly userId: string;
  readonly expiresAt: string;
  readonly ttlSeconds: number;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses 90, 90s, 30m, 1h, 7d into seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!match) throw new UserError(`"${text}" is not a duration`, { hint: 'e.g. 3600, 90s, 30m, 1h or 7d' });
  const seconds = Number(match[1]) * UNITS[match[2] || 's'];
  if (seconds < 1 || seconds > 30 * 86_400) {
    throw new UserError('the token lifetime must be between 1 s and 30 days', { hint: 'e.g. --ttl 1h' });
  }
  return seconds;
}

export function issueToken(
  topology: Topology,
  options: { userId: string; ttl?: string; now?: number; env?: NodeJS.ProcessEnv },
): TokenResult {
  const ttlSeconds = parseTtl(options.ttl ?? '1h');
  const env = options.env ?? process.env;
  let secret = SANDBOX_DEV_TOKEN_SECRET;
  if (topology.target === 'aws') {
    if (topology.auth.mode !== 'dev') {
      throw new UserError(
        'the AWS stacks use Cognito (auth.mode cognito): chatctl cannot sign their tokens',
        {
          hint: 'sign in through the user pool to get an ID token',
        },
      );
    }
    const fromEnv = env.CHATCTL_DEV_TOKEN_SECRET;
    if (!fromEnv) {
      throw new UserError('no development-token secret for target aws', {
        hint: `set CHATCTL_DEV_TOKEN_SECRET to the value of the Secrets Manager secret ${names.devTokenSecret(topology)} in the home region (aws secretsmanager get-secret-value --secret-id ${names.devTokenSecret(topology)} --query SecretString --output text), or use --target sandbox`,
      });
    }
    secret = fromEnv;
  }
  const now = options.now ?? Date.now();
  try {
    const token = signDevToken({ userId: options.userId, ttlSeconds, secret, now });
    return {
      token,
      userId: options.userId,
      ttlSeconds,
      expiresAt: new Date((Math.floor(now / 1000) + ttlSeconds) * 1000).toISOString(),
    };
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      throw new UserError(`invalid user id "${options.userId}": ${error.message}`, {
        hint: 'e.g. --user alice',
      });
    }
    throw error;
  }
}
