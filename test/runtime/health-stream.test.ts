import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenRecords } from '../../runtime/analytics/stream.js';
import { createChatApp } from '../../runtime/app.js';
import { setLoadLevel } from '../../runtime/store/load-level.js';
import {
  type ConnectionsServer,
  CREDENTIALS,
  dynamoClient,
  freshTable,
  healthEvent,
  type Region,
  region,
  startConnectionsServer,
  streamEvent,
} from './support.js';

let connections: ConnectionsServer;
let table: string;
let seoul: Region;
const { client, calls } = dynamoClient();

/**
 * Stands for Kinesis Data Firehose (JSON 1.1; the sandbox has no Firehose): records PutRecordBatch calls,
 * failing the first N records once (or on every call with `always`).
 */
async function startFirehose(failFirst: number, options: { always?: boolean } = {}) {
  const batches: string[][] = [];
  let toFail = failFirst;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (target !== 'Firehose_20150804.PutRecordBatch') {
        res.writeHead(400).end();
        return;
      }
      const records = (body.Records as { Data: string }[]).map((r) =>
        Buffer.from(r.Data, 'base64').toString('utf8'),
      );
      batches.push(records);
      const responses = records.map((_, i) =>
        i < toFail
          ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }
          : { RecordId: `r${i}` },
      );
      const failed = Math.min(toFail, records.length);
      if (!options.always) toFail = 0;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedPutCount: failed, Encrypted: false, RequestResponses: responses }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

beforeAll(async () => {
  connections = await startConnectionsServer();
  table = await freshTable(client, 'health');
  seoul = region('seoul', { client, table, connections });
});
afterAll(async () => {
  await connections.close();
});

describe('runtime health', () => {
  it('health: a read and a conditional write on the local replica, and the load level -> 200 with details', async () => {
    await setLoadLevel(client, table, 'seoul', 1);
    const before = calls.length;
    const result = await seoul.app.health(healthEvent());
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body as string);
    expect(body).toMatchObject({
      region: 'seoul',
      healthy: true,
      loadLevel: 1,
      checks: { read: { ok: true }, write: { ok: true } },
      relayTargets: ['na', 'tokyo'],
    });
    expect(calls.slice(before).sort()).toEqual(['GetItemCommand', 'PutItemCommand']);
    // A second probe within 10 s is a conditional write that fails its condition: still a working write path,
    // and nothing new reaches the stream or the replication.
    expect((await seoul.app.health(healthEvent())).statusCode).toBe(200);
    expect(await seoul.store.probeWrite('seoul')).toBe(false);
    expect(await seoul.store.probeWrite('seoul', 0)).toBe(true);
  });

  it('health: 503 when the local replica cannot be read or written', async () => {
    const broken = createChatApp({ ...seoul.config, tableName: 'no-such-table' }, { dynamodb: client });
    const result = await broken.health(healthEvent());
    expect(result.statusCode).toBe(503);
    const body = JSON.parse(result.body as string);
    expect(body.healthy).toBe(false);
    expect(body.checks.read.ok).toBe(false);
    expect(body.checks.read.error).toMatch(/ResourceNotFound|non-existent/);
  });
});

