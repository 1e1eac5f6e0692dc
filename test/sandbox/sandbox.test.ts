import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRegionToRunningSandbox, removeRegionFromRunningSandbox } from '../../cli/ops/sandbox/regions.js';
import { defaultTopology } from '../../core/topology.js';
import type { Sandbox } from '../../sandbox/index.js';
import { clientConfig, startTestSandbox } from './support.js';
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

describe('sandbox regions', () => {
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

  it('addRegionToRunningSandbox: a no-op when no sandbox runs', async () => {
    const missing = '/nonexistent-chatctl/sandbox.json';
    const spec = { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '90.0.0.0/24' };
    expect(await addRegionToRunningSandbox(spec, missing)).toMatchObject({ applied: false });
    expect(await removeRegionFromRunningSandbox('paris', missing)).toMatchObject({ applied: false });
  });
});
