import {
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { names } from '../../../../core/names.js';
import { defaultTopology } from '../../../../core/topology.js';
import { signedFetch } from '../../support.js';
import {
  type Edge,
  type FakeGateway,
  type GlobalServices,
  type GlobalTestbed,
  startGlobalTestbed,
  TEST_CREDENTIALS,
} from '../support.js';

const topology = defaultTopology();
/** The origin is chat.<domain>; resolved from CloudFront's edge next to China (Hong Kong), seoul is nearest. */
const SERVED_BY = 'seoul';
let testbed: GlobalTestbed;
let gateways: FakeGateway[];
let global: GlobalServices;
let edge: Edge;
let cf: CloudFrontClient;

beforeAll(async () => {
  testbed = await startGlobalTestbed(topology, 1000);
  ({ gateways, global, edge } = testbed);
  cf = new CloudFrontClient({
    region: 'us-east-1',
    endpoint: edge.url,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  cf?.destroy();
  await testbed?.stop();
});

function gateway(key: string): FakeGateway {
  const found = gateways.find((g) => g.info.key === key);
  if (!found) throw new Error(key);
  return found;
}

/** Opens a WebSocket through the China proxy, sends one frame and returns the echo (which names the region). */
async function echoThroughProxy(text: string): Promise<{ region: string; echo: string }> {
  const url = global.china?.url ?? '';
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    ws.send(text);
    return JSON.parse(await reply);
  } finally {
    ws.close();
  }
}

/** Points the origin at a region's own name (pins it), or at chat.<domain> for 'global'. */
async function moveOrigin(key: string): Promise<string | undefined> {
  const id = global.china?.distributionId;
  const current = await cf.send(new GetDistributionConfigCommand({ Id: id }));
  const config = current.DistributionConfig;
  if (!config?.Origins?.Items?.[0]) throw new Error('no origin');
  config.Origins.Items[0].DomainName =
    key === 'global' ? names.chatRecord(topology) : names.regionalDomain(topology, key);
  const updated = await cf.send(
    new UpdateDistributionCommand({ Id: id, IfMatch: current.ETag, DistributionConfig: config }),
  );
  return updated.ETag;
}

describe('cloudfront', { timeout: 90_000 }, () => {
  it('cloudfront: lists the China proxy distribution, found by its comment, Deployed, with the global name as origin', async () => {
    const list = await cf.send(new ListDistributionsCommand({}));
    expect(list.DistributionList?.Quantity).toBe(1);
    const summary = list.DistributionList?.Items?.find(
      (d) => d.Comment === names.chinaDistributionComment(topology),
    );
    expect(summary).toMatchObject({ Id: global.china?.distributionId, Status: 'Deployed', Enabled: true });
    expect(summary?.DomainName).toMatch(/^d[a-z0-9]+\.cloudfront\.net$/);
    expect(summary?.Origins?.Items?.[0]?.DomainName).toBe(names.chatRecord(topology));
  });

  it('cloudfront: GetDistribution and GetDistributionConfig return the config with the same ETag', async () => {
    const id = global.china?.distributionId;
    const distribution = await cf.send(new GetDistributionCommand({ Id: id }));
    const config = await cf.send(new GetDistributionConfigCommand({ Id: id }));
    expect(distribution.ETag).toBeTruthy();
    expect(config.ETag).toBe(distribution.ETag);
    expect(distribution.Distribution).toMatchObject({ Id: id, Status: 'Deployed' });
    expect(distribution.Distribution?.ARN).toBe(`arn:aws:cloudfront::${topology.account}:distribution/${id}`);
    expect(config.DistributionConfig?.DefaultCacheBehavior?.TargetOriginId).toBe(
      config.DistributionConfig?.Origins?.Items?.[0]?.Id,
    );
    expect(distribution.Distribution?.DistributionConfig).toEqual(config.DistributionConfig);
  });

  it('cloudfront: an unknown distribution is NoSuchDistribution', async () => {
    await expect(cf.send(new GetDistributionCommand({ Id: 'ENOSUCH0000000' }))).rejects.toMatchObject({
      name: 'NoSuchDistribution',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(cf.send(new GetDistributionConfigCommand({ Id: 'ENOSUCH0000000' }))).rejects.toMatchObject({
      name: 'NoSuchDistribution',
    });
  });

  it('cloudfront: UpdateDistribution without If-Match, with a stale ETag or a malformed body is refused and changes nothing', async () => {
    const id = global.china?.distributionId;
    const current = await cf.send(new GetDistributionConfigCommand({ Id: id }));
    const config = current.DistributionConfig;
    if (!config) throw new Error('no config');
    await expect(
      cf.send(new UpdateDistributionCommand({ Id: id, IfMatch: undefined, DistributionConfig: config })),
    ).rejects.toMatchObject({
      name: 'InvalidIfMatchVersion',
    });
    await expect(
      cf.send(
        new UpdateDistributionCommand({ Id: id, IfMatch: 'ESTALE00000000', DistributionConfig: config }),
      ),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const response = await signedFetch(
      `${edge.url}/2020-05-31/distribution/${id}/config`,
      { method: 'PUT', headers: { 'if-match': current.ETag ?? '' }, body: '<DistributionConfig><Origins>' },
      { service: 'cloudfront', region: 'us-east-1' },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidArgument<\/Code>/,
    );
    await expect(
      cf.send(
        new UpdateDistributionCommand({
          Id: id,
          IfMatch: current.ETag,
          DistributionConfig: {
            ...config,
            DefaultCacheBehavior: {
              ...config.DefaultCacheBehavior,
              TargetOriginId: 'nope',
            } as typeof config.DefaultCacheBehavior,
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchOrigin' });
    const after = await cf.send(new GetDistributionConfigCommand({ Id: id }));
    expect(after.ETag).toBe(current.ETag);
    expect(after.DistributionConfig).toEqual(config);
  });

  it('cloudfront: the China proxy forwards WebSockets to where its origin resolves, with Via and X-Amz-Cf-Id, and follows an origin move', async () => {
    const origin = SERVED_BY;
    expect(global.chinaOrigin()).toBe(origin);
    expect(await echoThroughProxy('hello')).toEqual({ region: origin, echo: 'hello' });
    const upgrade = gateway(origin)
      .seen.filter((s) => s.headers.upgrade === 'websocket')
      .at(-1);
    expect(upgrade?.url).toBe('/prod');
    expect(upgrade?.headers.via).toMatch(/^1\.1 [0-9a-f]+\.cloudfront\.net \(CloudFront\)$/);
    expect(upgrade?.headers['x-amz-cf-id']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // Host is the origin's name, as CloudFront sends it: the gateway holds chat.<domain>.
    expect(upgrade?.headers.host).toBe(names.chatRecord(topology));

    const etag = await moveOrigin('tokyo');
    expect(global.chinaOrigin()).toBe('tokyo');
    expect(await echoThroughProxy('again')).toEqual({ region: 'tokyo', echo: 'again' });
    const distribution = await cf.send(new GetDistributionCommand({ Id: global.china?.distributionId }));
    expect(distribution.ETag).toBe(etag);
    expect(distribution.Distribution?.DistributionConfig?.Origins?.Items?.[0]?.DomainName).toBe(
      names.regionalDomain(topology, 'tokyo'),
    );
    expect(
      gateway('tokyo')
        .seen.filter((s) => s.headers.upgrade === 'websocket')
        .at(-1)?.headers.host,
    ).toBe(names.regionalDomain(topology, 'tokyo'));
    await moveOrigin('global');
    expect(await echoThroughProxy('back')).toEqual({ region: origin, echo: 'back' });
  });

  it('cloudfront: the China proxy forwards plain HTTP (the health route) with CloudFront headers both ways', async () => {
    const base = (global.china?.url ?? '').replace(/^ws/, 'http').replace(/\/prod$/, '');
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('via')).toMatch(/cloudfront\.net \(CloudFront\)/);
    expect(response.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(await response.json()).toMatchObject({ region: SERVED_BY });
    const seen = gateway(SERVED_BY).seen.filter((s) => s.url === '/health' && s.headers['x-amz-cf-id']);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('cloudfront: an origin that runs nowhere answers 502 from the proxy', async () => {
    const id = global.china?.distributionId;
    const current = await cf.send(new GetDistributionConfigCommand({ Id: id }));
    const config = current.DistributionConfig;
    if (!config?.Origins?.Items?.[0]) throw new Error('no origin');
    const originalDomain = config.Origins.Items[0].DomainName;
    config.Origins.Items[0].DomainName = 'elsewhere.example.net';
    const updated = await cf.send(
      new UpdateDistributionCommand({ Id: id, IfMatch: current.ETag, DistributionConfig: config }),
    );
    try {
      const base = (global.china?.url ?? '').replace(/^ws/, 'http').replace(/\/prod$/, '');
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(502);
      expect(response.headers.get('x-cache')).toBe('Error from cloudfront');
    } finally {
      config.Origins.Items[0].DomainName = originalDomain;
      await cf.send(
        new UpdateDistributionCommand({ Id: id, IfMatch: updated.ETag, DistributionConfig: config }),
      );
    }
  });
});
