/**
 * The sandbox's Cognito user pools (sandbox/services/cognito-idp) behind the sandbox's edge, with SigV4
 * checked, and an unmodified Cognito client for it: what the runtime's canary and probe-user code talk to in
 * tests. `standUpPool` makes a pool and app clients the way the auth stack does.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type Edge, startEdge } from '../../sandbox/edge.js';
import { type CognitoIdpService, createCognitoIdp } from '../../sandbox/services/cognito-idp/index.js';
import { signaturePolicy } from '../../sandbox/wire/sigv4.js';
import { TEST_CREDENTIALS } from '../sandbox/support.js';

export interface CognitoTestbed {
  readonly edge: Edge;
  readonly service: CognitoIdpService;
  readonly clientConfig: { region: string; endpoint: string; credentials: typeof TEST_CREDENTIALS };
  readonly client: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

export async function startCognitoTestbed(region = 'ap-northeast-2'): Promise<CognitoTestbed> {
  const service = createCognitoIdp('123456789012');
  const edge = await startEdge({
    port: 0,
    service: (name) => (name === service.name ? service : undefined),
    control: async () => ({ status: 404, body: {} }),
    access: () => ({ allowedOrigins: [], controlSecret: 'unused', signatures: signaturePolicy(true) }),
  });
  const clientConfig = { region, endpoint: edge.url, credentials: TEST_CREDENTIALS };
  const client = new CognitoIdentityProviderClient(clientConfig);
  return {
    edge,
    service,
    clientConfig,
    client,
    async stop() {
      client.destroy();
      await edge.stop();
    },
  };
}

/**
 * A pool like the auth stack's (email addresses as usernames) with the chat's client and the canary's;
 * `updatedIssuer` for one that multi-Region replication accepts.
 */
export async function standUpPool(
  client: CognitoIdentityProviderClient,
  options: { updatedIssuer?: boolean } = {},
) {
  const pool = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'chat-chat-users',
      UsernameAttributes: ['email'],
      Policies: { PasswordPolicy: { MinimumLength: 12 } },
      ...(options.updatedIssuer ? { IssuerConfiguration: { Type: 'UPDATED' } } : {}),
    }),
  );
  const userPoolId = pool.UserPool?.Id as string;
  const chat = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'chat-chat',
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      GenerateSecret: false,
    }),
  );
  const canary = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'chat-chat-canary',
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    }),
  );
  return {
    userPoolId,
    chatClientId: chat.UserPoolClient?.ClientId as string,
    canaryClientId: canary.UserPoolClient?.ClientId as string,
  };
}
