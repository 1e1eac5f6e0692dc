// End to end through a started sandbox: Route 53 on the edge, health checkers probing the real gateways'
// /health, faults moving latency answers, and the China proxy in front of the real gateways.
import {
  CloudFrontClient,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../../../core/names.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../../core/runtime-env.js';
import { defaultTopology } from '../../../../core/topology.js';
import { signDevToken } from '../../../../runtime/auth/dev-token.js';
import { ChatClient, type FrameOf } from '../../../../runtime/chat-client/client.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { clientConfig, startTestSandbox } from '../../support.js';
import { eventually, latencyAnswerFor } from '../support.js';

const INTERVAL_MS = 200;
const THRESHOLD = 2;
/** Interval x threshold, plus slack for a loaded two-core machine (safety only; speed is benchmarked). */
const FLIP_LIMIT_MS = INTERVAL_MS * THRESHOLD + 8000;

const topology = defaultTopology();
let sandbox: Sandbox;
let r53: Route53Client;
let cf: CloudFrontClient;

beforeAll(async () => {
  sandbox = await startTestSandbox(
    { globalServices: true, healthCheckIntervalMs: INTERVAL_MS, failureThreshold: THRESHOLD },
    topology,
  );
  r53 = new Route53Client(clientConfig(sandbox, 'us-east-1'));
  cf = new CloudFrontClient(clientConfig(sandbox, 'us-east-1'));
});

afterAll(async () => {
  r53?.destroy();
  cf?.destroy();
  await sandbox?.stop();
});

const answerFor = (fromKey: string) => latencyAnswerFor(r53, topology, fromKey);

async function checkStatus(key: string): Promise<string | undefined> {
  const list = await r53.send(new ListHealthChecksCommand({}));
  const id = list.HealthChecks?.find(
    (h) => h.CallerReference === names.healthCheckReference(topology, key),
  )?.Id;
  const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
  return status.HealthCheckObservations?.[0]?.StatusReport?.Status;
}

const token = (userId: string) => signDevToken({ userId, ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });

describe('sandbox routing', { timeout: 90_000 }, () => {
  it('sandbox routing: sandbox.json lists the hosted zone and the China proxy', () => {
    expect(sandbox.state.hostedZoneId).toBe(topology.hostedZone.id);
    expect(sandbox.state.china?.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/prod$/);
    expect(sandbox.state.china?.distributionId).toMatch(/^E[A-Z0-9]{13}$/);
  });

  it('sandbox routing: the checkers probe the real gateways and TestDNSAnswer gives each probe subnet its own region', async () => {
    await eventually(
      async () => (await checkStatus('seoul'))?.startsWith('Success: HTTP Status Code 200') === true,
      15_000,
    );
    for (const region of topology.regions) expect(await answerFor(region.key)).toBe(region.key);
  });

  it('sandbox routing: gateway-down moves the region’s users to the next-nearest region, and heal brings them back', async () => {
    sandbox.faults.inject('tokyo', 'gateway-down');
    try {
      await eventually(async () => (await answerFor('tokyo')) === 'seoul', FLIP_LIMIT_MS);
      expect(await checkStatus('tokyo')).toMatch(/^Failure: /);
      expect(await answerFor('na')).toBe('na');
    } finally {
      sandbox.faults.heal('tokyo');
    }
    await eventually(async () => (await answerFor('tokyo')) === 'tokyo', FLIP_LIMIT_MS);
  });

  it('sandbox routing: a client through the China proxy chats with a user in the region its origin resolves to, and follows a pinned origin', async () => {
    // The origin is chat.<domain>: from CloudFront's edge next to China (Hong Kong) latency DNS answers seoul.
    const origin = 'seoul';
    const room = `china-${Date.now()}`;
    const local = await ChatClient.connect({
      url: sandbox.regions.get(origin)?.websocketUrl ?? '',
      token: token('minsu'),
      timeoutMs: 30_000,
    });
    const viaProxy = await ChatClient.connect({
      url: sandbox.state.china?.url ?? '',
      token: token('li'),
      timeoutMs: 30_000,
    });
    try {
      expect((await viaProxy.ping()).region).toBe(origin);
      await local.join(room);
      await viaProxy.join(room);
      const heard = local.waitFor(
        (f): f is FrameOf<'message'> => f.type === 'message' && f.message.userId === 'li',
      );
      await viaProxy.send(room, 'ni hao');
      expect((await heard).message).toMatchObject({ text: 'ni hao', region: origin });
      const answered = viaProxy.waitFor(
        (f): f is FrameOf<'message'> => f.type === 'message' && f.message.userId === 'minsu',
      );
      await local.send(room, 'annyeong');
      expect((await answered).message.text).toBe('annyeong');

      // Pinned to tokyo's own name, new connections go to tokyo; back on chat.<domain>, to seoul again.
      const moved = await setOrigin(names.regionalDomain(topology, 'tokyo'));
      expect(await pingThroughProxy('wei')).toBe('tokyo');
      await setOrigin(names.chatRecord(topology), moved);
      expect(await pingThroughProxy('wei')).toBe(origin);
    } finally {
      await local.close();
      await viaProxy.close();
    }
  });

  it('sandbox routing: a drained region loses its China users too: new connections through the proxy go where DNS now answers, and come back on restore', async () => {
    const seoulCheck = await routingCheckId('seoul');
    expect(await pingThroughProxy('li')).toBe('seoul');
    const open = await ChatClient.connect({
      url: sandbox.state.china?.url ?? '',
      token: token('zhang'),
      timeoutMs: 30_000,
    });
    try {
      // A drain as chatctl does it: the routing check inverted, through an unmodified Route 53 client.
      await r53.send(new UpdateHealthCheckCommand({ HealthCheckId: seoulCheck, Inverted: true }));
      await eventually(async () => (await pingThroughProxy('li')) === 'tokyo', FLIP_LIMIT_MS);
      // CloudFront keeps an open WebSocket on the origin it connected to.
      expect((await open.ping()).region).toBe('seoul');
    } finally {
      await r53.send(new UpdateHealthCheckCommand({ HealthCheckId: seoulCheck, Inverted: false }));
      await open.close();
    }
    await eventually(async () => (await pingThroughProxy('li')) === 'seoul', FLIP_LIMIT_MS);
  });
});

/** The region that answers a ping from a new connection through the China proxy. */
async function pingThroughProxy(userId: string): Promise<string> {
  const client = await ChatClient.connect({
    url: sandbox.state.china?.url ?? '',
    token: token(userId),
    timeoutMs: 30_000,
  });
  try {
    return (await client.ping()).region;
  } finally {
    await client.close();
  }
}

/** Points the distribution's origin at `domain` (UpdateDistribution with If-Match); returns the new ETag. */
async function setOrigin(domain: string, etag?: string): Promise<string | undefined> {
  const id = sandbox.state.china?.distributionId;
  const current = await cf.send(new GetDistributionConfigCommand({ Id: id }));
  const config = current.DistributionConfig;
  if (!config?.Origins?.Items?.[0]) throw new Error('no origin');
  if (etag) expect(current.ETag).toBe(etag);
  config.Origins.Items[0].DomainName = domain;
  const updated = await cf.send(
    new UpdateDistributionCommand({ Id: id, IfMatch: current.ETag, DistributionConfig: config }),
  );
  return updated.ETag;
}

/** The health check on a region's latency record (the one a drain inverts). */
async function routingCheckId(key: string): Promise<string> {
  const records = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: topology.hostedZone.id }));
  const id = records.ResourceRecordSets?.find(
    (r) => r.Name === `${names.chatRecord(topology)}.` && r.SetIdentifier === key,
  )?.HealthCheckId;
  if (!id) throw new Error(`no latency record for ${key}`);
  return id;
}
