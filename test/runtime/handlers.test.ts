import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OPS_HANDLERS } from '../../core/observability.js';
import { ROUTES } from '../../core/protocol.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { configFromEnv } from '../../runtime/config.js';
import {
  type ConnectionsServer,
  CREDENTIALS,
  connectEvent,
  dynamoClient,
  freshTable,
  messageEvent,
  SECRET,
  startConnectionsServer,
  token,
} from './support.js';

let connections: ConnectionsServer;
let table: string;
const { client } = dynamoClient();
const saved = { ...process.env };

beforeAll(async () => {
  connections = await startConnectionsServer();
  table = await freshTable(client, 'handlers');
});
afterAll(async () => {
  process.env = saved;
  await connections.close();
});

const env = () => ({
  AWS_REGION: 'ap-northeast-2',
  [RUNTIME_ENV.tableName]: table,
  [RUNTIME_ENV.regionKey]: 'seoul',
  [RUNTIME_ENV.relayTargets]: JSON.stringify({
    tokyo: { awsRegion: 'ap-northeast-1', functionName: 'x-tokyo-relay' },
  }),
  [RUNTIME_ENV.managementEndpoint]: connections.endpoint,
  [RUNTIME_ENV.awsEndpoint]: inject('dynamoEndpoint'),
  [RUNTIME_ENV.devTokenSecret]: SECRET,
});

describe('runtime handler entries', () => {
  it('handlers: there is one entry file per route of core/protocol.ts and per ops function, each exporting handler', async () => {
    const dir = fileURLToPath(new URL('../../runtime/handlers/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f !== 'instance.ts');
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...ROUTES, ...OPS_HANDLERS].sort());
    for (const route of [...ROUTES, ...OPS_HANDLERS]) {
      const module = (await import(`../../runtime/handlers/${route}.ts`)) as { handler?: unknown };
      expect(typeof module.handler, route).toBe('function');
    }
  });

  it('handlers: the entries build their app from the environment and serve connect and ping', async () => {
    const endpoint = (await client.config.endpoint?.()) as {
      hostname: string;
      port?: number;
      protocol: string;
    };
    Object.assign(process.env, env(), {
      [RUNTIME_ENV.awsEndpoint]: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    });
    const connect = await import('../../runtime/handlers/connect.js');
    const ping = await import('../../runtime/handlers/ping.js');
    expect((await connect.handler(connectEvent('h-1', token('hana')))).statusCode).toBe(200);
    expect((await ping.handler(messageEvent('h-1', { action: 'ping' }, 'ping'))).statusCode).toBe(200);
    expect(connections.framesFor('h-1').at(-1)).toMatchObject({ type: 'pong', region: 'seoul' });
  });

  it('config: configFromEnv reads every variable named in core and names a missing or bad one', () => {
    const config = configFromEnv(env());
    expect(config).toMatchObject({
      tableName: table,
      regionKey: 'seoul',
      awsRegion: 'ap-northeast-2',
      relayTargets: { tokyo: { awsRegion: 'ap-northeast-1', functionName: 'x-tokyo-relay' } },
      managementEndpoint: connections.endpoint,
      auth: { mode: 'dev', secret: SECRET },
    });
    expect(() => configFromEnv({ ...env(), [RUNTIME_ENV.tableName]: '' })).toThrow(/CHAT_TABLE is not set/);
    expect(() => configFromEnv({ ...env(), [RUNTIME_ENV.relayTargets]: '{oops' })).toThrow(
      /CHAT_RELAY_TARGETS .* not JSON/,
    );
    expect(() =>
      configFromEnv({ ...env(), [RUNTIME_ENV.relayTargets]: '{"tokyo":{"awsRegion":1}}' }),
    ).toThrow(/entry for "tokyo"/);
    expect(
      configFromEnv({
        ...env(),
        [RUNTIME_ENV.authMode]: 'cognito',
        [RUNTIME_ENV.userPoolId]: 'p',
        [RUNTIME_ENV.userPoolClientId]: 'c',
      }).auth,
    ).toEqual({
      mode: 'cognito',
      userPoolId: 'p',
      clientId: 'c',
    });
    // On AWS the stacks pass the secret's id only; it wins over a value.
    expect(
      configFromEnv({ ...env(), [RUNTIME_ENV.devTokenSecretId]: 'chat/chat/dev-token-secret' }).auth,
    ).toEqual({ mode: 'dev', secretId: 'chat/chat/dev-token-secret' });
    const { [RUNTIME_ENV.devTokenSecret]: _value, ...withoutSecret } = env();
    expect(() => configFromEnv(withoutSecret)).toThrow(/CHAT_DEV_TOKEN_SECRET_ID is not set/);
    expect(configFromEnv({ ...env(), [RUNTIME_ENV.authMode]: 'none' }).auth).toEqual({ mode: 'none' });
  });
});
