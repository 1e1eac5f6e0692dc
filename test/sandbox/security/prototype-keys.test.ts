// Keys that name an object's prototype (__proto__, constructor, prototype) sent to every listener and every
// service of the sandbox, in each protocol they speak, from the outside (HTTP and WebSocket, signed as a
// client signs): each is answered (refused or served, never a 5xx), and afterwards the chat still works in
// every region. Protocol-level on purpose: it keeps guarding whatever parses the wire.
import { request as httpRequest } from 'node:http';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { cbor } from '@smithy/core/cbor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIdClock } from '../../../core/message-id.js';
import { connectProtocols } from '../../../core/protocol.js';
import { CONTROL_SECRET_HEADER } from '../../../sandbox/access.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { clientConfig, signedRequest, startTestSandbox } from '../support.js';
import { connect, devToken, type TestClient } from '../ws-client.js';

let sandbox: Sandbox;
const prototypeNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  sandbox = await startTestSandbox({ globalServices: true });
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
});

interface Sent {
  readonly label: string;
  readonly status: number;
  readonly body: string;
}

/** One raw HTTP request (node:http, so header names such as __proto__ go out as given). */
function send(
  label: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ label, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Headers a hostile client adds; computed keys make them own properties, not a prototype. */
const hostileHeaders = (): Record<string, string> =>
  JSON.parse('{"__proto__":"x","constructor":"y","prototype":"z"}') as Record<string, string>;

const POLLUTING_JSON = JSON.stringify(
  JSON.parse(
    '{"__proto__":{"polluted":"yes","Name":"/cdk-bootstrap/hnb659fds/version"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}',
  ),
);

async function signedSend(
  label: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  scope: { service: string; region: string },
): Promise<Sent> {
  const signed = await signedRequest(url, init, scope);
  return send(label, url, { method: signed.method, headers: signed.headers, body: init.body });
}

async function awsRequests(): Promise<Sent[]> {
  const edge = sandbox.edge;
  const out: Sent[] = [];
  for (const region of ['ap-northeast-2', 'ap-northeast-1', 'us-west-2']) {
    const cw = { service: 'monitoring', region };
    // The query protocol: the GET of the report, and the same as a form body.
    out.push(
      await signedSend(
        `cloudwatch query GET ${region}`,
        `${edge}/?Action=ListMetrics&Version=2010-08-01&__proto__.polluted=yes&constructor.prototype.polluted=yes&Namespace.prototype=x`,
        { method: 'GET' },
        cw,
      ),
      await signedSend(
        `cloudwatch query POST ${region}`,
        `${edge}/`,
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'Action=PutMetricData&Version=2010-08-01&Namespace=X&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1&MetricData.member.1.__proto__.polluted=yes&MetricData.__proto__.polluted=yes',
        },
        cw,
      ),
      await signedSend(
        `cloudwatch json ${region}`,
        `${edge}/`,
        {
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics',
          },
          body: POLLUTING_JSON,
        },
        cw,
      ),
      await signedSend(
        `cloudwatch json unknown operation ${region}`,
        `${edge}/`,
        {
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'GraniteServiceVersion20100801.constructor',
          },
          body: '{}',
        },
        cw,
      ),
      await signedSend(
        `cloudwatch query operation constructor ${region}`,
        `${edge}/?Action=constructor&Version=2010-08-01`,
        { method: 'GET' },
        cw,
      ),
    );
    const cborBody = Buffer.from(cbor.serialize(JSON.parse(POLLUTING_JSON))).toString('latin1');
    const cborSigned = await signedRequest(
      `${edge}/service/GraniteServiceVersion20100801/operation/ListMetrics`,
      {
        headers: { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
        body: cborBody,
      },
      cw,
    );
    out.push(
      await send(
        `cloudwatch cbor ${region}`,
        `${edge}/service/GraniteServiceVersion20100801/operation/ListMetrics`,
        { method: 'POST', headers: cborSigned.headers, body: Buffer.from(cborBody, 'latin1') },
      ),
      await signedSend(
        `dynamodb json ${region}`,
        `${edge}/`,
        {
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.ListTables',
            ...hostileHeaders(),
          },
          body: POLLUTING_JSON,
        },
        { service: 'dynamodb', region },
      ),
      await signedSend(
        `lambda rest-json ${region}`,
        `${edge}/2015-03-31/functions/chat-seoul-relay/invocations?__proto__=x&constructor=y`,
        { headers: { 'content-type': 'application/json' }, body: POLLUTING_JSON },
        { service: 'lambda', region: 'ap-northeast-2' },
      ),
      await signedSend(
        `sts query ${region}`,
        `${edge}/`,
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'Action=GetCallerIdentity&Version=2011-06-15&__proto__.polluted=yes&constructor.prototype.polluted=yes',
        },
        { service: 'sts', region },
      ),
      await signedSend(
        `ssm json 1.1 ${region}`,
        `${edge}/`,
        {
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
          body: POLLUTING_JSON,
        },
        { service: 'ssm', region },
      ),
      await signedSend(
        `cognito json 1.1 ${region}`,
        `${edge}/`,
        {
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'AWSCognitoIdentityProviderService.constructor',
          },
          body: POLLUTING_JSON,
        },
        { service: 'cognito-idp', region },
      ),
    );
  }
  const xml =
    '<?xml version="1.0"?><CreateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/" __proto__="x" constructor="y">' +
    '<CallerReference>proto</CallerReference><__proto__><polluted>yes</polluted></__proto__>' +
    '<HealthCheckConfig><Type>HTTP</Type><constructor><prototype>yes</prototype></constructor>' +
    '<IPAddress>127.0.0.1</IPAddress><Port>1</Port><ResourcePath>/health</ResourcePath></HealthCheckConfig></CreateHealthCheckRequest>';
  const global = { region: 'us-east-1' };
  out.push(
    await signedSend(
      'route53 rest-xml body',
      `${edge}/2013-04-01/healthcheck`,
      { headers: { 'content-type': 'text/xml' }, body: xml },
      { service: 'route53', ...global },
    ),
    await signedSend(
      'route53 rest-xml query',
      `${edge}/2013-04-01/hostedzone?__proto__=x&constructor=y&maxitems=1`,
      { method: 'GET', headers: hostileHeaders() },
      { service: 'route53', ...global },
    ),
    await signedSend(
      'cloudfront rest-xml query',
      `${edge}/2020-05-31/distribution?__proto__=x&constructor=y&MaxItems=1`,
      { method: 'GET', headers: hostileHeaders() },
      { service: 'cloudfront', ...global },
    ),
  );
  return out;
}

