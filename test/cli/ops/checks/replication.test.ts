import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkReplication } from '../../../../cli/ops/checks/replication.js';
import { writeReplicationReport } from '../../../../cli/ops/checks/replication-report.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { ATTR, keys } from '../../../../core/datamodel.js';
import { names } from '../../../../core/names.js';
import { defaultTopology, type Topology } from '../../../../core/topology.js';
import { type Sandbox, start } from '../../../../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../../../sandbox/state.js';

/**
 * Stated tolerance of the lag measurement: never below the configured lag (minus clock granularity), and at
 * most this much above it (stream polling, the canary poll interval, and a loaded two-core machine).
 */
const TOLERANCE_MS = 1500;

const topology: Topology = { ...defaultTopology(), replication: { lagThresholdMs: 60_000 } };
let sandbox: Sandbox;
let target: Target;
const clients: DynamoDBClient[] = [];

function dynamo(key: string): DynamoDBClient {
  const client = new DynamoDBClient({
    region: topology.regions.find((r) => r.key === key)!.awsRegion,
    endpoint: sandbox.edge,
    credentials: { ...SANDBOX_CREDENTIALS },
  });
  clients.push(client);
  return client;
}

async function putMessage(region: string, roomId: string, id: string, text: string): Promise<void> {
  await dynamo(region).send(
    new PutItemCommand({
      TableName: names.table(topology),
      Item: {
        [ATTR.pk]: { S: keys.roomPk(roomId) },
        [ATTR.sk]: { S: keys.messageSk(id) },
        text: { S: text },
      },
    }),
  );
}

beforeAll(async () => {
  sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `repl${randomBytes(5).toString('hex')}`,
    // The realistic default: network lag plus the Global Tables pipeline delay (sandbox/latency.ts).
    globalServices: false,
    verifySignatures: true,
    pollIntervalMs: 10,
  });
  target = sandboxTarget(topology, sandbox.state);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await sandbox?.stop();
});

describe('replication check against the sandbox', () => {
  it('replication check: measures the modelled Global Tables lag for every pair and reports against it', async () => {
    const result = await checkReplication(target, { samples: 3, timeoutMs: 10_000 });
    expect(result.pairs).toHaveLength(6);
    for (const pair of result.pairs) {
      const model = sandbox.replication.lagMs(pair.from, pair.to);
      expect(model).toBeGreaterThanOrEqual(500);
      expect(pair, `${pair.from}->${pair.to}`).toMatchObject({
        seen: 3,
        timeouts: 0,
        status: 'ok',
        modelMs: model,
      });
      expect(pair.detail).toContain(`models ${model} ms`);
      expect(pair.p50Ms!).toBeGreaterThanOrEqual(model - 5);
      expect(pair.p50Ms!).toBeLessThan(model + TOLERANCE_MS);
    }
    expect(result.regions.map((r) => r.replica.status)).toEqual(['ok', 'ok', 'ok']);
    expect(result.verdict).toBe('healthy');
    expect(result.problems).toEqual([]);
  });

  it('replication check: replication-pause flags the paused pairs and the verdict is degraded', async () => {
    sandbox.faults.inject('na', 'replication-pause');
    try {
      const result = await checkReplication(target, { samples: 1, timeoutMs: 3000 });
      const failing = result.pairs.filter((p) => p.status === 'fail').map((p) => `${p.from}->${p.to}`);
      expect(failing.sort()).toEqual(['na->seoul', 'na->tokyo', 'seoul->na', 'tokyo->na']);
      expect(result.regions.find((r) => r.key === 'na')?.suspect).toBe(true);
      expect(result.regions.find((r) => r.key === 'seoul')?.suspect).toBe(false);
      expect(result.verdict).toBe('degraded');
      expect(result.problems.some((p) => p.scope === 'na' && /paused/.test(p.action))).toBe(true);
      // --report's heat map: na marked, its pairs drawn at the timeout, the others' at their lag (green).
      const file = join(await mkdtemp(join(tmpdir(), 'chatctl-replication-')), 'lag.svg');
      expect(await writeReplicationReport(file, result)).toBe(file);
      const svg = await readFile(file, 'utf8');
      expect(svg).toContain('na (paused)');
      expect(svg).toMatch(/<g data-pair="seoul&#62;na" data-ms="3000">/);
      expect(svg.match(/>timeout</g)).toHaveLength(4);
      expect(svg).toMatch(/<g data-pair="seoul&#62;tokyo" data-ms="\d+"><rect[^>]*fill="hsl\(1[012]\d, /);
    } finally {
      sandbox.faults.heal('na');
      await sandbox.replication.settle(30_000);
    }
  });

  it('replication check --verify: finds a diverged room while paused, and none after heal', async () => {
    const roomId = `verify-${randomBytes(4).toString('hex')}`;
    await putMessage('seoul', roomId, '0001', 'hello');
    await sandbox.replication.settle(30_000);
    sandbox.faults.inject('tokyo', 'replication-pause');
    try {
      await putMessage('seoul', roomId, '0001', 'hello, edited');
      await putMessage('seoul', roomId, '0002', 'only where replication runs');
      await sandbox.replication.settle(30_000);
      const diverged = await checkReplication(target, { samples: 1, timeoutMs: 2000, verifyRoom: roomId });
      expect(diverged.verify?.consistent).toBe(false);
      expect(diverged.verify?.differing).toEqual([
        { sk: keys.messageSk('0001'), missingIn: [], differsIn: ['tokyo'] },
        { sk: keys.messageSk('0002'), missingIn: ['tokyo'], differsIn: [] },
      ]);
      const counts = Object.fromEntries(diverged.verify!.replicas.map((r) => [r.region, r.count]));
      expect(counts).toEqual({ seoul: 2, tokyo: 1, na: 2 });
      expect(diverged.verdict).toBe('degraded');
    } finally {
      sandbox.faults.heal('tokyo');
    }
    await sandbox.replication.settle(30_000);
    const healed = await checkReplication(target, { samples: 1, timeoutMs: 10_000, verifyRoom: roomId });
    expect(healed.verify?.differing).toEqual([]);
    expect(healed.verify?.consistent).toBe(true);
    const hashes = new Set(healed.verify!.replicas.map((r) => r.hash));
    expect(hashes.size).toBe(1);
    expect(healed.verdict).toBe('healthy');
  });
});
