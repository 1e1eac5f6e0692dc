// The failover drill's preflight and the chat canary's alarm, against the sandbox: a region whose canary alarm
// is in ALARM (its $connect broken while /health still answers) makes the drill refuse before it changes
// anything; a sandbox that runs no canary has no canary alarm, and the preflight says so.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFrontClient, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealth } from '../../../../cli/ops/checks/health.js';
import { readJournal } from '../../../../cli/ops/drill/journal.js';
import { runFailoverDrill } from '../../../../cli/ops/drill/run.js';
import type { Target } from '../../../../cli/ops/target.js';
import { names } from '../../../../core/names.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { eventually } from '../../../support/eventually.js';
import { breakableConnect, routingSnapshot, startDrillSandbox, testTopology } from './support.js';

const topology = testTopology();
const canaryAlarm = (key: string) => `${names.alarmPrefix(topology, key)}canary`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatctl-preflight-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The alarm's state as an unmodified CloudWatch client reads it from the sandbox. */
async function alarmState(target: Target, key: string): Promise<string | undefined> {
  const client = new CloudWatchClient(target.clientConfig(target.region(key).spec.awsRegion));
  try {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: [canaryAlarm(key)] }));
    return out.MetricAlarms?.[0]?.StateValue;
  } finally {
    client.destroy();
  }
}

/** What a drill must leave as it was: Route 53's records and checks, and the China proxy's distribution. */
async function everythingRoutingSees(target: Target): Promise<string> {
  const cloudfront = new CloudFrontClient(target.globalClientConfig());
  try {
    const config = await cloudfront.send(
      new GetDistributionConfigCommand({ Id: target.sandbox?.china?.distributionId }),
    );
    return JSON.stringify({ route53: await routingSnapshot(target), etag: config.ETag });
  } finally {
    cloudfront.destroy();
  }
}

describe('drill preflight and the canary alarm', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let target: Target;
  const tokyo = breakableConnect('tokyo');

  beforeAll(async () => {
    ({ sandbox, target } = await startDrillSandbox({
      canary: { intervalMs: 2000 },
      metricsIntervalMs: 200,
      surge: false,
      createApp: tokyo.createApp,
    }));
    // A new canary alarm has no data yet: wait until every region's canary has passed and health says so.
    let last = '';
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await runHealth(target, { timeoutMs: 8000, replication: false });
      const canaries = health.regions.map((r) => r.checks.find((c) => c.name === 'canary'));
      if (canaries.every((c) => c?.status === 'ok')) break;
      last = canaries.map((c, i) => `${health.regions[i].key}: ${c?.status} ${c?.detail}`).join('; ');
      if (Date.now() > deadline) throw new Error(`the canaries did not pass within 60 s (${last})`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('drill preflight: with every canary passing it passes and says the canary alarms were checked', async () => {
    const result = await runFailoverDrill(target, { region: 'na', dryRun: true, dir, healthTimeoutMs: 8000 });
    expect(result.steps[0], JSON.stringify(result.steps[0])).toMatchObject({
      name: 'preflight',
      status: 'passed',
    });
    expect(result.steps[0].detail).toMatch(/canary passing in 3 and no canary alarm in ALARM/);
  });

  it('drill preflight: a canary alarm in ALARM refuses the drill, naming the alarm and what to do, and nothing changes', async () => {
    tokyo.broken = true;
    try {
      await eventually(async () => (await alarmState(target, 'tokyo')) === 'ALARM', 60_000, 200);
      // The chat path is broken, not the database: /health still answers, only the canary sees it.
      expect((await fetch(target.region('tokyo').healthUrl)).status).toBe(200);
      const before = await everythingRoutingSees(target);
      // Not a dry run: had the preflight passed, the drill would drain na.
      const result = await runFailoverDrill(target, { region: 'na', holdMs: 0, dir, healthTimeoutMs: 8000 });
      expect(result.verdict).toBe('failed');
      const [preflight, ...rest] = result.steps;
      expect(preflight).toMatchObject({ name: 'preflight', status: 'failed' });
      expect(preflight.detail).toContain(`the canary alarm is in ALARM: ${canaryAlarm('tokyo')} (tokyo)`);
      expect(preflight.detail).toMatch(/Route 53 already routes around it/);
      expect(preflight.detail).toMatch(/nothing was changed/);
      expect(preflight.detail).toMatch(
        /fix that region first, then run the drill again: chatctl health --region tokyo/,
      );
      expect(rest.filter((s) => s.status !== 'skipped').map((s) => s.name)).toEqual([]);
      expect((await readJournal(dir, result.id))?.changes).toMatchObject({ drained: false, restored: false });
      expect(await everythingRoutingSees(target)).toBe(before);
    } finally {
      tokyo.broken = false;
    }
    await eventually(async () => (await alarmState(target, 'tokyo')) === 'OK', 60_000, 200);
  });
});

describe('drill preflight without a canary', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let target: Target;

  beforeAll(async () => {
    ({ sandbox, target } = await startDrillSandbox());
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('drill preflight: no canary means no canary alarm; it passes and says Route 53 follows /health alone', async () => {
    expect(await alarmState(target, 'tokyo')).toBeUndefined();
    const result = await runFailoverDrill(target, { region: 'na', dryRun: true, dir, healthTimeoutMs: 8000 });
    expect(result.steps[0], JSON.stringify(result.steps[0])).toMatchObject({
      name: 'preflight',
      status: 'passed',
    });
    expect(result.steps[0].detail).toMatch(
      /no canary alarm to check \(this sandbox runs no canary \(chatctl sandbox up runs one\)\): Route 53 follows \/health alone/,
    );
    expect(result.steps[0].detail).not.toMatch(/canary passing/);
  });
});