async function controlRequests(): Promise<Sent[]> {
  const secret = sandbox.state.controlSecret;
  const control = (label: string, path: string, body: string, method = 'POST') =>
    send(label, `${sandbox.edge}/_chatctl${path}`, {
      method,
      headers: { [CONTROL_SECRET_HEADER]: secret, 'content-type': 'application/json', ...hostileHeaders() },
      body,
    });
  return [
    await control(
      'control fault by prototype',
      '/faults',
      '{"__proto__":{"region":"seoul","fault":"gateway-down"}}',
    ),
    await control(
      'control fault named constructor',
      '/faults',
      '{"region":"constructor","fault":"prototype"}',
    ),
    await control('control heal', '/heal', '{"region":"__proto__","constructor":{"prototype":{"x":1}}}'),
    await control('control region', '/regions', '{"spec":{"__proto__":{"key":"evil"}}}'),
    await control('control remove', '/regions/__proto__', '', 'DELETE'),
    await control('console token', '/console/token', '{"userId":"__proto__"}'),
    await control('console drill', '/console/drills', '{"kind":"__proto__","region":"constructor"}'),
    await control('console snapshot', '/console/snapshot?__proto__=x', '', 'GET'),
    await send('console page', `${sandbox.edge}/_chatctl/console/?__proto__=x&constructor=y`, {
      headers: hostileHeaders(),
    }),
  ];
}

async function gatewayRequests(): Promise<Sent[]> {
  const out: Sent[] = [];
  for (const region of sandbox.regions.values()) {
    out.push(
      await send(`health ${region.key}`, `${region.healthUrl}?__proto__=x&constructor=y&prototype=z`, {
        headers: hostileHeaders(),
      }),
    );
  }
  const china = sandbox.state.china?.url;
  if (china) {
    out.push(
      await send('china proxy', `${china.replace(/^ws/, 'http')}/health?__proto__=x`, {
        headers: hostileHeaders(),
      }),
    );
  }
  return out;
}

