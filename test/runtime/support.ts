/**
 * Shared pieces of the runtime tests: a DynamoDB Local client with a fresh table per file, a local @connections
 * server that records posts (and answers 410 GoneException or 500 for chosen connections), a local Lambda
 * Invoke server, and API Gateway events built from the captured fixtures.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEventV2, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, expect, inject, type MockInstance, vi } from 'vitest';
import type { ServerFrame } from '../../core/protocol.js';
import { type ChatApp, type ChatAppDeps, createChatApp, type WebSocketEvent } from '../../runtime/app.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';
import type { RelayTarget, RuntimeConfig } from '../../runtime/config.js';
import { ChatStore } from '../../runtime/store/chat-store.js';
import { createChatTable } from '../../runtime/store/table.js';

export const SECRET = 'test-secret';
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

/** A command as the client sent it: its name and its input. */
export interface RecordedCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** A DynamoDB Local client that records every command it sends (`calls`: the names alone). */
export function dynamoClient(region = 'ap-northeast-2'): {
  client: DynamoDBClient;
  calls: string[];
  commands: RecordedCommand[];
} {
  const client = new DynamoDBClient({ region, endpoint: inject('dynamoEndpoint'), credentials: CREDENTIALS });
  const calls: string[] = [];
  const commands: RecordedCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName as string);
      commands.push({ name: context.commandName as string, input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, calls, commands };
}

/** A unique table per test file (files run in parallel against one DynamoDB Local). */
export async function freshTable(client: DynamoDBClient, label: string): Promise<string> {
  const name = `chat-${label}-${randomBytes(4).toString('hex')}`;
  await createChatTable(client, name);
  return name;
}

export interface RecordedPost {
  readonly stage: string;
  readonly connectionId: string;
  readonly frame: ServerFrame;
}

