/** Starting a sandbox for a test file: the shared DynamoDB Local, a unique instance id, any free ports. */
import { randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { inject } from 'vitest';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { type Sandbox, type SandboxOptions, start } from '../../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../sandbox/state.js';
import { Sha256 } from '../../sandbox/wire/sigv4.js';
import { connect, type TestClient } from './ws-client.js';

export const TEST_CREDENTIALS = { ...SANDBOX_CREDENTIALS };

export function uniqueInstanceId(prefix = 't'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

export async function startTestSandbox(
  options: SandboxOptions = {},
  topology: Topology = defaultTopology(),
): Promise<Sandbox> {
  return start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: uniqueInstanceId(),
    globalServices: false,
    verifySignatures: true,
    lag: 30,
    ...options,
  });
}

/** SDK client options against a sandbox's edge, signed with whatever credentials a client has. */
export function clientConfig(
  sandbox: Sandbox,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS,
) {
  return { region, endpoint: sandbox.edge, credentials, maxAttempts: 1 };
}

/** A raw request signed as an AWS SDK signs it (for tests that send what the SDK would not). */
export async function signedRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  scope: { service: string; region: string },
  credentials: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS,
): Promise<{ method: string; headers: Record<string, string>; body?: string }> {
  const target = new URL(url);
  const signer = new SignatureV4({ ...scope, credentials, sha256: Sha256 });
  const query: Record<string, string> = Object.fromEntries(target.searchParams);
  const signed = await signer.sign({
    method: init.method ?? 'POST',
    protocol: target.protocol,
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query,
    headers: { host: target.host, ...(init.headers ?? {}) },
    body: init.body,
  });
  return { method: signed.method, headers: signed.headers as Record<string, string>, body: init.body };
}

/** fetch() of a request signed as the AWS SDK signs it. */
export async function signedFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  scope: { service: string; region: string },
): Promise<Response> {
  return fetch(url, await signedRequest(url, init, scope));
}

/** A room id of its own for one test (label plus the time). */
export const uniqueRoom = (label: string) => `${label}-${Date.now().toString(36)}`;

/** A client of `region` that has joined `roomId`; it goes into `open` so the file's afterAll closes it. */
export async function joinedMember(
  sandbox: Sandbox,
  open: TestClient[],
  region: string,
  userId: string,
  roomId: string,
): Promise<TestClient> {
  const client = await connect(sandbox.regions.get(region)!.websocketUrl, userId);
  open.push(client);
  client.send({ action: 'join', roomId });
  await client.next((f) => f.type === 'joined' && f.roomId === roomId, 10_000);
  return client;
}
