// Routing health as the stacks deploy it (core/routing-health.ts), in the sandbox through unmodified SDK clients
// and its DNS server: a flood of a region's public endpoints (its health API past the stage throttle, answered
// 429 as API Gateway does) leaves the region in DNS; a region whose probes all stop reporting leaves DNS within
// the stated time; and the health check shows which region judged which.
import { get as httpGet } from 'node:http';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDns } from '../../cli/ops/chat/dns-query.js';
import { runHealth } from '../../cli/ops/checks/health.js';
import { sandboxTarget, type Target } from '../../cli/ops/target.js';
import { names } from '../../core/names.js';
import { defaultTopology } from '../../core/topology.js';
import type { Sandbox } from '../../sandbox/index.js';
import { CANARY } from '../../sandbox/services/canary/definition.js';
import { SANDBOX_ALARM_PERIOD_SECONDS } from '../../sandbox/services/cloudwatch/seed.js';
import { eventually, latencyAnswerFor } from './services/support.js';
import { clientConfig, startTestSandbox } from './support.js';

// A health API throttle this machine's flood can exhaust for sure (the stacks would set the same values).
const topology = { ...defaultTopology(), throttle: { health: { rateLimit: 2, burstLimit: 10 } } };
const HEALTH_THROTTLE = topology.throttle.health;
let sandbox: Sandbox;
let target: Target;
let r53: Route53Client;

beforeAll(async () => {
  sandbox = await startTestSandbox(
    {
      globalServices: true,
      healthCheckIntervalMs: 200,
      failureThreshold: 1,
      canary: { intervalMs: 2000 },
      metricsIntervalMs: 200,
      surge: false,
    },
    topology,
  );
  target = sandboxTarget(sandbox.topology, sandbox.state);
  r53 = new Route53Client(clientConfig(sandbox, 'us-east-1'));
});

afterAll(async () => {
  r53?.destroy();
  await sandbox?.stop();
});

const answerFor = (fromKey: string) => latencyAnswerFor(r53, topology, fromKey);
/** What the sandbox's DNS server answers a resolver in that region's subnet, as a region key. */
async function dnsServerAnswer(fromKey: string): Promise<string | undefined> {
  const dns = sandbox.state.dns!;
  const response = await queryDns({
    server: { host: dns.host, port: dns.port },
    name: names.chatRecord(topology),
    clientSubnet: topology.regions.find((r) => r.key === fromKey)?.probeSubnet,
  });
  const address = response.answers.find((a) => a.type === 'A')?.data;
  return Object.entries(dns.addresses).find(([, a]) => a === address)?.[0];
}

/** A wave of GETs at once, each on a connection of its own; the statuses of the answers (0: none). */
function wave(url: string, count: number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve) => {
          const request = httpGet(url, { agent: false }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          });
          request.on('error', () => resolve(0));
        }),
    ),
  );
}

describe('sandbox routing health', { timeout: 120_000 }, () => {
  it('flood: the health API answers 429 past its stage throttle, and the flooded region stays in DNS (TestDNSAnswer and the DNS server)', async () => {
    await eventually(async () => (await answerFor('tokyo')) === 'tokyo', 30_000, 200);
    const health = target.region('tokyo').healthUrl;
    const statuses = new Map<number, number>();
    // Many times the burst at once, twice: far past the stage's rate.
    const stillServed: string[] = [];
    for (let i = 0; i < 2; i++) {
      const statusesOfWave = await wave(health, 40);
      for (const status of statusesOfWave) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      stillServed.push(`${await answerFor('tokyo')}/${await dnsServerAnswer('tokyo')}`);
    }
    expect(statuses.get(429) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(HEALTH_THROTTLE.burstLimit);
    // Route 53's own /health check saw the 429s; routing never depended on it.
    expect(stillServed.length).toBeGreaterThan(1);
    for (const answer of stillServed) expect(answer).toBe('tokyo/tokyo');
    expect(await answerFor('tokyo')).toBe('tokyo');
  });

  it('fail closed: when every probe of a region stops reporting, its record leaves DNS within the stated time, and comes back when they report again', async () => {
    await eventually(async () => (await answerFor('na')) === 'na', 30_000, 200);
    // Two missing periods make the judges' alarms ALARM; Route 53 reads them on its next look.
    const statedMs = (2 * SANDBOX_ALARM_PERIOD_SECONDS + 5) * 1000;
    const stopped = Date.now();
    sandbox.service(CANARY)!.silence('na');
    try {
      await eventually(async () => (await answerFor('na')) !== 'na', statedMs + 10_000, 250);
      const left = Date.now() - stopped;
      expect(left).toBeLessThanOrEqual(statedMs + 10_000);
      expect(await dnsServerAnswer('na')).not.toBe('na');
      const cw = new CloudWatchClient(clientConfig(sandbox, 'us-west-2'));
      try {
        const alarms = await cw.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: `${names.alarmPrefix(topology, 'na')}canary` }),
        );
        const judgements = (alarms.MetricAlarms ?? []).filter((a) => !a.AlarmName?.endsWith('latency'));
        expect(judgements.map((a) => a.AlarmName).sort()).toEqual([
          'chat-na-canary',
          'chat-na-canary-from-seoul',
          'chat-na-canary-from-tokyo',
        ]);
        // The record leaves once fewer than two judges are healthy; the third may see the silence a period later.
        const inAlarm = judgements.filter((a) => a.StateValue === 'ALARM').length;
        expect(
          inAlarm,
          JSON.stringify(judgements.map((a) => [a.AlarmName, a.StateValue])),
        ).toBeGreaterThanOrEqual(2);
        await eventually(
          async () => {
            const again = await cw.send(
              new DescribeAlarmsCommand({ AlarmNames: judgements.map((a) => a.AlarmName ?? '') }),
            );
            return (again.MetricAlarms ?? []).every((a) => a.StateValue === 'ALARM');
          },
          statedMs + 10_000,
          250,
        );
      } finally {
        cw.destroy();
      }
    } finally {
      sandbox.service(CANARY)!.resume('na');
    }
    await eventually(async () => (await answerFor('na')) === 'na', 60_000, 250);
  });

  it('judges: health shows each region judged by itself and the next two regions', async () => {
    await eventually(async () => (await answerFor('seoul')) === 'seoul', 30_000, 200);
    const report = await runHealth(target, { region: 'seoul', replication: false, timeoutMs: 8000 });
    const route53 = report.regions[0].checks.find((c) => c.name === 'route53');
    expect(route53?.detail).toMatch(
      /judged by seoul (ok|fails), tokyo (ok|fails), na (ok|fails): [0-3]\/3 child checks healthy \(at least 2 needed\)/,
    );
  });
});
