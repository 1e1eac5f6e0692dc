/**
 * Parity: the events the sandbox's gateway hands the handlers have the shape of the events API Gateway
 * delivers, field for field. The reference is the captured events in test/runtime/fixtures (a real API's
 * $disconnect and MESSAGE, the $connect and HTTP API /health events the runtime is tested with): every
 * field of a fixture is in the sandbox's event with the same type, the sandbox adds none, and the ids,
 * times and constants have API Gateway's formats and values.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox } from '../support.js';
import { connect } from '../ws-client.js';
import { type RecordedEvent, recordingApp } from './support.js';

type Json = Record<string, unknown>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../runtime/fixtures/${name}`, import.meta.url), 'utf8')) as Json;

let sandbox: Sandbox;
const events: RecordedEvent[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ createApp: await recordingApp(events) });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** Every field path with the type of its value (arrays by their first element). */
function shape(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}: array`, ...shape(value[0], `${path}[]`)];
  if (value && typeof value === 'object') {
    return Object.entries(value as Json).flatMap(([key, v]) => shape(v, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${value === null ? 'null' : typeof value}`];
}

/** The shapes must be equal, except header maps, whose names depend on the client (compared apart). */
function expectSameShape(actual: Json, expected: Json, dynamic: readonly string[] = []): void {
  const keep = (line: string) => !dynamic.some((prefix) => line.startsWith(`${prefix}.`));
  expect(shape(actual).filter(keep).sort()).toEqual(shape(expected).filter(keep).sort());
}

const last = (route: string) => {
  const found = events.findLast((e) => e.route === route);
  expect(found, `a ${route} event`).toBeDefined();
  return found!.event;
};
const ctx = (event: Json) => event.requestContext as Json;

// API Gateway's formats, as the fixtures show them.
const ID = /^[A-Za-z0-9+/]{15}=$/; // connectionId, requestId, messageId: 16 characters of base64
const API_ID = /^[a-z0-9]{10}$/;
const REQUEST_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

function expectWebSocketContext(event: Json, fixtureEvent: Json): void {
  const c = ctx(event);
  const f = ctx(fixtureEvent);
  for (const field of ['routeKey', 'eventType', 'messageDirection', 'stage'])
    expect(c[field], field).toBe(f[field]);
  for (const field of ['connectionId', 'requestId', 'extendedRequestId']) expect(c[field], field).toMatch(ID);
  expect(c.requestId).toBe(c.extendedRequestId);
  expect(c.apiId).toMatch(API_ID);
  expect(c.requestTime).toMatch(REQUEST_TIME);
  expect(Math.abs((c.requestTimeEpoch as number) - Date.now())).toBeLessThan(60_000);
  expect(c.connectedAt as number).toBeLessThanOrEqual(c.requestTimeEpoch as number);
  expect(new Date(c.requestTimeEpoch as number).toUTCString().slice(17, 25)).toBe(
    (c.requestTime as string).slice(12, 20),
  );
}

describe('gateway parity with API Gateway', () => {
  it('parity: $connect, MESSAGE and $disconnect carry exactly the fixtures fields, in their formats', async () => {
    const client = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'parity');
    client.send({ action: 'ping' });
    await client.next((f) => f.type === 'pong');
    await client.close();
    await expect.poll(() => events.some((e) => e.route === 'disconnect')).toBe(true);

    const connectEvent = last('connect');
    const CONNECT = fixture('connect.json');
    expectSameShape(connectEvent, CONNECT, ['headers', 'multiValueHeaders']);
    expectWebSocketContext(connectEvent, CONNECT);
    // The headers API Gateway adds, beside what the client sent (this client sends no User-Agent).
    const headers = connectEvent.headers as Record<string, string>;
    expect(Object.keys(headers).sort()).toEqual(Object.keys(CONNECT.headers as Json).sort());
    expect(headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(connectEvent.multiValueHeaders).toEqual(
      Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    );
    expect(ctx(connectEvent).domainName).toBe(headers.Host);

    const MESSAGE = fixture('message.json');
    const message = events.filter((e) => e.route === 'message').at(-1)!.event;
    expectSameShape(message, MESSAGE);
    expectWebSocketContext(message, { ...MESSAGE, requestContext: { ...ctx(MESSAGE), routeKey: 'ping' } });
    expect(ctx(message).messageId).toMatch(ID);
    expect(message.body).toBe('{"action":"ping"}');

    const DISCONNECT = fixture('disconnect.json');
    const disconnect = last('disconnect');
    expectSameShape(disconnect, DISCONNECT);
    expectWebSocketContext(disconnect, DISCONNECT);
    expect(disconnect.headers).toEqual({ ...(DISCONNECT.headers as Json), Host: headers.Host });
    for (const event of [message, disconnect]) {
      expect(ctx(event).connectionId).toBe(ctx(connectEvent).connectionId);
      expect(ctx(event).connectedAt).toBe(ctx(connectEvent).connectedAt);
    }
  });

  it('parity: GET /health has the HTTP API payload 2.0 fields, with the headers API Gateway adds', async () => {
    const region = sandbox.regions.get('tokyo')!;
    // As Route 53's checker asks: a new connection, its user agent, no body.
    await new Promise<void>((resolve, reject) => {
      const req = request(
        region.healthUrl,
        {
          agent: new Agent(),
          headers: {
            'user-agent': 'Amazon-Route53-Health-Check-Service',
            accept: '*/*',
            'content-length': '0',
          },
        },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end();
    });
    const event = last('health');
    const HEALTH = fixture('http-api-v2-health.json');
    expectSameShape(event, HEALTH, ['headers']);
    expect(Object.keys(event.headers as Json).sort()).toEqual(Object.keys(HEALTH.headers as Json).sort());
    for (const field of ['version', 'routeKey', 'rawPath', 'rawQueryString', 'isBase64Encoded']) {
      expect(event[field], field).toBe(HEALTH[field]);
    }
    const c = ctx(event);
    const f = ctx(HEALTH);
    for (const field of ['routeKey', 'stage']) expect(c[field], field).toBe(f[field]);
    expect(c.http).toMatchObject({ method: 'GET', path: '/health', protocol: 'HTTP/1.1' });
    expect(c.accountId).toMatch(/^\d{12}$/);
    expect(c.apiId).toMatch(API_ID);
    expect(c.requestId).toMatch(ID);
    expect(c.time).toMatch(REQUEST_TIME);
    expect(c.domainPrefix).toBe(String(c.domainName).split('.')[0]);
  });
});
