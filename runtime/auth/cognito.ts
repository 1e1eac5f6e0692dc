/** Cognito user-pool JWTs, verified with aws-jwt-verify (signature, issuer, audience, expiry). */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { InvalidTokenError } from './dev-token.js';
import type { TokenVerifier } from './verifier.js';

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
