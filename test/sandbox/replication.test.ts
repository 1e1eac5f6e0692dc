import {
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChatTable } from '../../sandbox/chat-table.js';
import type { Sandbox } from '../../sandbox/index.js';
import { clientConfig, startTestSandbox } from './support.js';

let sandbox: Sandbox;
const clients: Record<string, DynamoDBClient> = {};
// Far apart, so the order of arrival holds even when a loaded machine stalls the event loop for a while.
const LAG = { 'seoul:tokyo': 40, 'seoul:na': 1000, 'tokyo:na': 1000 };

beforeAll(async () => {
  // No surge controller: it stores each region's replication lag on the load-level items (a write a second
  // while a region is paused), and these tests count the engine writes replication makes for their own items.
  sandbox = await startTestSandbox({ lag: LAG, surge: false });
  for (const [key, region] of sandbox.regions) {
    clients[key] = new DynamoDBClient(clientConfig(sandbox, region.awsRegion));
  }
});

afterAll(async () => {
  await sandbox?.stop();
});

const table = () => sandbox.tableName;
const key = (sk: string) => ({ pk: { S: 'REPL' }, sk: { S: sk } });

async function get(region: string, sk: string) {
  const result = await clients[region].send(
    new GetItemCommand({ TableName: table(), Key: key(sk), ConsistentRead: true }),
  );
  return result.Item;
}

