/** The pool's tokens as Cognito issues them: RS256 JWTs with Cognito's claims and issuer, and the pool's JWKS. */
import { createSign, randomBytes, randomUUID } from 'node:crypto';
import type { ClientRecord, PoolRecord, UserRecord } from './model.js';

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** The pool's issuer: the same in every region that signs its tokens (the primary's, in either form). */
export function issuerOf(pool: Pick<PoolRecord, 'id' | 'region' | 'issuer'>): string {
  const host = pool.issuer === 'UPDATED' ? 'issuer-cognito-idp' : 'cognito-idp';
  return `https://${host}.${pool.region}.amazonaws.com/${pool.id}`;
}

function signJwt(pool: PoolRecord, claims: Record<string, unknown>): string {
  const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${enc({ kid: pool.kid, alg: 'RS256' })}.${enc(claims)}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(pool.privateKey).toString('base64url')}`;
}

export function tokens(pool: PoolRecord, client: ClientRecord, user: UserRecord) {
  const now = seconds(Date.now());
  const iss = issuerOf(pool);
  const session = { origin_jti: randomUUID(), event_id: randomUUID(), auth_time: now, iat: now };
  const idExp = now + client.idTokenSeconds;
  const IdToken = signJwt(pool, {
    sub: user.sub,
    ...(user.attributes.email
      ? { email: user.attributes.email, email_verified: user.attributes.email_verified === 'true' }
      : {}),
    iss,
    'cognito:username': user.username,
    aud: client.id,
    token_use: 'id',
    ...session,
    exp: idExp,
    jti: randomUUID(),
  });
  const AccessToken = signJwt(pool, {
    sub: user.sub,
    iss,
    client_id: client.id,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    ...session,
    exp: now + client.accessTokenSeconds,
    jti: randomUUID(),
    username: user.username,
  });
  return {
    AccessToken,
    ExpiresIn: client.accessTokenSeconds,
    TokenType: 'Bearer',
    RefreshToken: randomBytes(96).toString('base64url'),
    IdToken,
  };
}

/** The pool's JSON Web Key Set, as https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json serves it. */
export function jwksOf(pool: PoolRecord): { keys: Record<string, string>[] } {
  return {
    keys: [
      {
        ...(pool.publicKey.export({ format: 'jwk' }) as Record<string, string>),
        kid: pool.kid,
        alg: 'RS256',
        use: 'sig',
      },
    ],
  };
}
