// Cognito under every region (docs/deploying.md, "Cognito in every region"), with the sandbox's Cognito through
// unmodified clients and the runtime's $connect on DynamoDB Local: the pool in seoul (ap-northeast-2) has its one
// secondary replica in tokyo (ap-northeast-1). With seoul's Cognito impaired (a fault: every call and its JWKS URL
// fail), tokyo's canary signs in at its own replica, na's falls through to tokyo, and cold $connect functions in
// tokyo and na verify those tokens with the keys stored in the table, with no call to Cognito.
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolReplicaCommand,
  ListUserPoolReplicasCommand,
  UpdateUserPoolReplicaCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Fetcher } from 'aws-jwt-verify/https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInRegions } from '../../../core/user-pool.js';
import { createChatApp } from '../../../runtime/app.js';
import { cachedSecret } from '../../../runtime/auth/secret-source.js';
import { cognitoTokenSource } from '../../../runtime/canary/cognito-token.js';
import type { RuntimeConfig } from '../../../runtime/config.js';
import { type CognitoTestbed, standUpPool, startCognitoTestbed } from '../../support/cognito.js';
import {
  type ConnectionsServer,
  CREDENTIALS,
  connectEvent,
  dynamoClient,
  freshTable,
  startConnectionsServer,
} from '../support.js';

const SEOUL = 'ap-northeast-2';
const TOKYO = 'ap-northeast-1';
const NA = 'us-west-2';
const USERNAME = 'chat-canary@probe.invalid';
const PASSWORD = 'Pr0be-password-from-the-secret!';

let bed: CognitoTestbed;
let pool: Awaited<ReturnType<typeof standUpPool>>;
let connections: ConnectionsServer;
let table: string;
const { client: dynamodb } = dynamoClient();
/** Every JWKS URL a $connect asked Cognito for. */
const fetched: string[] = [];
const fetcher: Fetcher = {
  async fetch(uri) {
    fetched.push(uri);
    return new TextEncoder().encode(JSON.stringify(bed.service.fetchJwks(uri))).buffer as ArrayBuffer;
  },
};
const cognito = (region: string) =>
  new CognitoIdentityProviderClient({ ...bed.clientConfig, region, maxAttempts: 1 });

beforeAll(async () => {
  bed = await startCognitoTestbed(SEOUL);
  pool = await standUpPool(bed.client, { updatedIssuer: true });
  await bed.client.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.userPoolId,
      Username: USERNAME,
      MessageAction: 'SUPPRESS',
    }),
  );
  await bed.client.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: pool.userPoolId,
      Username: USERNAME,
      Password: PASSWORD,
      Permanent: true,
    }),
  );
  connections = await startConnectionsServer();
  table = await freshTable(dynamodb, 'cognito-regions');
});
afterAll(async () => {
  bed?.service.impair(SEOUL, false);
  await connections?.close();
  await bed?.stop();
});

/** A cold $connect function of `key` in `awsRegion` (a new app: nothing cached in memory). */
function coldApp(key: string, awsRegion: string, tableName = table) {
  const config: RuntimeConfig = {
    tableName,
    regionKey: key,
    awsRegion,
    relayTargets: {},
    managementEndpoint: connections.endpoint,
    credentials: CREDENTIALS,
    auth: {
      mode: 'cognito',
      userPoolId: pool.userPoolId,
      clientId: pool.chatClientId,
      canaryClientId: pool.canaryClientId,
    },
  };
  return createChatApp(config, { dynamodb, loadCacheMs: 0, jwksFetcher: fetcher });
}

/** The canary's token source of a region in `own`, as runtime/canary/lambda.ts builds it. */
const canaryToken = (own: string) =>
  cognitoTokenSource({
    userPoolId: pool.userPoolId,
    clientId: pool.canaryClientId,
    username: USERNAME,
    password: cachedSecret(async () => PASSWORD),
    clientConfig: { ...bed.clientConfig, maxAttempts: 1 },
    regions: signInRegions(SEOUL, TOKYO, own),
  })();

describe('Cognito in every region', () => {
  it('replicas: one secondary per pool, INACTIVE until activated, refusing user writes', async () => {
    const created = await bed.client.send(
      new CreateUserPoolReplicaCommand({ UserPoolId: pool.userPoolId, RegionName: TOKYO }),
    );
    expect(created.UserPoolReplica).toMatchObject({
      RegionName: TOKYO,
      Status: 'INACTIVE',
      Role: 'SECONDARY',
    });
    await expect(
      bed.client.send(new CreateUserPoolReplicaCommand({ UserPoolId: pool.userPoolId, RegionName: NA })),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });
    const signIn = () =>
      cognito(TOKYO).send(
        new AdminInitiateAuthCommand({
          UserPoolId: pool.userPoolId,
          ClientId: pool.canaryClientId,
          AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME, PASSWORD },
        }),
      );
    await expect(signIn()).rejects.toThrow(/INACTIVE/);
    await cognito(TOKYO).send(
      new UpdateUserPoolReplicaCommand({ UserPoolId: pool.userPoolId, RegionName: TOKYO, Status: 'ACTIVE' }),
    );
    expect((await signIn()).AuthenticationResult?.IdToken).toBeTruthy();
    await expect(
      cognito(TOKYO).send(
        new AdminCreateUserCommand({
          UserPoolId: pool.userPoolId,
          Username: 'new@example.com',
          MessageAction: 'SUPPRESS',
        }),
      ),
    ).rejects.toThrow(/secondary replica.*primary region ap-northeast-2/);
    const listed = await cognito(TOKYO).send(
      new ListUserPoolReplicasCommand({ UserPoolId: pool.userPoolId }),
    );
    expect(listed.UserPoolReplicas?.map((r) => [r.RegionName, r.Role, r.Status])).toEqual([
      [SEOUL, 'PRIMARY', 'ACTIVE'],
      [TOKYO, 'SECONDARY', 'ACTIVE'],
    ]);
  });

  it("fault: with seoul's Cognito impaired, tokyo and na still sign in and cold $connects there verify with the stored keys, calling no Cognito", async () => {
    // Before the fault, one $connect anywhere has fetched the keys once and stored them in the table.
    const before = await coldApp('seoul', SEOUL).connect(connectEvent('cr-seoul', await canaryToken(SEOUL)));
    expect(before.statusCode).toBe(200);
    expect(fetched).toHaveLength(1);

    bed.service.impair(SEOUL, true);
    await expect(canaryToken(SEOUL).then(() => 'signed in')).resolves.toBe('signed in'); // seoul falls back to tokyo
    expect(() => bed.service.fetchJwks(fetched[0])).toThrow(/impaired/);
    const tokyoToken = await canaryToken(TOKYO);
    const naToken = await canaryToken(NA);
    const tokyo = await coldApp('tokyo', TOKYO).connect(connectEvent('cr-tokyo', tokyoToken));
    const na = await coldApp('na', NA).connect(connectEvent('cr-na', naToken));
    expect([tokyo.statusCode, na.statusCode]).toEqual([200, 200]);
    expect(fetched).toHaveLength(1);

    // Without the stored keys (a table that has none), a cold $connect cannot verify while seoul is impaired.
    const empty = await freshTable(dynamodb, 'cognito-regions-empty');
    const bare = await coldApp('na', NA, empty).connect(connectEvent('cr-bare', naToken));
    expect(bare.statusCode).toBe(401);
    bed.service.impair(SEOUL, false);
    const healed = await coldApp('na', NA, empty).connect(connectEvent('cr-healed', naToken));
    expect(healed.statusCode).toBe(200);
  });
});
