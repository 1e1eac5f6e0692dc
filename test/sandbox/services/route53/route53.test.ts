import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  DeleteHealthCheckCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  GetHostedZoneCommand,
  type HealthCheckConfig,
  ListHealthChecksCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../../../core/names.js';
import { defaultTopology } from '../../../../core/topology.js';
import { signedFetch } from '../../support.js';
import {
  type Edge,
  eventually,
  type FakeGateway,
  type GlobalServices,
  type GlobalTestbed,
  startFakeGateway,
  startGlobalTestbed,
  TEST_CREDENTIALS,
} from '../support.js';

const topology = { ...defaultTopology(), china: { enabled: false, originRegion: 'seoul' } };
const zoneId = topology.hostedZone.id;
const chat = names.chatRecord(topology);
let testbed: GlobalTestbed;
let gateways: FakeGateway[];
let global: GlobalServices;
let edge: Edge;
let r53: Route53Client;

beforeAll(async () => {
  testbed = await startGlobalTestbed(topology, 100);
  ({ gateways, global, edge } = testbed);
  r53 = new Route53Client({
    region: 'us-east-1',
    endpoint: edge.url,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  r53?.destroy();
  await testbed?.stop();
});

async function healthCheckIdOf(key: string): Promise<string> {
  const list = await r53.send(new ListHealthChecksCommand({}));
  const check = list.HealthChecks?.find(
    (h) => h.CallerReference === names.healthCheckReference(topology, key),
  );
  if (!check?.Id) throw new Error(`no health check for ${key}`);
  return check.Id;
}

async function answerFor(subnetOfKey: string): Promise<string | undefined> {
  const subnet = topology.regions.find((r) => r.key === subnetOfKey)?.probeSubnet ?? '';
  const [ip, mask] = subnet.split('/');
  const answer = await r53.send(
    new TestDNSAnswerCommand({
      HostedZoneId: zoneId,
      RecordName: chat,
      RecordType: 'A',
      EDNS0ClientSubnetIP: ip,
      EDNS0ClientSubnetMask: mask,
    }),
  );
  const records = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const value = answer.RecordData?.[0];
  return records.ResourceRecordSets?.find(
    (r) => r.Name === `${chat}.` && r.ResourceRecords?.[0]?.Value === value,
  )?.SetIdentifier;
}

const R53 = { service: 'route53', region: 'us-east-1' };

describe('route53', { timeout: 90_000 }, () => {
  it('route53: lists the public hosted zone of the topology and gets it with its name servers', async () => {
    const list = await r53.send(new ListHostedZonesCommand({}));
    expect(list.HostedZones).toHaveLength(1);
    expect(list.HostedZones?.[0]).toMatchObject({
      Id: `/hostedzone/${zoneId}`,
      Name: `${topology.hostedZone.name}.`,
      Config: { PrivateZone: false },
    });
    expect(list.IsTruncated).toBe(false);
    const zone = await r53.send(new GetHostedZoneCommand({ Id: zoneId }));
    expect(zone.HostedZone?.Id).toBe(`/hostedzone/${zoneId}`);
    expect(zone.DelegationSet?.NameServers?.length).toBeGreaterThan(0);
    const byName = await r53.send(new ListHostedZonesByNameCommand({ DNSName: topology.hostedZone.name }));
    expect(byName.HostedZones?.[0]?.Id).toBe(`/hostedzone/${zoneId}`);
  });

  it('route53: an unknown hosted zone is NoSuchHostedZone', async () => {
    await expect(r53.send(new GetHostedZoneCommand({ Id: 'ZNOPE000000' }))).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('route53: the chat record is one latency A record per region with its health check', async () => {
    const list = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const latency = list.ResourceRecordSets?.filter((r) => r.Name === `${chat}.`) ?? [];
    expect(latency.map((r) => r.SetIdentifier).sort()).toEqual(topology.regions.map((r) => r.key).sort());
    for (const region of topology.regions) {
      const record = latency.find((r) => r.SetIdentifier === region.key);
      expect(record).toMatchObject({ Type: 'A', Region: region.awsRegion, TTL: 60 });
      expect(record?.HealthCheckId).toBe(await healthCheckIdOf(region.key));
    }
    expect(list.ResourceRecordSets?.map((r) => r.Type)).toEqual(expect.arrayContaining(['NS', 'SOA']));
  });

  it('route53: ListResourceRecordSets pages with maxitems and NextRecordName/Identifier', async () => {
    const all = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const seen: string[] = [];
    let start: { name?: string; type?: string; id?: string } = {};
    for (let i = 0; i < 20; i++) {
      const page = await r53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          MaxItems: 2,
          StartRecordName: start.name,
          StartRecordType: start.type as 'A' | undefined,
          StartRecordIdentifier: start.id,
        }),
      );
      for (const r of page.ResourceRecordSets ?? [])
        seen.push(`${r.Name}|${r.Type}|${r.SetIdentifier ?? ''}`);
      if (!page.IsTruncated) break;
      start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
    }
    expect(seen).toEqual(all.ResourceRecordSets?.map((r) => `${r.Name}|${r.Type}|${r.SetIdentifier ?? ''}`));
  });

  it('route53: ChangeResourceRecordSets creates, upserts and deletes; a duplicate CREATE is InvalidChangeBatch', async () => {
    const record = {
      Name: `test.${topology.domain}`,
      Type: 'A' as const,
      TTL: 30,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    };
    const created = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Comment: 'test', Changes: [{ Action: 'CREATE', ResourceRecordSet: record }] },
      }),
    );
    expect(created.ChangeInfo?.Status).toBe('INSYNC');
    const change = await r53.send(new GetChangeCommand({ Id: created.ChangeInfo?.Id }));
    expect(change.ChangeInfo?.Status).toBe('INSYNC');
    await expect(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: record }] },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('already exists'),
    });
    const upserted = { ...record, ResourceRecords: [{ Value: '10.0.0.2' }] };
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: upserted }] },
      }),
    );
    const list = await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: record.Name,
        StartRecordType: 'A',
        MaxItems: 1,
      }),
    );
    expect(list.ResourceRecordSets?.[0]).toMatchObject({
      Name: `${record.Name}.`,
      ResourceRecords: [{ Value: '10.0.0.2' }],
    });
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: upserted }] },
      }),
    );
    await expect(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: upserted }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidChangeBatch', message: expect.stringContaining('not found') });
  });

  it('route53: a malformed change body is InvalidInput and changes nothing', async () => {
    const before = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const response = await signedFetch(
      `${edge.url}/2013-04-01/hostedzone/${zoneId}/rrset/`,
      { method: 'POST', body: '<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change>' },
      R53,
    );
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidInput<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>/,
    );
    await expect(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: `x.${topology.domain}`, Type: 'A' } }],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInput' });
    const after = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(after.ResourceRecordSets).toEqual(before.ResourceRecordSets);
    const badPath = await signedFetch(`${edge.url}/2013-04-01/healthcheck/%zz`, { method: 'GET' }, R53);
    expect(badPath.status).toBe(400);
    expect(await badPath.text()).toContain('<Code>InvalidInput</Code>');
    const unknown = await signedFetch(`${edge.url}/2013-04-01/trafficpolicies`, { method: 'GET' }, R53);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
    const id = await healthCheckIdOf('seoul');
    for (const [path, body] of [
      ['/2013-04-01/healthcheck', '<CreateHealthCheckRequest><CallerReference>x</CallerReference>'],
      [
        '/2013-04-01/healthcheck',
        '<CreateHealthCheckRequest><CallerReference>x</CallerReference></CreateHealthCheckRequest>',
      ],
      [
        `/2013-04-01/healthcheck/${id}`,
        '<UpdateHealthCheckRequest><Inverted>maybe</Inverted></UpdateHealthCheckRequest>',
      ],
      [`/2013-04-01/healthcheck/${id}`, '<NotAnUpdate/>'],
    ]) {
      const response = await signedFetch(`${edge.url}${path}`, { method: 'POST', body }, R53);
      expect(response.status, body).toBe(400);
      expect(await response.text(), body).toContain('<Code>InvalidInput</Code>');
    }
    const check = await r53.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    expect(check.HealthCheck?.HealthCheckConfig?.Inverted).toBe(false);
  });

  it('route53: health checks are created idempotently by CallerReference, listed, got and deleted', async () => {
    const input = {
      CallerReference: 'test-check-1',
      HealthCheckConfig: {
        Type: 'HTTP' as const,
        IPAddress: '127.0.0.1',
        Port: gateways[0].info.gatewayPort,
        ResourcePath: '/health',
        RequestInterval: 10,
        FailureThreshold: 1,
      },
    };
    const created = await r53.send(new CreateHealthCheckCommand(input));
    expect(created.Location).toContain(`/healthcheck/${created.HealthCheck?.Id}`);
    expect(created.HealthCheck).toMatchObject({
      CallerReference: 'test-check-1',
      HealthCheckVersion: 1,
      HealthCheckConfig: { Port: gateways[0].info.gatewayPort, Inverted: false, Disabled: false },
    });
    const again = await r53.send(new CreateHealthCheckCommand(input));
    expect(again.HealthCheck?.Id).toBe(created.HealthCheck?.Id);
    await expect(
      r53.send(
        new CreateHealthCheckCommand({
          ...input,
          HealthCheckConfig: { ...input.HealthCheckConfig, FailureThreshold: 5 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'HealthCheckAlreadyExists' });
    const got = await r53.send(new GetHealthCheckCommand({ HealthCheckId: created.HealthCheck?.Id }));
    expect(got.HealthCheck?.HealthCheckConfig?.ResourcePath).toBe('/health');
    const list = await r53.send(new ListHealthChecksCommand({}));
    expect(list.HealthChecks?.map((h) => h.Id)).toContain(created.HealthCheck?.Id);
    await eventually(async () => {
      const status = await r53.send(
        new GetHealthCheckStatusCommand({ HealthCheckId: created.HealthCheck?.Id }),
      );
      return (
        status.HealthCheckObservations?.[0]?.StatusReport?.Status === 'Success: HTTP Status Code 200, OK'
      );
    });
    await r53.send(new DeleteHealthCheckCommand({ HealthCheckId: created.HealthCheck?.Id }));
    await expect(
      r53.send(new GetHealthCheckCommand({ HealthCheckId: created.HealthCheck?.Id })),
    ).rejects.toMatchObject({
      name: 'NoSuchHealthCheck',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('route53: a string-matching check fails on a 200 without its SearchString, and a TCP check only connects', async () => {
    const base = {
      IPAddress: '127.0.0.1',
      Port: gateways[0].info.gatewayPort,
      RequestInterval: 10,
      FailureThreshold: 1,
    };
    await expect(
      r53.send(
        new CreateHealthCheckCommand({
          CallerReference: 'test-str-none',
          HealthCheckConfig: { ...base, Type: 'HTTP_STR_MATCH', ResourcePath: '/health' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/SearchString is required/),
    });
    const create = async (
      reference: string,
      config: Pick<HealthCheckConfig, 'Type'> & Partial<HealthCheckConfig>,
    ) => {
      const created = await r53.send(
        new CreateHealthCheckCommand({
          CallerReference: reference,
          HealthCheckConfig: { ...base, ...config },
        }),
      );
      return created.HealthCheck?.Id as string;
    };
    const statusOf = async (id: string) =>
      (await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }))).HealthCheckObservations?.[0]
        ?.StatusReport?.Status ?? '';
    // The fake gateway's /health answers 200 with {"region":"seoul","ok":true}.
    const found = await create('test-str-found', {
      Type: 'HTTP_STR_MATCH',
      ResourcePath: '/health',
      SearchString: '"ok":true',
    });
    const missing = await create('test-str-missing', {
      Type: 'HTTP_STR_MATCH',
      ResourcePath: '/health',
      SearchString: 'degraded',
    });
    const tcp = await create('test-tcp', { Type: 'TCP' });
    try {
      await eventually(
        async () => (await statusOf(found)).startsWith('Success') && (await statusOf(missing)) !== '',
      );
      expect(await statusOf(missing)).toMatch(/^Failure: .*search string was not in the first 5120 bytes/);
      await eventually(async () => (await statusOf(tcp)).startsWith('Success'));
      // A 503 fails the string match but not the TCP check, which never sends a request.
      await gateways[0].setHealth(503);
      await eventually(async () => (await statusOf(found)).startsWith('Failure'));
      expect(await statusOf(tcp)).toMatch(/^Success/);
    } finally {
      await gateways[0].setHealth(200);
      for (const id of [found, missing, tcp])
        await r53.send(new DeleteHealthCheckCommand({ HealthCheckId: id }));
      // The 503 also failed seoul's own health check: leave routing as the next test expects it.
      await eventually(async () => (await answerFor('seoul')) === 'seoul');
    }
  });

  it('route53: an unknown health check is NoSuchHealthCheck for get, status and update', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    await expect(r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }))).rejects.toMatchObject({
      name: 'NoSuchHealthCheck',
    });
    await expect(
      r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: true })),
    ).rejects.toMatchObject({
      name: 'NoSuchHealthCheck',
    });
  });

  it('route53: GetHealthCheckStatus reports the checker observation with Region, IPAddress and CheckedTime', async () => {
    const id = await healthCheckIdOf('tokyo');
    await eventually(async () => {
      const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
      return (status.HealthCheckObservations?.length ?? 0) > 0;
    });
    const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    const observation = status.HealthCheckObservations?.[0];
    expect(observation?.Region).toBe('us-east-1');
    expect(observation?.IPAddress).toBe('127.0.0.1');
    expect(observation?.StatusReport?.Status).toBe('Success: HTTP Status Code 200, OK');
    expect(observation?.StatusReport?.CheckedTime).toBeInstanceOf(Date);
  });

  it('route53: UpdateHealthCheck checks HealthCheckVersion and bumps it', async () => {
    const id = await healthCheckIdOf('na');
    const before = await r53.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    const version = before.HealthCheck?.HealthCheckVersion ?? 0;
    await expect(
      r53.send(
        new UpdateHealthCheckCommand({
          HealthCheckId: id,
          HealthCheckVersion: version + 5,
          FailureThreshold: 3,
        }),
      ),
    ).rejects.toMatchObject({ name: 'HealthCheckVersionMismatch' });
    const updated = await r53.send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: version, FailureThreshold: 2 }),
    );
    expect(updated.HealthCheck?.HealthCheckVersion).toBe(version + 1);
    expect(updated.HealthCheck?.HealthCheckConfig?.FailureThreshold).toBe(2);
  });

  it('route53: TestDNSAnswer answers each probe subnet with its own region', async () => {
    for (const region of topology.regions) expect(await answerFor(region.key)).toBe(region.key);
    const answer = await r53.send(
      new TestDNSAnswerCommand({
        HostedZoneId: zoneId,
        RecordName: chat,
        RecordType: 'A',
        ResolverIP: '211.45.0.9',
      }),
    );
    expect(answer).toMatchObject({
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
      RecordType: 'A',
      RecordName: chat,
    });
    expect(answer.Nameserver).toMatch(/awsdns/);
  });

  it('route53: TestDNSAnswer for a name that does not exist is NXDOMAIN with no data', async () => {
    const answer = await r53.send(
      new TestDNSAnswerCommand({
        HostedZoneId: zoneId,
        RecordName: `nope.${topology.domain}`,
        RecordType: 'A',
      }),
    );
    expect(answer.ResponseCode).toBe('NXDOMAIN');
    expect(answer.RecordData ?? []).toEqual([]);
  });

  it('route53: an unhealthy region moves its subnet to the next-nearest healthy region, and back after heal', async () => {
    const seoul = gateways[0];
    await seoul.setHealth(503);
    await eventually(async () => (await answerFor('seoul')) === 'tokyo');
    const id = await healthCheckIdOf('seoul');
    const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    expect(status.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(
      /^Failure: HTTP Status Code 503/,
    );
    expect(await answerFor('tokyo')).toBe('tokyo');
    await seoul.setHealth(200);
    await eventually(async () => (await answerFor('seoul')) === 'seoul');
  });

  it('route53: a closed gateway port fails its check with Connection refused', async () => {
    const na = gateways[2];
    await na.setHealth('closed');
    await eventually(async () => (await answerFor('na')) !== 'na');
    expect(await answerFor('na')).toBe('tokyo');
    const status = await r53.send(
      new GetHealthCheckStatusCommand({ HealthCheckId: await healthCheckIdOf('na') }),
    );
    expect(status.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(/^Failure: Connection refused/);
    await na.setHealth(200);
    await eventually(async () => (await answerFor('na')) === 'na');
  });

  it('route53: Inverted takes a healthy region out and Disabled counts it healthy', async () => {
    const id = await healthCheckIdOf('tokyo');
    const invert = async (Inverted: boolean) =>
      r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted }));
    await invert(true);
    await eventually(async () => (await answerFor('tokyo')) === 'seoul');
    const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    expect(status.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(
      /^Failure: Health check is inverted/,
    );
    await r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Disabled: true }));
    await eventually(async () => (await answerFor('tokyo')) === 'tokyo');
    await r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Disabled: false, Inverted: false }));
    expect(await answerFor('tokyo')).toBe('tokyo');
  });

  it('route53: when every region is unhealthy, TestDNSAnswer answers as if all were healthy', async () => {
    await Promise.all(gateways.map((g) => g.setHealth(503)));
    try {
      await eventually(async () => {
        for (const region of topology.regions) {
          const status = await r53.send(
            new GetHealthCheckStatusCommand({ HealthCheckId: await healthCheckIdOf(region.key) }),
          );
          if (!status.HealthCheckObservations?.[0]?.StatusReport?.Status?.startsWith('Failure')) return false;
        }
        return true;
      });
      for (const region of topology.regions) expect(await answerFor(region.key)).toBe(region.key);
    } finally {
      await Promise.all(gateways.map((g) => g.setHealth(200)));
    }
  });

  it('route53: addRegion and removeRegion add and remove the latency record and its health check', async () => {
    const extra = await startFakeGateway('osaka', 'ap-northeast-3');
    try {
      await global.addRegion(extra.info);
      const list = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
      expect(list.ResourceRecordSets?.find((r) => r.SetIdentifier === 'osaka')).toMatchObject({
        Region: 'ap-northeast-3',
      });
      await healthCheckIdOf('osaka');
      await global.removeRegion('osaka');
      const after = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
      expect(after.ResourceRecordSets?.find((r) => r.SetIdentifier === 'osaka')).toBeUndefined();
      await expect(healthCheckIdOf('osaka')).rejects.toThrow(/no health check/);
    } finally {
      await extra.stop();
    }
  });
});
