import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cognitoTokenVerifier } from '../../runtime/auth/cognito.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';
import { cachedSecret } from '../../runtime/auth/secret-source.js';
import { rotatingDevTokenVerifier } from '../../runtime/auth/verifier.js';
import {
  type ConnectionsServer,
  connectEvent,
  dynamoClient,
  freshTable,
  queryTokenConnectEvent,
  type Region,
  region,
  SECRET,
  startConnectionsServer,
  token,
} from './support.js';

let connections: ConnectionsServer;
let table: string;
let seoul: Region;
const { client, calls } = dynamoClient();
const WRITES = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand'];

beforeAll(async () => {
  connections = await startConnectionsServer();
  table = await freshTable(client, 'auth');
  seoul = region('seoul', { client, table, connections });
});
afterAll(async () => {
  await connections.close();
});

describe('runtime auth (dev tokens)', () => {
  const refused: [string, string | undefined][] = [
    ['missing', undefined],
    ['empty', ''],
    ['malformed', 'not-a-token'],
    ['malformed payload', `v1.${Buffer.from('{"sub":').toString('base64url')}.sig`],
    ['expired', token('alice', 60, Date.now() - 3600_000)],
    ['wrongly signed', signDevToken({ userId: 'alice', ttlSeconds: 3600, secret: 'another-secret' })],
    [
      'tampered',
      (() => {
        const [v, , sig] = token('alice').split('.');
        const payload = Buffer.from(JSON.stringify({ sub: 'root', exp: 4102444800 })).toString('base64url');
        return `${v}.${payload}.${sig}`;
      })(),
    ],
  ];
  for (const [label, value] of refused) {
    it(`connect: a ${label} token gets 401 and nothing is written`, async () => {
      const before = calls.length;
      const id = `auth-${label.replace(/\W/g, '')}`;
      const result = await seoul.app.connect(connectEvent(id, value));
      expect(result.statusCode).toBe(401);
      expect(calls.slice(before).filter((c) => WRITES.includes(c))).toEqual([]);
      expect(await seoul.store.presence.getConnection('seoul', id)).toBeUndefined();
    });
  }

  it('connect: a valid token records the user id it names', async () => {
    const result = await seoul.app.connect(
      connectEvent('auth-ok', signDevToken({ userId: 'alice', ttlSeconds: 60, secret: SECRET })),
    );
    expect(result.statusCode).toBe(200);
    expect((await seoul.store.presence.getConnection('seoul', 'auth-ok'))?.userId).toBe('alice');
  });
});

describe('runtime auth: where the token travels', () => {
  it('connect: the token comes in Sec-WebSocket-Protocol and $connect echoes chat.v1 alone, never the token', async () => {
    const value = token('sub-alice');
    const result = await seoul.app.connect(connectEvent('proto-ok', value));
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'Sec-WebSocket-Protocol': 'chat.v1' });
    expect(JSON.stringify(result)).not.toContain(value);
    expect((await seoul.store.presence.getConnection('seoul', 'proto-ok'))?.userId).toBe('sub-alice');
  });

  it('connect: a token offered without the chat subprotocol is missing (401), nothing written', async () => {
    const event = connectEvent('proto-bare');
    event.headers = { ...event.headers, 'sec-websocket-protocol': token('bare') };
    const result = await seoul.app.connect(event);
    expect(result.statusCode).toBe(401);
    expect(result.body).toMatch(/missing token.*chat\.v1, <token>/);
    expect(await seoul.store.presence.getConnection('seoul', 'proto-bare')).toBeUndefined();
  });

  it('connect: ?token= in the URL is refused while auth.tokenInQuery is off (the default), saying why', async () => {
    const result = await seoul.app.connect(queryTokenConnectEvent('query-off', token('qa')));
    expect(result.statusCode).toBe(401);
    expect(result.body).toMatch(/token in the URL is refused.*Sec-WebSocket-Protocol/);
    expect(await seoul.store.presence.getConnection('seoul', 'query-off')).toBeUndefined();
  });

  it('connect: with the compatibility switch auth.tokenInQuery on, ?token= is accepted and no subprotocol is echoed', async () => {
    const compat = region('seoul', { client, table, connections, tokenInQuery: true });
    const result = await compat.app.connect(queryTokenConnectEvent('query-on', token('qb')));
    expect(result.statusCode).toBe(200);
    expect(result.headers).toBeUndefined();
    expect((await compat.store.presence.getConnection('seoul', 'query-on'))?.userId).toBe('qb');
  });
});

// Cognito: the JWKS cannot be fetched here, so the verifier is hydrated with a locally generated key set.
const POOL = 'ap-northeast-2_TestPool1';
const CLIENT_ID = 'testclientid0123456789abc';
const CANARY_CLIENT_ID = 'canaryclientid0123456789ab';
const ISSUER = `https://cognito-idp.ap-northeast-2.amazonaws.com/${POOL}`;

function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

function jwt(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', kid, typ: 'JWT' })}.${enc(claims)}`;
  const signature = createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url');
  return `${head}.${signature}`;
}

