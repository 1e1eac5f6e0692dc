// Athena is a stub here: the sandbox cannot serve Athena (no Trino on this machine), so a loopback HTTP stub
// answers its JSON 1.1 protocol to the unmodified AWS SDK client, and records what it was asked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AthenaClient } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { athenaQuery } from '../../../../cli/ops/aws/athena.js';

let server: Server;
let endpoint: string;
const calls: { op: string; body: Record<string, unknown> }[] = [];
let polls = 0;
let fail = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const op = String(req.headers['x-amz-target']).split('.')[1];
      const body = JSON.parse(raw || '{}');
      calls.push({ op, body });
      const reply = (json: unknown) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(json));
      };
      if (op === 'StartQueryExecution') return reply({ QueryExecutionId: 'q-1' });
      if (op === 'GetQueryExecution') {
        polls++;
        const State = fail ? 'FAILED' : polls < 3 ? 'RUNNING' : 'SUCCEEDED';
        return reply({
          QueryExecution: { Status: { State, StateChangeReason: fail ? 'COLUMN_NOT_FOUND: x' : undefined } },
        });
      }
      const meta = {
        ColumnInfo: [
          { Name: 'roomid', Type: 'varchar' },
          { Name: 'messages', Type: 'bigint' },
        ],
      };
      const row = (a: string, b: string) => ({ Data: [{ VarCharValue: a }, { VarCharValue: b }] });
      if (!body.NextToken) {
        return reply({
          ResultSet: { ResultSetMetadata: meta, Rows: [row('roomid', 'messages'), row('lobby', '5')] },
          NextToken: 'page-2',
        });
      }
      return reply({ ResultSet: { ResultSetMetadata: meta, Rows: [row('solo', '1')] } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  new AthenaClient({
    region: 'ap-northeast-2',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });

describe('athena adapter (against a stub Athena)', () => {
  it('athena: runs the query in the workgroup and database, waits, and reads every page without the header', async () => {
    const result = await athenaQuery(client(), {
      sql: 'SELECT 1',
      database: 'chat_chat_analytics',
      workgroup: 'chat-chat-analytics',
      pollMs: 1,
    });
    expect(calls[0]).toMatchObject({
      op: 'StartQueryExecution',
      body: {
        QueryString: 'SELECT 1',
        WorkGroup: 'chat-chat-analytics',
        QueryExecutionContext: { Database: 'chat_chat_analytics' },
      },
    });
    expect(polls).toBe(3);
    expect(result).toMatchObject({
      engine: 'athena',
      queryId: 'q-1',
      columns: [
        { name: 'roomid', type: 'varchar' },
        { name: 'messages', type: 'bigint' },
      ],
      rows: [
        ['lobby', 5],
        ['solo', 1],
      ],
    });
  });

  it("athena: a failed query is a user error with Athena's reason", async () => {
    fail = true;
    await expect(
      athenaQuery(client(), { sql: 'SELECT x', database: 'd', workgroup: 'w', pollMs: 1 }),
    ).rejects.toThrow(/failed: COLUMN_NOT_FOUND: x/);
  });
});