describe('runtime stream', () => {
  it('stream: the design example record flattens to exactly {"pk","sk","attr1"} (envelope dropped)', () => {
    expect(flattenRecords(streamEvent().Records)).toEqual([
      { pk: 'my_partition_key', sk: 'my_sort_key', attr1: 'new_attr1' },
    ]);
    expect(JSON.stringify(flattenRecords(streamEvent().Records)[0])).toBe(
      '{"pk":"my_partition_key","sk":"my_sort_key","attr1":"new_attr1"}',
    );
  });

  it('stream: typed values become plain JSON; records without a NewImage are skipped', () => {
    const event = streamEvent();
    const record = event.Records[0];
    record.dynamodb!.NewImage = {
      n: { N: '42' },
      b: { BOOL: true },
      l: { L: [{ S: 'a' }, { N: '1' }] },
      m: { M: { x: { NULL: true } } },
      ss: { SS: ['u1', 'u2'] },
    };
    const removed = structuredClone(record);
    removed.eventName = 'REMOVE';
    delete removed.dynamodb!.NewImage;
    expect(flattenRecords([record, removed])).toEqual([
      {
        pk: 'my_partition_key',
        sk: 'my_sort_key',
        n: 42,
        b: true,
        l: ['a', 1],
        m: { x: null },
        ss: ['u1', 'u2'],
      },
    ]);
  });

  it('stream: bookkeeping items (health probes, relay markers, idempotency records) are not analytics', () => {
    const event = streamEvent();
    const base = event.Records[0];
    const withKeys = (pk: string, sk: string) => {
      const record = structuredClone(base);
      record.dynamodb!.Keys = { pk: { S: pk }, sk: { S: sk } };
      return record;
    };
    const rows = flattenRecords([
      withKeys('HEALTH', 'PROBE#seoul'),
      withKeys('ROOM#r', 'RELAY#tokyo#m-1'),
      withKeys('ROOM#r', 'CMID#amy#c1'),
      withKeys('ROOM#r', 'MSG#01J0000000000000000000000'),
    ]);
    expect(rows.map((r) => r.sk)).toEqual(['MSG#01J0000000000000000000000']);
  });

  it('stream: rows go to Firehose with PutRecordBatch, and failed records are retried', async () => {
    const firehose = await startFirehose(1);
    try {
      const app = createChatApp(
        { ...seoul.config, firehoseStream: 'chatctl-chat-analytics' },
        {
          dynamodb: client,
          firehose: new FirehoseClient({
            region: 'ap-northeast-2',
            endpoint: firehose.endpoint,
            credentials: CREDENTIALS,
          }),
        },
      );
      const event = streamEvent();
      const second = structuredClone(event.Records[0]);
      second.dynamodb!.Keys = { pk: { S: 'ROOM#r' }, sk: { S: 'MSG#2' } };
      event.Records.push(second);
      const result = await app.stream(event);
      expect(result).toEqual({ rows: 2, sent: 2, batchItemFailures: [] });
      expect(firehose.batches).toHaveLength(2);
      expect(firehose.batches[0]).toEqual([
        '{"pk":"my_partition_key","sk":"my_sort_key","attr1":"new_attr1"}\n',
        // A room's item carries its room (taken from its partition key when it has no roomId).
        '{"pk":"ROOM#r","sk":"MSG#2","attr1":"new_attr1","roomId":"r"}\n',
      ]);
      // Only the failed record was sent again.
      expect(firehose.batches[1]).toEqual([
        '{"pk":"my_partition_key","sk":"my_sort_key","attr1":"new_attr1"}\n',
      ]);
    } finally {
      await firehose.close();
    }
  });

  it('stream: records Firehose keeps rejecting are reported as batch item failures, from the first undelivered one', async () => {
    const firehose = await startFirehose(1_000_000, { always: true });
    try {
      const app = createChatApp(
        { ...seoul.config, firehoseStream: 'chatctl-chat-analytics' },
        {
          dynamodb: client,
          firehose: new FirehoseClient({
            region: 'ap-northeast-2',
            endpoint: firehose.endpoint,
            credentials: CREDENTIALS,
          }),
        },
      );
      const event = streamEvent();
      const first = event.Records[0];
      first.dynamodb!.SequenceNumber = '111';
      const second = structuredClone(first);
      second.dynamodb!.Keys = { pk: { S: 'ROOM#r' }, sk: { S: 'MSG#2' } };
      second.dynamodb!.SequenceNumber = '222';
      event.Records.push(second);
      const result = await app.stream(event);
      // Both rows travel in one PutRecordBatch: the batch's first record is where Lambda must resume.
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: '111' }]);
      expect(result.sent).toBe(0);
    } finally {
      await firehose.close();
    }
  });
});
