// The canary's token in auth mode "cognito", against the sandbox's Cognito through the unmodified client: the
// deploy-time probe-user resource (created once, idempotent, removed on delete, reported to a local HTTP
// server standing in for CloudFormation's presigned response URL, which the sandbox cannot serve), the
// token source (cached until shortly before expiry, one sign-in for concurrent runs, the secret re-read once
// when the password is refused, a sentence that says what to do), and $connect's verifier taking the token,
// RS256-signed by the pool, as the region's canary user.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminGetUserCommand, AdminSetUserPasswordCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryProbeUsername, canaryUser } from '../../../core/observability.js';
import { userPoolRegion } from '../../../core/user-pool.js';
import { cognitoTokenVerifier } from '../../../runtime/auth/cognito.js';
import { cachedSecret } from '../../../runtime/auth/secret-source.js';
import { cognitoTokenSource } from '../../../runtime/canary/cognito-token.js';
import {
  ensureProbeUser,
  handleProbeUserEvent,
  type ProbeUserEvent,
} from '../../../runtime/canary/probe-user.js';
import { type CognitoTestbed, standUpPool, startCognitoTestbed } from '../../support/cognito.js';

let bed: CognitoTestbed;
let pool: Awaited<ReturnType<typeof standUpPool>>;
let responses: Server;
let responseUrl: string;
const received: { headers: Record<string, unknown>; body: Record<string, string> }[] = [];
const USERNAME = canaryProbeUsername('chat');
let secretValue = 'Secr3t-generated-by-Secrets-Manager!x';
let secretReads = 0;

beforeAll(async () => {
  bed = await startCognitoTestbed();
  pool = await standUpPool(bed.client);
  responses = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => responses.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
});
afterAll(async () => {
  await bed?.stop();
  await new Promise((resolve) => responses?.close(resolve));
});

const event = (type: ProbeUserEvent['RequestType'], physicalId?: string): ProbeUserEvent => ({
  RequestType: type,
  ResponseURL: responseUrl,
  StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/chat-auth/1',
  RequestId: `request-${received.length}`,
  LogicalResourceId: 'CanaryProbeUser',
  ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
  ResourceProperties: {
    UserPoolId: pool.userPoolId,
    Username: USERNAME,
    PasswordSecretId: 'chat/chat/canary-probe-password',
  },
});
const deps = () => ({
  cognito: bed.client,
  password: async (secretId: string) => {
    expect(secretId).toBe('chat/chat/canary-probe-password');
    secretReads++;
    return secretValue;
  },
});
const userStatus = async () =>
  (await bed.client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: USERNAME })))
    .UserStatus;

function tokenSource(clock: { now: number }, renewBeforeMs?: number) {
  return cognitoTokenSource({
    userPoolId: pool.userPoolId,
    clientId: pool.canaryClientId,
    username: USERNAME,
    password: cachedSecret(
      async () => {
        secretReads++;
        return secretValue;
      },
      { now: () => clock.now },
    ),
    clientConfig: bed.clientConfig,
    now: () => clock.now,
    renewBeforeMs,
  });
}

