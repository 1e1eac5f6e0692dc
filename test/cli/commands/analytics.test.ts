// Runs the built CLI (`npm test` builds first) over a local bucket holding a known day of rows, written as the
// sandbox's pipeline writes them (test/cli/ops/analytics/pipeline.test.ts shows the pipeline writes so).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology, serializeTopology } from '../../../core/topology.js';
import { runCli } from '../../support/cli.js';

let cwd: string;
const msg = (room: string, id: string, user: string, region: string) => ({
  pk: `ROOM#${room}`,
  sk: `MSG#${id}`,
  type: 'message',
  roomId: room,
  messageId: id,
  userId: user,
  region,
  text: 'hi',
  sentAt: 1,
  clientMsgId: id,
});
const member = (room: string, user: string) => ({
  pk: `ROOM#${room}`,
  sk: `MEMBER#${user}`,
  type: 'member',
  roomId: room,
  userId: user,
  joinedAt: 1,
});

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-analytics-cli-'));
  await writeFile(join(cwd, 'chatctl.json'), serializeTopology(defaultTopology()));
  const hour = join(cwd, '.chatctl/analytics/events/year=2026/month=12/day=06/hour=10');
  await mkdir(hour, { recursive: true });
  const rows = [
    msg('lobby', 'm1', 'ana', 'seoul'),
    msg('lobby', 'm2', 'ana', 'seoul'),
    msg('lobby', 'm3', 'ben', 'tokyo'),
    msg('solo', 'm4', 'ana', 'seoul'),
    member('lobby', 'ana'),
    member('lobby', 'ben'),
    member('lobby', 'cho'),
    member('solo', 'ana'),
  ];
  const body = gzipSync(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await writeFile(join(hour, 'chat-chat-analytics-1-2026-12-06-10-00-00-x.gz'), body);
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('chatctl analytics', () => {
  it('analytics query: SQL over the local bucket with DuckDB, as a table or JSON; bad SQL says why', async () => {
    const sql = "SELECT count(*) AS n FROM events WHERE roomid = 'lobby' AND type = 'message'";
    const json = await runCli(['analytics', 'query', sql, '--json'], { cwd });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ engine: 'duckdb', rows: [[3]] });
    const text = await runCli(['analytics', 'query', '--named', 'cross-region-share'], { cwd });
    expect(text.stdout).toMatch(/CROSS_REGION_SHARE/);
    expect(text.stdout).toMatch(/0\.7500/);
    const bad = await runCli(['analytics', 'query', 'SELECT nope FROM events'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/the query failed/);
  }, 120_000);

  it('analytics daily, then capacity --from-analytics plans with the measured share and room size', async () => {
    const daily = await runCli(['analytics', 'daily', '--day', '2026-12-06', '--json'], { cwd });
    expect(daily.code).toBe(0);
    const folder = join(cwd, '.chatctl/analytics/daily/day=2026-12-06');
    const share = JSON.parse(await readFile(join(folder, 'cross-region-share.json'), 'utf8'));
    expect(share.rows[0]).toMatchObject({ rooms: 2, cross_region_rooms: 1, cross_region_share: 0.75 });
    const plan = await runCli(['capacity', '--peak-msgs', '1000', '--from-analytics', 'latest', '--json'], {
      cwd,
    });
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/cross-region share 0\.7500, 2\.0 members per room/);
    expect(JSON.parse(plan.stdout).plan.input).toMatchObject({ crossRegionShare: 0.75, avgRoom: 2 });
    const none = await runCli(['analytics', 'daily', '--day', '2026-12-01'], { cwd });
    expect(none.code).toBe(0);
    const empty = await runCli(
      [
        'capacity',
        '--peak-msgs',
        '1000',
        '--from-analytics',
        join(cwd, '.chatctl/analytics/daily/day=2026-12-01'),
      ],
      { cwd },
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no messages/);
  }, 180_000);
});
