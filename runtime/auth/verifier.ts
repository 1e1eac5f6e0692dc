/**
 * Token verification at $connect: Cognito user-pool JWTs (auth/cognito.ts) or HMAC development tokens
 * (the sandbox). The user id comes only from here.
 */
import type { AuthConfig } from '../config.js';
import { verifyDevToken } from './dev-token.js';
import type { TokenVerifier, VerifiedIdentity } from './identity.js';
import type { SecretSource } from './secret-source.js';

export type { TokenVerifier, VerifiedIdentity };

export function devTokenVerifier(secret: string, now: () => number = Date.now): TokenVerifier {
  return { verify: async (token) => verifyDevToken(token, secret, now()) };
}

/** Verifies against a secret read at run time; a failure with a value over a minute old re-reads it once. */
export function rotatingDevTokenVerifier(source: SecretSource, now: () => number = Date.now): TokenVerifier {
  return {
    async verify(token) {
      try {
        return verifyDevToken(token, await source.get(), now());
      } catch (error) {
        const fresh = await source.refresh(60_000);
        if (fresh === undefined) throw error;
        return verifyDevToken(token, fresh, now());
      }
    },
  };
}

const refuseAll: TokenVerifier = {
  verify: async () => {
    throw new Error('this function accepts no connections');
  },
};

/**
 * The verifier the config asks for; aws-jwt-verify is loaded only in cognito mode. `secrets` reads a
 * Secrets Manager secret (auth mode "dev" on AWS).
 */
export async function createTokenVerifier(
  auth: AuthConfig,
  now: () => number = Date.now,
  secrets?: (secretId: string) => SecretSource,
  /** The chat identity of the canary's Cognito tokens in this region (canaryUser of the region key). */
  canaryUserId?: string,
  /** Cognito mode: where the signing keys come from (auth/jwks-store.ts); default: Cognito's JWKS URL. */
  jwksCache?: () => Promise<import('aws-jwt-verify/jwk').JwksCache>,
): Promise<TokenVerifier> {
  if (auth.mode === 'none') return refuseAll;
  if (auth.mode === 'dev') {
    if ('secret' in auth) return devTokenVerifier(auth.secret, now);
    if (!secrets) throw new Error('auth mode "dev" with a secret id needs a Secrets Manager reader');
    return rotatingDevTokenVerifier(secrets(auth.secretId), now);
  }
  const { cognitoTokenVerifier } = await import('./cognito.js');
  if (auth.canaryClientId && !canaryUserId) {
    throw new Error('auth mode "cognito" with a canary client needs the canary user id of the region');
  }
  return cognitoTokenVerifier({
    userPoolId: auth.userPoolId,
    clientId: auth.clientId,
    ...(auth.canaryClientId && canaryUserId
      ? { canary: { clientId: auth.canaryClientId, userId: canaryUserId } }
      : {}),
    ...(jwksCache ? { jwksCache: await jwksCache() } : {}),
  });
}
