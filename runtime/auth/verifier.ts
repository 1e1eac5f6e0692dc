/**
 * Token verification at $connect: Cognito user-pool JWTs (aws-jwt-verify checks signature, issuer, audience,
 * expiry) or HMAC development tokens (the sandbox). The user id comes only from here.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { AuthConfig } from '../config.js';
import { InvalidTokenError, verifyDevToken } from './dev-token.js';

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

export interface CognitoTokenVerifier extends TokenVerifier {
  /** Hydrates the JWKS cache (tests, or a region that cannot reach Cognito's JWKS URL). */
  cacheJwks(jwks: { keys: unknown[] }): void;
}

export function cognitoTokenVerifier(userPoolId: string, clientId: string): CognitoTokenVerifier {
  // tokenUse null: ID and access tokens are both accepted; the audience is checked by client id.
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: null });
  return {
    async verify(token) {
      try {
        const payload = await verifier.verify(token);
        return { userId: payload.sub, expiresAt: payload.exp };
      } catch (error) {
        throw new InvalidTokenError((error as Error).message);
      }
    },
    cacheJwks(jwks) {
      verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
    },
  };
}

export function createTokenVerifier(auth: AuthConfig, now: () => number = Date.now): TokenVerifier {
  return auth.mode === 'cognito'
    ? cognitoTokenVerifier(auth.userPoolId, auth.clientId)
    : devTokenVerifier(auth.secret, now);
}