describe('runtime auth (Cognito user-pool JWTs)', () => {
  const good = keyPair('kid-1');
  const other = keyPair('kid-1'); // same kid, different key: a forged signature
  const now = Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({
    sub: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    iss: ISSUER,
    aud: CLIENT_ID,
    token_use: 'id',
    iat: now - 10,
    auth_time: now - 10,
    exp: now + 3600,
    ...over,
  });
  const verifier = cognitoTokenVerifier({ userPoolId: POOL, clientId: CLIENT_ID });
  verifier.cacheJwks({ keys: [good.jwk] });
  const withCanary = cognitoTokenVerifier({
    userPoolId: POOL,
    clientId: CLIENT_ID,
    canary: { clientId: CANARY_CLIENT_ID, userId: 'canary-seoul' },
  });
  withCanary.cacheJwks({ keys: [good.jwk] });

  it('cognito: a token signed by the pool key, for this client, is accepted with sub as the user id', async () => {
    const identity = await verifier.verify(jwt(good.privateKey, 'kid-1', claims()));
    expect(identity).toEqual({ userId: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', expiresAt: now + 3600 });
  });

  it("cognito: the canary client's ID and access tokens are the region's canary user; the chat client's stay sub", async () => {
    const id = jwt(good.privateKey, 'kid-1', claims({ aud: CANARY_CLIENT_ID }));
    expect(await withCanary.verify(id)).toEqual({ userId: 'canary-seoul', expiresAt: now + 3600 });
    const access = jwt(
      good.privateKey,
      'kid-1',
      claims({
        aud: undefined,
        token_use: 'access',
        client_id: CANARY_CLIENT_ID,
        scope: 'aws.cognito.signin.user.admin',
      }),
    );
    expect((await withCanary.verify(access)).userId).toBe('canary-seoul');
    expect((await withCanary.verify(jwt(good.privateKey, 'kid-1', claims()))).userId).toBe(
      'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    );
    // Without a canary client configured, its tokens are another audience: refused.
    await expect(verifier.verify(id)).rejects.toMatchObject({ name: 'InvalidTokenError' });
    // A canary-client token signed by another key is refused like any other.
    await expect(
      withCanary.verify(jwt(other.privateKey, 'kid-1', claims({ aud: CANARY_CLIENT_ID }))),
    ).rejects.toMatchObject({ name: 'InvalidTokenError' });
  });

  const rejected: [string, () => string][] = [
    ['malformed', () => 'abc.def'],
    ['not a JWT at all', () => 'v1.eyJzdWIiOiJ4In0.sig'],
    [
      'wrong issuer',
      () =>
        jwt(
          good.privateKey,
          'kid-1',
          claims({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }),
        ),
    ],
    ['wrong audience', () => jwt(good.privateKey, 'kid-1', claims({ aud: 'another-client' }))],
    ['expired', () => jwt(good.privateKey, 'kid-1', claims({ exp: now - 60 }))],
    ['wrongly signed', () => jwt(other.privateKey, 'kid-1', claims())],
  ];
  for (const [label, make] of rejected) {
    it(`cognito: a ${label} token is rejected`, async () => {
      await expect(verifier.verify(make())).rejects.toThrow();
      await expect(verifier.verify(make())).rejects.toMatchObject({ name: 'InvalidTokenError' });
    });
  }

  it('connect: with auth mode cognito, only a verified JWT connects', async () => {
    const { createChatApp } = await import('../../runtime/app.js');
    const app = createChatApp(
      { ...seoul.config, auth: { mode: 'cognito', userPoolId: POOL, clientId: CLIENT_ID } },
      { dynamodb: client, verifier, loadCacheMs: 0 },
    );
    expect((await app.connect(connectEvent('cog-bad', token('alice')))).statusCode).toBe(401);
    expect(
      (await app.connect(connectEvent('cog-ok', jwt(good.privateKey, 'kid-1', claims())))).statusCode,
    ).toBe(200);
    expect((await seoul.store.presence.getConnection('seoul', 'cog-ok'))?.userId).toBe(
      'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    );
  });
});

describe('dev-token secret read at run time', () => {
  it('secret source: one read serves every $connect within the cache time, then it is read again', async () => {
    let reads = 0;
    let clock = 1_000_000;
    const source = cachedSecret(
      async () => {
        reads++;
        return `secret-number-${reads}-of-enough-length`;
      },
      { ttlMs: 300_000, now: () => clock },
    );
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect([a, b, reads]).toEqual([
      'secret-number-1-of-enough-length',
      'secret-number-1-of-enough-length',
      1,
    ]);
    clock += 299_000;
    expect(await source.get()).toBe('secret-number-1-of-enough-length');
    clock += 2_000;
    expect(await source.get()).toBe('secret-number-2-of-enough-length');
    expect(reads).toBe(2);
  });

  it('secret source: a failed read is not cached, and an empty secret is an error', async () => {
    let calls = 0;
    const source = cachedSecret(async () => {
      calls++;
      if (calls === 1) throw new Error('AccessDeniedException');
      return calls === 2 ? '' : 'the-secret-of-enough-length';
    });
    await expect(source.get()).rejects.toThrow(/AccessDenied/);
    await expect(source.get()).rejects.toThrow(/empty/);
    expect(await source.get()).toBe('the-secret-of-enough-length');
  });

  it('verifier: a token signed with a rotated secret verifies after one re-read; a fresh cache is not re-read', async () => {
    let current = 'old-secret-of-enough-length';
    let reads = 0;
    let clock = 5_000_000;
    const source = cachedSecret(
      async () => {
        reads++;
        return current;
      },
      { now: () => clock },
    );
    const verifier = rotatingDevTokenVerifier(source, () => clock);
    const sign = (secret: string) => signDevToken({ userId: 'amy', ttlSeconds: 600, secret, now: clock });
    expect((await verifier.verify(sign(current))).userId).toBe('amy');
    current = 'new-secret-of-enough-length';
    // Under a minute old: the bad token is refused without another read.
    await expect(verifier.verify(sign(current))).rejects.toThrow();
    expect(reads).toBe(1);
    clock += 61_000;
    expect((await verifier.verify(sign(current))).userId).toBe('amy');
    expect(reads).toBe(2);
    await expect(verifier.verify(sign('someone-elses-secret-value'))).rejects.toThrow();
  });
});