export interface ConnectionsServer {
  /** http://127.0.0.1:PORT/prod */
  readonly endpoint: string;
  readonly posts: RecordedPost[];
  /** Connection ids answered with 410 GoneException. */
  readonly gone: Set<string>;
  /** Connection id -> how many more posts answer 500 before it succeeds (Infinity: always). */
  readonly failures: Map<string, number>;
  framesFor(connectionId: string): ServerFrame[];
  attempts(connectionId: string): number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function startConnectionsServer(): Promise<ConnectionsServer> {
  const posts: RecordedPost[] = [];
  const gone = new Set<string>();
  const failures = new Map<string, number>();
  const tries = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/([^/]+)\/@connections\/([^/?]+)$/.exec(req.url ?? '');
      if (!match || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const connectionId = decodeURIComponent(match[2]);
      tries.set(connectionId, (tries.get(connectionId) ?? 0) + 1);
      if (gone.has(connectionId)) {
        res.writeHead(410, { 'x-amzn-errortype': 'GoneException', 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: null }));
        return;
      }
      const failing = failures.get(connectionId) ?? 0;
      if (failing > 0) {
        failures.set(connectionId, failing - 1);
        res.writeHead(500, { 'x-amzn-errortype': 'InternalServerErrorException' });
        res.end(JSON.stringify({ message: 'boom' }));
        return;
      }
      posts.push({
        stage: match[1],
        connectionId,
        frame: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServerFrame,
      });
      res.writeHead(200).end();
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}/prod`,
    posts,
    gone,
    failures,
    framesFor: (id) => posts.filter((p) => p.connectionId === id).map((p) => p.frame),
    attempts: (id) => tries.get(id) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RecordedInvoke {
  readonly functionName: string;
  readonly invocationType: string | undefined;
  readonly region: string | undefined;
  readonly payload: unknown;
}

export interface InvokeServer {
  readonly endpoint: string;
  readonly invokes: RecordedInvoke[];
  close(): Promise<void>;
}

/** Stands for Lambda Invoke: POST /2015-03-31/functions/<name>/invocations, 202 for Event invocations. */
export async function startInvokeServer(): Promise<InvokeServer> {
  const invokes: RecordedInvoke[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      if (!match) {
        res.writeHead(404).end();
        return;
      }
      const scope = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
      invokes.push({
        functionName: decodeURIComponent(match[1]),
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        region: scope?.[1],
        payload: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(req.headers['x-amz-invocation-type'] === 'Event' ? 202 : 200).end();
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invokes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const RELAY_TARGETS: Record<string, RelayTarget> = {
  seoul: { awsRegion: 'ap-northeast-2', functionName: 'chatctl-seoul-relay' },
  tokyo: { awsRegion: 'ap-northeast-1', functionName: 'chatctl-tokyo-relay' },
  na: { awsRegion: 'us-east-1', functionName: 'chatctl-na-relay' },
};

export interface Region {
  readonly key: string;
  readonly app: ChatApp;
  readonly config: RuntimeConfig;
  readonly store: ChatStore;
}

/** One region's ChatApp over the shared test table, posting to `connections` and invoking through `invoke`. */
export function region(
  key: string,
  options: {
    client: DynamoDBClient;
    table: string;
    connections: ConnectionsServer;
    invoke?: InvokeServer;
    deps?: ChatAppDeps;
    /** The compatibility switch auth.tokenInQuery. */
    tokenInQuery?: boolean;
  },
): Region {
  const relayTargets = Object.fromEntries(Object.entries(RELAY_TARGETS).filter(([k]) => k !== key));
  const config: RuntimeConfig = {
    tableName: options.table,
    regionKey: key,
    awsRegion: RELAY_TARGETS[key]?.awsRegion ?? 'ap-northeast-2',
    relayTargets,
    managementEndpoint: options.connections.endpoint,
    credentials: CREDENTIALS,
    auth: { mode: 'dev', secret: SECRET },
    ...(options.tokenInQuery ? { tokenInQuery: true } : {}),
  };
  const lambdaClients = new Map<string, LambdaClient>();
  const app = createChatApp(config, {
    dynamodb: options.client,
    loadCacheMs: 0,
    poster: { retryBaseMs: 1 },
    lambda: (awsRegion) => {
      let client = lambdaClients.get(awsRegion);
      if (!client) {
        client = new LambdaClient({
          region: awsRegion,
          endpoint: options.invoke?.endpoint ?? 'http://127.0.0.1:9',
          credentials: CREDENTIALS,
          maxAttempts: 1,
        });
        lambdaClients.set(awsRegion, client);
      }
      return client;
    },
    ...options.deps,
  });
  return { key, app, config, store: new ChatStore(options.client, options.table) };
}

export function token(userId: string, ttlSeconds = 3600, now = Date.now()): string {
  return signDevToken({ userId, ttlSeconds, secret: SECRET, now });
}

const CONNECT = fixture<WebSocketEvent>('connect.json');
const MESSAGE = fixture<WebSocketEvent>('message.json');
const DISCONNECT = fixture<WebSocketEvent>('disconnect.json');

/** A $connect event whose client asked for the subprotocols `chat.v1, <token>` (no header without a token). */
export function connectEvent(connectionId: string, tokenValue?: string): WebSocketEvent {
  const event = structuredClone(CONNECT);
  event.requestContext.connectionId = connectionId;
  const headers = event.headers ?? {};
  const multi = event.multiValueHeaders ?? {};
  if (tokenValue === undefined) {
    delete headers['Sec-WebSocket-Protocol'];
    delete multi['Sec-WebSocket-Protocol'];
  } else {
    headers['Sec-WebSocket-Protocol'] = `chat.v1, ${tokenValue}`;
    multi['Sec-WebSocket-Protocol'] = [`chat.v1, ${tokenValue}`];
  }
  return event;
}

/** A $connect event of the old form: the token as ?token= in the URL, no subprotocol asked for. */
export function queryTokenConnectEvent(connectionId: string, tokenValue: string): WebSocketEvent {
  const event = connectEvent(connectionId);
  event.queryStringParameters = { token: tokenValue };
  event.multiValueQueryStringParameters = { token: [tokenValue] };
  return event;
}

export function messageEvent(connectionId: string, body: unknown, routeKey = '$default'): WebSocketEvent {
  const event = structuredClone(MESSAGE);
  event.requestContext.connectionId = connectionId;
  event.requestContext.routeKey = routeKey;
  event.body = typeof body === 'string' ? body : JSON.stringify(body);
  return event;
}

export function disconnectEvent(connectionId: string): WebSocketEvent {
  const event = structuredClone(DISCONNECT);
  event.requestContext.connectionId = connectionId;
  return event;
}

export const healthEvent = (): APIGatewayProxyEventV2 =>
  fixture<APIGatewayProxyEventV2>('http-api-v2-health.json');
export const streamEvent = (): DynamoDBStreamEvent =>
  fixture<DynamoDBStreamEvent>('dynamodb-stream-modify.json');

/** Connects `connectionId` as `userId` and joins each room; fails the test if any step is refused. */
export async function connectAndJoin(r: Region, connectionId: string, userId: string, rooms: string[] = []) {
  const connected = await r.app.connect(connectEvent(connectionId, token(userId)));
  if (connected.statusCode !== 200) throw new Error(`connect ${connectionId}: ${JSON.stringify(connected)}`);
  for (const roomId of rooms) await r.app.message(messageEvent(connectionId, { action: 'join', roomId }));
}

/** A client message id unique to the test run. */
export const cmid = () => `c-${randomBytes(6).toString('hex')}`;

/**
 * A runtime harness runs seoul alone: the other regions' relays do not answer, so each join logs that it could
 * not tell them, and each id missing here logs that it could not ask them for it. Call at the top of a test file, before its beforeAll: each test then reads those lines instead
 * of printing them, and fails on any other warning. A test that expects a warning reads it with `take()`.
 */
export function expectOnlyJoinNoticeWarnings(): { take(): string[] } {
  let warn: MockInstance<typeof console.warn>;
  const joinNotice = /^(?:telling \w+ of a join in|asking \w+ for a message of) \S+ failed/;
  const take = () => {
    const lines = warn.mock.calls.map(([line]) => String(line));
    warn.mockClear();
    return lines.filter((l) => !joinNotice.test(l));
  };
  beforeAll(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => expect(take()).toEqual([]));
  afterAll(() => {
    expect(take()).toEqual([]);
    warn.mockRestore();
  });
  return { take };
}
