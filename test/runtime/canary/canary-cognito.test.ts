// The chat canary in auth mode "cognito", end to end: the probe user made by the deploy-time resource in a
// pool of the sandbox's Cognito, the canary's token source signing in through the canary client, and a sandbox
// region whose $connect verifies Cognito tokens (the verifier built from the runtime's config, as on Lambda,
// hydrated with the pool's JWKS because nothing here reaches AWS's JWKS URL). The canary connects, joins,
// sends and gets its message back; the message is the region's canary user's in the canary room, so it
// carries the TTL. A region whose config knows only the chat client refuses the canary at $connect.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, keys } from '../../../core/datamodel.js';
import { canaryProbeUsername, canaryRoom, canaryUser } from '../../../core/observability.js';
import { createChatApp } from '../../../runtime/app.js';
import type { CognitoTokenVerifier } from '../../../runtime/auth/cognito.js';
import { cachedSecret } from '../../../runtime/auth/secret-source.js';
import { createTokenVerifier } from '../../../runtime/auth/verifier.js';
import { cognitoTokenSource } from '../../../runtime/canary/cognito-token.js';
import { runCanary } from '../../../runtime/canary/lambda.js';
import { ensureProbeUser } from '../../../runtime/canary/probe-user.js';
import type { AuthConfig } from '../../../runtime/config.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { startDrillSandbox } from '../../cli/ops/drill/support.js';
import { clientConfig } from '../../sandbox/support.js';
import { type CognitoTestbed, standUpPool, startCognitoTestbed } from '../../support/cognito.js';

let bed: CognitoTestbed;
let pool: Awaited<ReturnType<typeof standUpPool>>;
let sandbox: Sandbox;
let urls: Record<string, string>;
const PASSWORD = 'Gener4ted-by-Secrets-Manager-in-the-stack!';

beforeAll(async () => {
  bed = await startCognitoTestbed();
  pool = await standUpPool(bed.client);
  await ensureProbeUser(
    bed.client,
    { userPoolId: pool.userPoolId, username: canaryProbeUsername('chat') },
    PASSWORD,
  );
  let target: Awaited<ReturnType<typeof startDrillSandbox>>['target'];
  ({ sandbox, target } = await startDrillSandbox({
    globalServices: false,
    createApp: async (config, deps) => {
      // seoul and na know the canary client (as the stacks configure them); tokyo the chat client only.
      const auth: AuthConfig = {
        mode: 'cognito',
        userPoolId: pool.userPoolId,
        clientId: pool.chatClientId,
        ...(config.regionKey === 'tokyo' ? {} : { canaryClientId: pool.canaryClientId }),
      };
      const verifier = (await createTokenVerifier(
        auth,
        Date.now,
        undefined,
        canaryUser(config.regionKey),
      )) as CognitoTokenVerifier;
      verifier.cacheJwks(bed.service.jwks(pool.userPoolId));
      return createChatApp({ ...config, auth }, { ...deps, verifier });
    },
  }));
  urls = Object.fromEntries(['seoul', 'tokyo', 'na'].map((k) => [k, target.region(k).websocketUrl]));
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
  await bed?.stop();
});

function canary(region: string) {
  const lines: string[] = [];
  const token = cognitoTokenSource({
    userPoolId: pool.userPoolId,
    clientId: pool.canaryClientId,
    username: canaryProbeUsername('chat'),
    password: cachedSecret(async () => PASSWORD),
    clientConfig: bed.clientConfig,
  });
  const config = { regionKey: region, url: urls[region], namespace: 'chatctl/chat', token, timeoutMs: 5000 };
  return { run: () => runCanary(config, (line) => lines.push(line)), lines };
}

describe('chat canary in auth mode cognito against the sandbox', { timeout: 60_000 }, () => {
  it("canary (cognito): signs in as the probe user, connects, joins, sends and receives; the message is the canary user's, with its TTL", async () => {
    const { run, lines } = canary('seoul');
    const result = await run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(JSON.parse(lines[0])).toMatchObject({ Region: 'seoul', CanarySuccess: 1 });

    const db = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    const items = await db.send(
      new QueryCommand({
        TableName: 'chat-chat',
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :msg)',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': { S: keys.roomPk(canaryRoom('seoul')) }, ':msg': { S: 'MSG#' } },
        ConsistentRead: true,
      }),
    );
    db.destroy();
    const messages = (items.Items ?? []).filter((i) => i.text?.S === 'canary');
    expect(messages.length).toBeGreaterThanOrEqual(1);
    for (const message of messages) {
      expect(message.userId?.S).toBe('canary-seoul');
      expect(Number(message[ATTR.ttl]?.N)).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('canary (cognito): a region that does not accept the canary client refuses it at $connect', async () => {
    const { run, lines } = canary('tokyo');
    const result = await run();
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
    expect(result.error).toMatch(/HTTP 401/);
    expect(JSON.parse(lines[0])).toMatchObject({ Region: 'tokyo', CanarySuccess: 0, stage: 'connect' });
  });
});
