/**
 * Token verification at $connect: Cognito user-pool JWTs (auth/cognito.ts) or HMAC development tokens
 * (the sandbox). The user id comes only from here.
 */
import type { AuthConfig } from '../config.js';
import { verifyDevToken } from './dev-token.js';

export interface VerifiedIdentity {
  readonly userId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}

export function devTokenVerifier(secret: string, now: () => number = Date.now): TokenVerifier {
  return { verify: async (token) => verifyDevToken(token, secret, now()) };
}

/** The verifier the config asks for; aws-jwt-verify is loaded only in cognito mode. */
export async function createTokenVerifier(
  auth: AuthConfig,
  now: () => number = Date.now,
): Promise<TokenVerifier> {
  if (auth.mode !== 'cognito') return devTokenVerifier(auth.secret, now);
  const { cognitoTokenVerifier } = await import('./cognito.js');
  return cognitoTokenVerifier(auth.userPoolId, auth.clientId);
}
