import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultTopology } from '../../core/topology.js';
import { Sandbox } from '../../sandbox/index.js';
import { clientConfig, startTestSandbox, uniqueInstanceId } from './support.js';
import { connect } from './ws-client.js';

let sandbox: Sandbox;

beforeAll(async () => {
  const topology = defaultTopology();
  topology.regions = topology.regions.slice(0, 2);
  topology.china.enabled = false;
  sandbox = await startTestSandbox({ lag: 20 }, topology);
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('Sandbox lifecycle', () => {
  it('addRegion: a new region gets a gateway and a replica with the existing items, then replicates', async () => {
    const table = sandbox.tableName;
    const seoul = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    const Key = { pk: { S: 'ADD' }, sk: { S: 'before' } };
    await seoul.send(new PutItemCommand({ TableName: table, Item: { ...Key, v: { S: 'old' } } }));
    await sandbox.replication.settle();

    const added = await sandbox.addRegion({
      key: 'sydney',
      awsRegion: 'ap-southeast-2',
      probeSubnet: '1.120.0.0/24',
    });
    expect([...sandbox.regions.keys()]).toEqual(['seoul', 'tokyo', 'sydney']);
    expect(sandbox.state.regions.sydney.websocketUrl).toBe(added.websocketUrl);
    const sydney = new DynamoDBClient(clientConfig(sandbox, 'ap-southeast-2'));
    const copied = await sydney.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
    expect(copied.Item?.v?.S).toBe('old');

    const NewKey = { pk: { S: 'ADD' }, sk: { S: 'after' } };
    await sydney.send(new PutItemCommand({ TableName: table, Item: { ...NewKey, v: { S: 'new' } } }));
    await sandbox.replication.settle();
    const there = await seoul.send(
      new GetItemCommand({ TableName: table, Key: NewKey, ConsistentRead: true }),
    );
    expect(there.Item?.v?.S).toBe('new');

    const client = await connect(added.websocketUrl, 'bruce');
    client.send({ action: 'ping' });
    expect((await client.next((f) => f.type === 'pong')).region).toBe('sydney');
    await client.close();
    // Other regions relay to it now.
    expect(sandbox.regions.get('seoul')!.config.relayTargets.sydney).toEqual({
      awsRegion: 'ap-southeast-2',
      functionName: 'chat-sydney-relay',
    });
  });

  it('removeRegion: stops its gateway and replica; the others keep serving', async () => {
    const url = sandbox.regions.get('sydney')!.healthUrl;
    await sandbox.removeRegion('sydney');
    expect([...sandbox.regions.keys()]).toEqual(['seoul', 'tokyo']);
    await expect(fetch(url)).rejects.toThrow();
    expect(sandbox.regions.get('seoul')!.config.relayTargets.sydney).toBeUndefined();
    expect((await fetch(sandbox.regions.get('tokyo')!.healthUrl)).status).toBe(200);
    await expect(sandbox.removeRegion('sydney')).rejects.toThrow(/no region "sydney"/);
  });
});

describe('Sandbox lifecycle: start, ready, stop', () => {
  it('Sandbox: ready() answers once started, start() runs once, stop() is idempotent and frees the ports', async () => {
    const topology = defaultTopology();
    topology.regions = topology.regions.slice(0, 1);
    topology.china.enabled = false;
    const one = new Sandbox(topology, {
      port: 0,
      dynamoEndpoint: inject('dynamoEndpoint'),
      instanceId: uniqueInstanceId(),
      globalServices: false,
    });
    expect(one.running).toBe(false);
    expect(() => one.state).toThrow(/has not started/);
    await one.start();
    await one.ready();
    expect(one.running).toBe(true);
    expect(one.service('dynamodb')?.name).toBe('dynamodb');
    expect(one.service('route53')).toBeUndefined();
    await expect(one.start()).rejects.toThrow(/starts once/);
    const health = one.regions.get('seoul')!.healthUrl;
    await Promise.all([one.stop(), one.stop()]);
    await expect(fetch(health)).rejects.toThrow();
    await expect(fetch(`${one.edge}/_chatctl/status`)).rejects.toThrow();
  });

  it('Sandbox: a bad instance id is refused before anything starts', () => {
    expect(() => new Sandbox(defaultTopology(), { instanceId: 'not ok!' })).toThrow(/1-64 letters or digits/);
  });
});
