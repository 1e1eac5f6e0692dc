import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox, TEST_CREDENTIALS } from '../support.js';
import { connect } from '../ws-client.js';
import { type RecordedEvent, recordingApp } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: events are read field by field in the assertions
type Event = Record<string, any>;

let sandbox: Sandbox;
const events: RecordedEvent[] = [];
/** What $connect echoes as Sec-WebSocket-Protocol: the runtime's answer ('as-is'), none, or another. */
let echo: 'as-is' | 'none' | 'other' = 'as-is';

beforeAll(async () => {
  // Idle timeout short enough for its own test, long enough that no other test's connection idles out
  // on a loaded machine (the frame tests expect 1003 and 1009, not 1001).
  sandbox = await startTestSandbox({
    idleTimeoutMs: 3000,
    createApp: await recordingApp(events, (result) =>
      echo === 'none'
        ? { statusCode: result.statusCode }
        : echo === 'other'
          ? { ...result, headers: { 'Sec-WebSocket-Protocol': 'other.v9' } }
          : result,
    ),
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

function management(region: string) {
  const r = sandbox.regions.get(region)!;
  return new ApiGatewayManagementApiClient({
    region: r.awsRegion,
    endpoint: r.managementUrl,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
}

async function connectionIdOf(userId: string): Promise<string> {
  const event = [...events]
    .reverse()
    .find(
      (e) =>
        e.route === 'connect' &&
        String((e.event.headers as Record<string, string>)?.['Sec-WebSocket-Protocol']).startsWith(
          'chat.v1,',
        ),
    );
  expect(event, `a $connect for ${userId}`).toBeDefined();
  return (event!.event.requestContext as { connectionId: string }).connectionId;
}

describe('gateway', () => {
  it('gateway: $connect, MESSAGE and $disconnect events have API Gateway shapes', async () => {
    const url = sandbox.regions.get('seoul')!.websocketUrl;
    const client = await connect(url, 'alice');
    const connectEvent = events.findLast((e) => e.route === 'connect')!.event as Event;
    expect(connectEvent.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      stage: 'prod',
      identity: { sourceIp: '127.0.0.1' },
    });
    expect(connectEvent.requestContext.connectionId).toMatch(/^[A-Za-z0-9=]{16}$/);
    expect(connectEvent.headers['Sec-WebSocket-Key']).toBeTruthy();
    expect(connectEvent.multiValueHeaders.Host).toEqual([connectEvent.headers.Host]);
    // The token travels in Sec-WebSocket-Protocol; the URL, which logs record, carries none.
    expect(connectEvent.headers['Sec-WebSocket-Protocol']).toMatch(/^chat\.v1, ?v1\./);
    expect(connectEvent.queryStringParameters).toBeUndefined();
    expect(client.ws.protocol).toBe('chat.v1');
    client.send({ action: 'ping' });
    const pong = await client.next((f) => f.type === 'pong');
    expect(pong.region).toBe('seoul');
    client.send('not json at all');
    await client.next((f) => f.type === 'error');
    const messages = events.filter((e) => e.route === 'message').map((e) => e.event as Event);
    expect(messages.map((m) => m.requestContext.routeKey)).toEqual(['ping', '$default']);
    expect(messages[0].requestContext).toMatchObject({ eventType: 'MESSAGE', messageDirection: 'IN' });
    expect(messages[0].requestContext.connectionId).toBe(connectEvent.requestContext.connectionId);
    await client.close();
    await expect.poll(() => events.some((e) => e.route === 'disconnect')).toBe(true);
    const disconnect = events.findLast((e) => e.route === 'disconnect')!.event as Event;
    expect(disconnect.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT' });
    expect(disconnect.requestContext.disconnectStatusCode).toBe(1005);
  });

  it('gateway: the upgrade answers with the subprotocol $connect returned; none or another fails the handshake, as with API Gateway', async () => {
    const url = sandbox.regions.get('seoul')!.websocketUrl;
    try {
      echo = 'none';
      await expect(connect(url, 'no-echo')).rejects.toThrow(/Server sent no subprotocol/);
      echo = 'other';
      await expect(connect(url, 'other-echo')).rejects.toThrow(/Server sent an invalid subprotocol/);
    } finally {
      echo = 'as-is';
    }
    const client = await connect(url, 'echoed');
    expect(client.ws.protocol).toBe('chat.v1');
    await client.close();
  });

  it('gateway: $connect answering non-2xx refuses the upgrade with that status', async () => {
    const url = sandbox.regions.get('tokyo')!.websocketUrl;
    await expect(connect(url, undefined)).rejects.toThrow(/upgrade refused: 401/);
  });

  it('@connections: POST, GET and DELETE through the SDK; an unknown id raises GoneException', async () => {
    const client = await connect(sandbox.regions.get('tokyo')!.websocketUrl, 'bob');
    const id = await connectionIdOf('bob');
    const api = management('tokyo');
    await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"hello":"bob"}') }));
    expect(await client.next((f) => f.hello === 'bob')).toEqual({ hello: 'bob' });
    const info = await api.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await client.closed;
    await expect(
      api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('late') })),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      api.send(new GetConnectionCommand({ ConnectionId: 'nope0000000000A=' })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it('gateway: a frame over 32 KB closes the connection with 1009', async () => {
    const client = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'carol');
    client.send(JSON.stringify({ action: 'ping', pad: 'x'.repeat(33 * 1024) }));
    expect((await client.closed).code).toBe(1009);
  });

  it('gateway: a message fragmented into frames of at most 32 KB is accepted up to 128 KB in all', async () => {
    const client = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'erin');
    const message = Buffer.from(JSON.stringify({ action: 'ping', pad: 'y'.repeat(127 * 1024) }));
    expect(message.length).toBeGreaterThan(96 * 1024);
    expect(message.length).toBeLessThanOrEqual(128 * 1024);
    const before = events.filter((e) => e.route === 'message').length;
    for (let at = 0; at < message.length; at += 32 * 1024) {
      const end = Math.min(at + 32 * 1024, message.length);
      client.ws.send(message.subarray(at, end), { binary: false, fin: end === message.length });
    }
    // Whatever the handler answers, it got the whole message as one MESSAGE event.
    await client.next(() => true);
    const received = events.filter((e) => e.route === 'message').slice(before);
    expect(received.map((e) => String(e.event.body).length)).toContain(message.length);
    // Over 128 KB in all, even in 32 KB frames, is too big.
    const big = Buffer.alloc(5 * 32 * 1024, 'z');
    for (let at = 0; at < big.length; at += 32 * 1024) {
      client.ws.send(big.subarray(at, at + 32 * 1024), { binary: false, fin: at + 32 * 1024 >= big.length });
    }
    expect((await client.closed).code).toBe(1009);
  });

  it('gateway: a binary frame closes the connection with 1003, as API Gateway does', async () => {
    const client = await connect(sandbox.regions.get('tokyo')!.websocketUrl, 'frank');
    const before = events.filter((e) => e.route === 'message').length;
    client.ws.send(Buffer.from(JSON.stringify({ action: 'ping' })), { binary: true });
    expect((await client.closed).code).toBe(1003);
    expect(events.filter((e) => e.route === 'message').length).toBe(before);
  });

  it('gateway: an idle connection is closed after the idle timeout', async () => {
    const client = await connect(sandbox.regions.get('na')!.websocketUrl, 'dave');
    const closed = await client.closed;
    expect(closed.code).toBe(1001);
  });

  it('gateway: GET /health runs the health handler with an HTTP API v2 event', async () => {
    const response = await fetch(sandbox.regions.get('seoul')!.healthUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ region: 'seoul', healthy: true });
    const event = events.findLast((e) => e.route === 'health')!.event as Event;
    expect(event).toMatchObject({ version: '2.0', routeKey: 'GET /health', rawPath: '/health' });
    expect(event.requestContext.http).toMatchObject({ method: 'GET', path: '/health' });
  });
});