async function waitFor(region: string, sk: string, present: boolean, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (Boolean(await get(region, sk)) === present) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${sk} did not ${present ? 'appear' : 'disappear'} in ${region}`);
}

describe('replication', () => {
  it('replication: a write in one region appears in the others after about the pair lag', async () => {
    const written = Date.now();
    await clients.seoul.send(
      new PutItemCommand({ TableName: table(), Item: { ...key('lag'), text: { S: 'hello' } } }),
    );
    const [tokyoMs, naMs] = await Promise.all([waitFor('tokyo', 'lag', true), waitFor('na', 'lag', true)]);
    expect(tokyoMs).toBeLessThan(naMs);
    // Not before the configured lag (time from the write, whatever the polling adds).
    expect(Date.now() - written).toBeGreaterThanOrEqual(LAG['seoul:na']);
    expect((await get('na', 'lag'))?.text?.S).toBe('hello');
    await sandbox.replication.settle();
    // Replicated writes are not replicated again: each region holds exactly one copy, nothing queued.
    expect(sandbox.replication.stats.queued).toBe(0);
  });

  it('replication: concurrent writes to one item from every region converge on one winner everywhere', async () => {
    // Two rounds of writes per item, from every region at once, so replicated changes cross local ones.
    for (let wave = 0; wave < 2; wave++) {
      await Promise.all(
        Array.from({ length: 5 }, (_, round) =>
          Promise.all(
            ['seoul', 'tokyo', 'na'].map((from) =>
              clients[from].send(
                new PutItemCommand({
                  TableName: table(),
                  Item: { ...key(`conflict-${round}`), from: { S: `${from}-${wave}` } },
                }),
              ),
            ),
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 35));
    }
    await sandbox.replication.settle();
    for (let round = 0; round < 5; round++) {
      const values = await Promise.all(
        ['seoul', 'tokyo', 'na'].map(async (r) => (await get(r, `conflict-${round}`))?.from?.S),
      );
      expect(values[0]).toBeDefined();
      expect(new Set(values).size, `round ${round}: ${values.join(', ')}`).toBe(1);
    }
  });

  it('replication: a paused region keeps its writes and catches up on resume', async () => {
    sandbox.replication.pause('tokyo');
    await clients.tokyo.send(
      new PutItemCommand({ TableName: table(), Item: { ...key('paused'), v: { S: 'tokyo' } } }),
    );
    await clients.seoul.send(
      new PutItemCommand({ TableName: table(), Item: { ...key('while-paused'), v: { S: 'seoul' } } }),
    );
    await sandbox.replication.settle();
    await new Promise((r) => setTimeout(r, 400));
    expect(await get('seoul', 'paused')).toBeUndefined();
    expect(await get('tokyo', 'while-paused')).toBeUndefined();
    expect(await get('na', 'while-paused')).toBeDefined();
    sandbox.replication.resume('tokyo');
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      expect((await get(region, 'paused'))?.v?.S).toBe('tokyo');
      expect((await get(region, 'while-paused'))?.v?.S).toBe('seoul');
    }
  });

  it('replication: deletes and TTL expiries replicate', async () => {
    await clients.tokyo.send(
      new PutItemCommand({ TableName: table(), Item: { ...key('gone'), v: { S: '1' } } }),
    );
    await sandbox.replication.settle();
    expect(await get('na', 'gone')).toBeDefined();
    await clients.na.send(new DeleteItemCommand({ TableName: table(), Key: key('gone') }));
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) expect(await get(region, 'gone')).toBeUndefined();

    // TTL: an item already expired is removed by DynamoDB's TTL; the removal reaches every replica.
    const past = Math.floor(Date.now() / 1000) - 60;
    await clients.seoul.send(
      new PutItemCommand({ TableName: table(), Item: { ...key('ttl'), expiresAt: { N: String(past) } } }),
    );
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) await waitFor(region, 'ttl', false, 20_000);
  });

  it('replication: changes due together reach a region in batches, far fewer engine writes than items', async () => {
    sandbox.replication.pause('tokyo');
    const items = Array.from({ length: 30 }, (_, i) => `batch-${i}`);
    await Promise.all(
      items.map((sk) =>
        clients.seoul.send(new PutItemCommand({ TableName: table(), Item: { ...key(sk), v: { S: 'b' } } })),
      ),
    );
    await sandbox.replication.settle();
    const before = sandbox.replication.stats;
    sandbox.replication.resume('tokyo');
    await sandbox.replication.settle();
    const after = sandbox.replication.stats;
    for (const sk of items) expect((await get('tokyo', sk))?.v?.S, sk).toBe('b');
    expect(after.applied - before.applied).toBeGreaterThanOrEqual(items.length);
    // 30 puts of distinct items, all due at resume: two BatchWriteItems of at most 25 (a few more if a poll
    // split them), never one request per item.
    expect(after.writeRequests - before.writeRequests).toBeLessThanOrEqual(6);
  });

  it('replication: every replica holds the same items afterwards', async () => {
    await sandbox.replication.settle();
    const scans = await Promise.all(
      ['seoul', 'tokyo', 'na'].map(async (r) => {
        const result = await clients[r].send(new ScanCommand({ TableName: table(), ConsistentRead: true }));
        return JSON.stringify(
          (result.Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())).sort(),
        );
      }),
    );
    expect(scans[1]).toBe(scans[0]);
    expect(scans[2]).toBe(scans[0]);
  });
});

describe('replication reads', () => {
  let quiet: Sandbox;

  beforeAll(async () => {
    // Streams nobody writes to through the edge are read every 20 s here: only the edge's note of a write
    // can make a change arrive sooner.
    quiet = await startTestSandbox({ lag: 0, idlePollIntervalMs: 20_000 });
  });

  afterAll(async () => {
    await quiet?.stop();
  });

  it('replication: a client write through the edge is read from the stream at once, not at the idle period', async () => {
    const seoul = new DynamoDBClient(clientConfig(quiet, 'ap-northeast-2'));
    const tokyo = new DynamoDBClient(clientConfig(quiet, 'ap-northeast-1'));
    await new Promise((r) => setTimeout(r, 200)); // every stream's first read is done; the next is 20 s away
    await seoul.send(
      new PutItemCommand({ TableName: quiet.tableName, Item: { ...key('noted'), v: { S: 'now' } } }),
    );
    const deadline = Date.now() + 3000;
    let item: Record<string, unknown> | undefined;
    while (!item && Date.now() < deadline) {
      item = (
        await tokyo.send(
          new GetItemCommand({ TableName: quiet.tableName, Key: key('noted'), ConsistentRead: true }),
        )
      ).Item;
      if (!item) await new Promise((r) => setTimeout(r, 20));
    }
    expect(item, 'the write reached tokyo within 3 s').toBeDefined();
    seoul.destroy();
    tokyo.destroy();
  });
});

describe('replication retries', () => {
  let broken: Sandbox;

  beforeAll(async () => {
    // The failures below are expected; they are reported through onError, not printed.
    broken = await startTestSandbox({ lag: 0, onError: () => {} });
  });

  afterAll(async () => {
    await broken?.stop();
  });

  it('replication: changes whose write failed are written on the retry, not skipped', async () => {
    const seoul = new DynamoDBClient(clientConfig(broken, 'ap-northeast-2'));
    // Straight to the engine, as the sandbox's own database of tokyo (the edge would refuse nothing here).
    const tokyoEngine = new DynamoDBClient({
      region: 'ap-northeast-1',
      endpoint: broken.state.dynamodb.endpoint,
      credentials: { accessKeyId: broken.instanceId, secretAccessKey: 'x' },
    });
    broken.replication.pause('tokyo');
    const items = ['retry-1', 'retry-2', 'retry-3'];
    for (const sk of items) {
      await seoul.send(
        new PutItemCommand({ TableName: broken.tableName, Item: { ...key(sk), v: { S: 'r' } } }),
      );
    }
    await broken.replication.settle();
    // Tokyo's table disappears: every write replication makes there fails until it is back.
    await tokyoEngine.send(new DeleteTableCommand({ TableName: broken.tableName }));
    broken.replication.resume('tokyo');
    await new Promise((r) => setTimeout(r, 500));
    await ensureChatTable(tokyoEngine, broken.tableName);
    const deadline = Date.now() + 5000;
    const present = async () => {
      const reads = await Promise.all(
        items.map((sk) =>
          tokyoEngine.send(
            new GetItemCommand({ TableName: broken.tableName, Key: key(sk), ConsistentRead: true }),
          ),
        ),
      );
      return reads.every((r) => r.Item?.v?.S === 'r');
    };
    let arrived = await present();
    while (!arrived && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      arrived = await present();
    }
    expect(arrived, 'every change reached tokyo once its table was back').toBe(true);
    seoul.destroy();
    tokyoEngine.destroy();
  });
});
