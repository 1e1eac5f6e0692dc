// The sandbox's analytics pipeline end to end: a known conversation in two regions, the objects it leaves in
// the local bucket (the seed's layout, GZIP), and the counts DuckDB answers over them.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbQueries } from '../../../../cli/ops/analytics/duckdb.js';
import { rowObjects } from '../../../../cli/ops/analytics/result.js';
import { NAMED_QUERIES, namedQuerySql } from '../../../../core/analytics.js';
import { defaultTopology } from '../../../../core/topology.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { startTestSandbox } from '../../../sandbox/support.js';
import { connect, type TestClient } from '../../../sandbox/ws-client.js';
import { eventually } from '../../../support/eventually.js';

let dir: string;
let sandbox: Sandbox;
const bucket = () => join(dir, 'analytics');

async function join_(client: TestClient, roomId: string) {
  client.send({ action: 'join', roomId });
  await client.next((f) => f.type === 'joined' && f.roomId === roomId, 15_000);
}

async function send(client: TestClient, roomId: string, id: string, extra: object = {}) {
  client.send({ action: 'send', roomId, text: `text ${id}`, clientMsgId: id, ...extra });
  const ack = await client.next((f) => f.type === 'ack' && f.clientMsgId === id, 15_000);
  return ack.messageId as string;
}

async function react(client: TestClient, roomId: string, messageId: string, emoji: string, add = true) {
  client.send({ action: 'react', roomId, messageId, emoji, add });
  await client.next((f) => f.type === 'reaction' && f.messageId === messageId && f.emoji === emoji, 15_000);
}

async function objects(): Promise<string[]> {
  const entries = await readdir(bucket(), { recursive: true }).catch(() => [] as string[]);
  return entries.filter((e) => e.endsWith('.gz')).sort();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatctl-analytics-'));
  const topology = defaultTopology();
  sandbox = await startTestSandbox(
    { filesDir: dir },
    { ...topology, sandbox: { ...topology.sandbox, analyticsBufferSeconds: 0.5 } },
  );
  const alice = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'alice');
  const bob = await connect(sandbox.regions.get('tokyo')!.websocketUrl, 'bob');
  // Room "lobby": alice in seoul and bob in tokyo (a cross-region room); room "solo": alice alone.
  await join_(alice, 'lobby');
  await join_(bob, 'lobby');
  await join_(alice, 'solo');
  await sandbox.replication.settle();
  const m1 = await send(alice, 'lobby', 'a1');
  await send(alice, 'lobby', 'a2');
  await send(alice, 'lobby', 'a3');
  await sandbox.replication.settle();
  const b1 = await send(bob, 'lobby', 'b1', { parentId: m1 });
  await send(bob, 'lobby', 'b2');
  await send(alice, 'solo', 's1');
  await sandbox.replication.settle();
  await react(bob, 'lobby', m1, '❤');
  await react(alice, 'lobby', m1, '👍');
  await react(bob, 'lobby', m1, '❤', false);
  await react(alice, 'lobby', b1, '👍');
  await alice.close();
  await bob.close();
  await sandbox.replication.settle();
  // Everything the home replica's stream showed is in the bucket once the buffer interval has passed.
  await eventually(async () => {
    const [result] = await duckdbQueries(bucket(), [
      "SELECT count(*) AS n FROM events WHERE type = 'reaction' AND emoji = '❤' AND removed",
    ]);
    return result.rows[0][0] === 1;
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox analytics pipeline', () => {
  it("analytics: the pipeline's objects have the seed's layout and are GZIP'd JSON lines", async () => {
    const files = await objects();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file).toMatch(
        /^events\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/chat-chat-analytics-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/,
      );
      const bytes = await readFile(join(bucket(), file));
      expect([...bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      const lines = gunzipSync(bytes).toString('utf8').trim().split('\n');
      for (const line of lines) expect(JSON.parse(line)).toHaveProperty('pk');
    }
    const hour = new Date().toISOString().slice(0, 13).split(/[-T]/);
    expect(files.some((f) => f.startsWith(`events/year=${hour[0]}/month=${hour[1]}/day=${hour[2]}/`))).toBe(
      true,
    );
  });

  it('analytics: a query over the known conversation returns its counts with DuckDB', async () => {
    const [perRegion, lobby] = await duckdbQueries(bucket(), [
      "SELECT region, count(*) AS n FROM events WHERE roomid = 'lobby' AND type = 'message' GROUP BY region ORDER BY region",
      "SELECT count(*) AS n FROM events WHERE roomid = 'lobby' AND type = 'message' AND parentid IS NOT NULL",
    ]);
    expect(rowObjects(perRegion)).toEqual([
      { region: 'seoul', n: 3 },
      { region: 'tokyo', n: 2 },
    ]);
    expect(lobby.rows).toEqual([[1]]);
  });

  it('analytics: the named queries answer the known conversation', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const results = await duckdbQueries(
      bucket(),
      NAMED_QUERIES.map((q) => namedQuerySql(q, day)),
    );
    const by = Object.fromEntries(NAMED_QUERIES.map((q, i) => [q.name, rowObjects(results[i])]));
    expect(by['cross-region-share']).toEqual([
      {
        rooms: 2,
        cross_region_rooms: 1,
        messages: 6,
        cross_region_messages: 5,
        cross_region_share: 5 / 6,
      },
    ]);
    expect(by['active-users-per-region']).toEqual([
      { region: 'seoul', users: 1 },
      { region: 'tokyo', users: 1 },
    ]);
    expect(by['room-sizes']).toEqual([
      { roomid: 'lobby', members: 2 },
      { roomid: 'solo', members: 1 },
    ]);
    expect(by['reactions-per-message'].map((r) => r.reactions)).toEqual([1, 1]);
    const perHour = by['messages-per-room-per-hour'];
    expect(perHour.reduce((sum, r) => sum + Number(r.messages), 0)).toBe(6);
  });
});