describe('canary probe user (deploy-time custom resource)', () => {
  it('probe-user: Create makes the user with a permanent password and reports SUCCESS without the password', async () => {
    await handleProbeUserEvent(event('Create'), deps());
    expect(await userStatus()).toBe('CONFIRMED');
    const reply = received.at(-1)!;
    expect(reply.headers['content-type']).toBe('');
    expect(reply.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${pool.userPoolId}/${USERNAME}`,
      LogicalResourceId: 'CanaryProbeUser',
      RequestId: 'request-0',
    });
    expect(JSON.stringify(reply.body)).not.toContain(secretValue);
  });

  it('probe-user: ensuring again keeps the user and sets the password again (idempotent)', async () => {
    expect(
      await ensureProbeUser(bed.client, { userPoolId: pool.userPoolId, username: USERNAME }, secretValue),
    ).toBe('existed');
    await handleProbeUserEvent(event('Update', `${pool.userPoolId}/${USERNAME}`), deps());
    expect(received.at(-1)!.body.Status).toBe('SUCCESS');
    expect(await userStatus()).toBe('CONFIRMED');
  });

  it("probe-user: a password the pool's policy refuses fails the deploy with Cognito's reason", async () => {
    const saved = secretValue;
    secretValue = 'weak';
    await handleProbeUserEvent(event('Update', `${pool.userPoolId}/${USERNAME}`), deps());
    secretValue = saved;
    expect(received.at(-1)!.body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/InvalidPasswordException/),
    });
    expect(received.at(-1)!.body.Reason).not.toContain('weak');
  });
});

describe('canary token source (auth mode cognito)', () => {
  it('token source: the pool region comes from the pool id; a malformed id says so', () => {
    expect(userPoolRegion('ap-northeast-2_AbCdEfGhI')).toBe('ap-northeast-2');
    expect(() => userPoolRegion('not-a-pool')).toThrow(/not a Cognito user pool id/);
  });

  it("token source: one sign-in serves concurrent runs and later ones until 5 minutes before expiry, and $connect's verifier takes it as the canary user", async () => {
    const clock = { now: Date.now() };
    const token = tokenSource(clock);
    const before = received.length;
    const [a, b] = await Promise.all([token(), token()]);
    expect(a).toBe(b);
    clock.now += 54 * 60_000;
    expect(await token()).toBe(a);
    clock.now += 2 * 60_000; // 56 minutes: inside the renewal window of a 60-minute token
    const renewed = await token();
    expect(renewed).not.toBe(a);
    expect(received.length).toBe(before);

    const verifier = cognitoTokenVerifier({
      userPoolId: pool.userPoolId,
      clientId: pool.chatClientId,
      canary: { clientId: pool.canaryClientId, userId: canaryUser('seoul') },
    });
    verifier.cacheJwks(bed.service.jwks(pool.userPoolId));
    expect((await verifier.verify(renewed)).userId).toBe('canary-seoul');
    // A verifier of the chat client alone refuses it: regular users' tokens are unaffected, and so is this.
    const chatOnly = cognitoTokenVerifier({ userPoolId: pool.userPoolId, clientId: pool.chatClientId });
    chatOnly.cacheJwks(bed.service.jwks(pool.userPoolId));
    await expect(chatOnly.verify(renewed)).rejects.toMatchObject({ name: 'InvalidTokenError' });
  });

  it('token source: a refused password re-reads the secret once, and signs in with the new one', async () => {
    const clock = { now: Date.now() };
    // Renew after a minute, so the next call signs in again while the cached password is still fresh.
    const token = tokenSource(clock, 59 * 60_000);
    expect(await token()).toBeTruthy();
    // The secret changes and the user's password with it (a redeploy), while this canary holds the old value.
    secretValue = 'N3w-secret-value-after-a-change!y';
    await bed.client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool.userPoolId,
        Username: USERNAME,
        Password: secretValue,
        Permanent: true,
      }),
    );
    clock.now += 2 * 60_000;
    const reads = secretReads;
    expect(await token()).toBeTruthy();
    expect(secretReads - reads).toBe(1);
    // Refused again with a value just read: no second re-read, the run fails with what to do.
    secretValue = 'Ch4nged-again-but-not-in-Cognito!z';
    clock.now += 2 * 60_000;
    const more = tokenSource(clock, 59 * 60_000);
    await expect(more()).rejects.toThrow(/Incorrect username or password.*redeploy the auth stack/);
    expect(secretReads - reads).toBe(2);
  });

  it('token source: a probe user that does not exist fails with a sentence that says to redeploy the auth stack', async () => {
    const clock = { now: Date.now() };
    await handleProbeUserEvent(event('Delete', `${pool.userPoolId}/${USERNAME}`), deps());
    expect(received.at(-1)!.body.Status).toBe('SUCCESS');
    // The canary client prevents user-existence errors, so Cognito says NotAuthorized.
    await expect(tokenSource(clock)()).rejects.toThrow(/NotAuthorizedException.*redeploy the auth stack/);
    // Deleting twice is fine (a stack delete after a manual clean-up).
    await handleProbeUserEvent(event('Delete', `${pool.userPoolId}/${USERNAME}`), deps());
    expect(received.at(-1)!.body.Status).toBe('SUCCESS');
  });
});
