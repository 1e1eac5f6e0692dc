/**
 * Cognito user-pool JWTs, verified with aws-jwt-verify (RS256 signature against the pool's JWKS, issuer,
 * audience, expiry). Two app clients are accepted: the chat's own, whose tokens carry the user's `sub` as
 * the chat identity, and optionally the canary's, whose tokens are the region's canary user (core/
 * observability.ts canaryUser), so the canary's messages stay recognisable by room and user as in dev mode.
 * The canary client allows ADMIN_USER_PASSWORD_AUTH only: its tokens are minted by an IAM-signed
 * AdminInitiateAuth, which only the canary's role may call, so no chat user can sign in through it.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { InvalidTokenError } from './dev-token.js';
import type { TokenVerifier } from './identity.js';

export interface CognitoTokenVerifier extends TokenVerifier {
  /** Hydrates the JWKS cache (tests, or a region that cannot reach Cognito's JWKS URL). */
  cacheJwks(jwks: { keys: unknown[] }): void;
}

export interface CognitoVerifierOptions {
  readonly userPoolId: string;
  readonly clientId: string;
  /** The canary's app client, and the chat identity its tokens get. */
  readonly canary?: { readonly clientId: string; readonly userId: string };
  /** Where the signing keys come from (auth/jwks-store.ts: the region's stored copy, then Cognito). */
  readonly jwksCache?: JwksCache;
}

export function cognitoTokenVerifier(options: CognitoVerifierOptions): CognitoTokenVerifier {
  const { userPoolId, clientId, canary } = options;
  // tokenUse null: ID and access tokens are both accepted; the audience (aud or client_id) is checked. Both of
  // Cognito's issuer forms are accepted: the original (cognito-idp.<region>) and the updated one that a pool
  // with multi-Region replication must use (issuer-cognito-idp.<primary region>).
  const verifier = CognitoJwtVerifier.create(
    {
      userPoolId,
      clientId: canary ? [clientId, canary.clientId] : clientId,
      tokenUse: null,
    },
    options.jwksCache ? { jwksCache: options.jwksCache } : undefined,
  );
  return {
    async verify(token) {
      let payload: Awaited<ReturnType<typeof verifier.verify>>;
      try {
        payload = await verifier.verify(token);
      } catch (error) {
        throw new InvalidTokenError((error as Error).message);
      }
      const audience = payload.token_use === 'id' ? payload.aud : payload.client_id;
      if (canary && audience === canary.clientId) {
        return { userId: canary.userId, expiresAt: payload.exp };
      }
      return { userId: payload.sub, expiresAt: payload.exp };
    },
    cacheJwks(jwks) {
      verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
    },
  };
}