/** WebSocket: an upgrade whose query and headers carry the keys, then frames that carry them. */
async function websocketFrames(): Promise<void> {
  for (const region of sandbox.regions.values()) {
    const url = `${region.websocketUrl}?__proto__=x&constructor=y&prototype=z`;
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(url, connectProtocols(devToken(`proto-${region.key}`)), {
      headers: hostileHeaders(),
    });
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const hostile = [
      '{"__proto__":{"action":"send","roomId":"lobby","text":"x"}}',
      '{"action":"send","roomId":"proto","text":"x","clientMsgId":"c1","__proto__":{"polluted":"yes"}}',
      '{"action":"join","roomId":"proto","constructor":{"prototype":{"polluted":"yes"}}}',
      '{"action":"constructor"}',
      '{"action":"__proto__"}',
    ];
    for (const frame of hostile) ws.send(frame);
    ws.send(JSON.stringify({ action: 'ping' }));
    await eventuallyFrame(frames, (f) => f.type === 'pong');
    expect(frames.filter((f) => f.type === 'error').length, JSON.stringify(frames)).toBe(hostile.length);
    ws.close();
  }
}

async function eventuallyFrame(
  frames: Record<string, unknown>[],
  match: (f: Record<string, unknown>) => boolean,
) {
  const deadline = Date.now() + 10_000;
  while (!frames.some(match)) {
    if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(frames)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const nextClientId = clientIdClock();

/** One member per region in one room; each says something and every other member receives it. */
async function chatWorksEverywhere(): Promise<void> {
  const roomId = `proto-${Date.now().toString(36)}`;
  const members: { key: string; client: TestClient }[] = [];
  try {
    for (const region of sandbox.regions.values()) {
      const client = await connect(region.websocketUrl, `after-${region.key}`);
      members.push({ key: region.key, client });
      client.send({ action: 'join', roomId });
      await client.next((f) => f.type === 'joined' && f.roomId === roomId, 10_000);
    }
    for (const { key, client } of members) {
      const clientMsgId = nextClientId();
      client.send({ action: 'send', roomId, text: `from ${key}`, clientMsgId });
      await client.next((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 10_000);
      for (const other of members.filter((m) => m.key !== key)) {
        await other.client.next(
          (f) => f.type === 'message' && (f.message as { text?: string }).text === `from ${key}`,
          10_000,
        );
      }
    }
  } finally {
    await Promise.all(members.map((m) => m.client.close()));
  }
}

describe('prototype keys', () => {
  it('security: __proto__, constructor and prototype keys, sent to every service and listener in each protocol, are answered and leave the chat working in every region', async () => {
    const sent = [...(await awsRequests()), ...(await controlRequests()), ...(await gatewayRequests())];
    await websocketFrames();
    for (const s of sent) {
      expect(s.status, `${s.label}: ${s.body.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(s.status, `${s.label}: ${s.body.slice(0, 300)}`).toBeLessThan(500);
    }
    // Nothing reached a prototype, and no fault was injected through one.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNamesBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(sandbox.faults.list()).toEqual([]);
    const byLabel = new Map(sent.map((s) => [s.label, s]));
    expect(byLabel.get('control fault by prototype')?.status).toBe(400);
    expect(byLabel.get('cloudwatch query GET ap-northeast-2')?.status).toBe(400);
    // The chat's own writes and health in every region, then the chat itself.
    for (const region of sandbox.regions.values()) {
      const ddb = new DynamoDBClient(clientConfig(sandbox, region.awsRegion));
      const Key = { pk: { S: 'PROTO' }, sk: { S: region.key } };
      await ddb.send(new PutItemCommand({ TableName: sandbox.tableName, Item: { ...Key, v: { S: 'ok' } } }));
      const got = await ddb.send(
        new GetItemCommand({ TableName: sandbox.tableName, Key, ConsistentRead: true }),
      );
      expect(got.Item?.v?.S).toBe('ok');
      const health = await fetch(region.healthUrl);
      expect(health.status, await health.text()).toBe(200);
    }
    await chatWorksEverywhere();
  }, 120_000);
});
