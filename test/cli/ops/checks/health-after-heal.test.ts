// What `chatctl health` says while a region comes back after `sandbox heal`, on a sandbox with `sandbox up`'s
// settings (the canary's judges in every region, the topology's 1 s health checks): it never blames /health
// while /health answers, it says when the region returns to DNS, no line says it is out of DNS while Route 53
// has it in, and the region is back in DNS (and health healthy) within 30 s of the heal.
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runHealth } from '../../../../cli/ops/checks/health.js';
import type { HealthResult } from '../../../../cli/ops/checks/verdict.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { defaultTopology } from '../../../../core/topology.js';
import { type Sandbox, start } from '../../../../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../../../sandbox/state.js';
import { latencyAnswerFor } from '../../../sandbox/services/support.js';
import { eventually } from '../../../support/eventually.js';

const topology = defaultTopology();
let sandbox: Sandbox;
let target: Target;
let r53: Route53Client;

beforeAll(async () => {
  sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `heal${Date.now().toString(36)}`,
    canary: true,
    onError: () => {},
  });
  target = sandboxTarget(sandbox.topology, sandbox.state);
  r53 = new Route53Client({
    region: 'us-east-1',
    endpoint: sandbox.edge,
    credentials: { ...SANDBOX_CREDENTIALS },
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  r53?.destroy();
  await sandbox?.stop();
});

const seoulAnswered = async () => (await latencyAnswerFor(r53, topology, 'seoul')) === 'seoul';

/** What one health run says about seoul that would mislead: each a sentence naming the contradiction. */
function misleading(result: HealthResult): string[] {
  const seoul = result.regions.find((r) => r.key === 'seoul');
  const check = (name: string) => seoul?.checks.find((c) => c.name === name);
  const inDns = check('route53')?.status === 'ok';
  const healthOk = check('health')?.status === 'ok';
  const said = result.problems.filter((p) => p.scope === 'seoul');
  const out: string[] = [];
  for (const p of said) {
    const text = `${p.check}: ${p.message} -> ${p.action}`;
    if (healthOk && /fix its \/health|its \/health fails/.test(text))
      out.push(`blames /health while it is ok: ${text}`);
    if (inDns && /(taken|took) it out of DNS|routes users away/.test(text))
      out.push(`says out of DNS while in: ${text}`);
    if (
      p.check === 'route53' &&
      p.status === 'fail' &&
      !/returns to DNS/.test(p.action) &&
      !/drained/.test(p.message)
    )
      out.push(`route53 fails without saying when seoul returns to DNS: ${text}`);
  }
  return out;
}

describe('health after a heal', { timeout: 240_000 }, () => {
  it('health after a heal: seoul is back in DNS and health healthy within 30 s, saying when it returns and never blaming an ok /health', async () => {
    // Bounds up to here are safety timeouts for a loaded machine: the judges need a period of data first.
    await eventually(seoulAnswered, 90_000, 200);
    sandbox.faults.inject('seoul', 'gateway-down');
    await eventually(async () => !(await seoulAnswered()), 90_000, 200);

    sandbox.faults.heal('seoul');
    const healedAt = Date.now();
    // Health runs back to back (each started at a known time) while DNS is watched on its own.
    let backInDnsMs: number | undefined;
    const watchDns = eventually(
      async () => {
        if (!(await seoulAnswered())) return false;
        backInDnsMs = Date.now() - healedAt;
        return true;
      },
      60_000,
      200,
    );
    const runs: { startedMs: number; result: HealthResult }[] = [];
    let healthyStartedMs: number | undefined;
    while (healthyStartedMs === undefined && Date.now() - healedAt < 60_000) {
      const startedMs = Date.now() - healedAt;
      const result = await runHealth(target, { replication: false, timeoutMs: 8000 });
      runs.push({ startedMs, result });
      if (result.verdict === 'healthy') healthyStartedMs = startedMs;
    }
    await watchDns;

    const said = runs.flatMap((run) => misleading(run.result).map((m) => `at ${run.startedMs} ms: ${m}`));
    expect(said).toEqual([]);
    // Right after the heal, Route 53 still routes seoul's users away: health says when they come back.
    const outOfDns = runs.find((run) =>
      run.result.problems.some((p) => p.scope === 'seoul' && p.check === 'route53' && p.status === 'fail'),
    );
    if (outOfDns) {
      const action = outOfDns.result.problems.find(
        (p) => p.scope === 'seoul' && p.check === 'route53',
      )?.action;
      expect(action).toMatch(/returns to DNS as their canary alarms turn OK: .* by about \d\d:\d\d:\d\d UTC/);
    }
    expect(backInDnsMs).toBeLessThanOrEqual(30_000);
    expect(healthyStartedMs).toBeDefined();
    expect(healthyStartedMs).toBeLessThanOrEqual(30_000);
  });
});
