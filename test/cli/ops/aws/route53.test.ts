import type { HealthCheck, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import {
  checkersHealthy,
  checkHealthy,
  healthCheckState,
  healthChecksByRegion,
  reportsVerdict,
} from '../../../../cli/ops/aws/route53.js';
import { routingStateOf } from '../../../../cli/ops/routing/observe.js';
import { checkDrainSafety } from '../../../../cli/ops/routing/safety.js';
import type { Target } from '../../../../cli/ops/target.js';
import { defaultTopology } from '../../../../core/topology.js';

const target = { topology: defaultTopology() } as Target;

function check(id: string, callerReference: string): HealthCheck {
  return {
    Id: id,
    CallerReference: callerReference,
    HealthCheckConfig: { Type: 'HTTPS' },
    HealthCheckVersion: 1,
  };
}

describe('route53 adapter', () => {
  it('healthChecksByRegion: finds checks by caller reference, as the sandbox names them', () => {
    const found = healthChecksByRegion(target, [
      check('a', 'chat-seoul-health'),
      check('b', 'chat-tokyo-health'),
    ]);
    expect(found.get('seoul')?.Id).toBe('a');
    expect(found.get('tokyo')?.Id).toBe('b');
    expect(found.has('na')).toBe(false);
  });

  it("healthChecksByRegion: falls back to the latency record's HealthCheckId (CloudFormation's random references)", () => {
    const checks = [
      check('hc-1', 'chat-region-seoul-HealthCheck-1A2B'),
      check('hc-2', 'random-2'),
      check('hc-3', 'x'),
    ];
    const records: ResourceRecordSet[] = [
      {
        Name: 'chat.example.com.',
        Type: 'A',
        SetIdentifier: 'seoul',
        Region: 'ap-northeast-2',
        HealthCheckId: 'hc-1',
      },
      {
        Name: 'chat.example.com.',
        Type: 'A',
        SetIdentifier: 'na',
        Region: 'us-west-2',
        HealthCheckId: 'hc-3',
      },
    ];
    const found = healthChecksByRegion(target, checks, records);
    expect(found.get('seoul')?.Id).toBe('hc-1');
    expect(found.get('na')?.Id).toBe('hc-3');
    expect(found.has('tokyo')).toBe(false);
  });

  it("healthChecksByRegion: a check under the canary's CALCULATED check gives way to the parent, which drain inverts", () => {
    const http = check('hc-http', 'chat-seoul-health');
    const canary: HealthCheck = {
      ...check('hc-canary', 'r-1'),
      HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' },
    };
    const parent: HealthCheck = {
      ...check('hc-parent', 'r-2'),
      HealthCheckConfig: {
        Type: 'CALCULATED',
        ChildHealthChecks: ['hc-http', 'hc-canary'],
        HealthThreshold: 2,
      },
    };
    // By caller reference (the child carries it) and by the record (which names the parent): the parent both ways.
    expect(healthChecksByRegion(target, [http, canary, parent]).get('seoul')?.Id).toBe('hc-parent');
    const records: ResourceRecordSet[] = [
      { Name: 'chat.example.com.', Type: 'A', SetIdentifier: 'seoul', HealthCheckId: 'hc-parent' },
    ];
    const byRecord = healthChecksByRegion(
      target,
      [{ ...http, CallerReference: 'cfn-random' }, canary, parent],
      records,
    );
    expect(byRecord.get('seoul')?.Id).toBe('hc-parent');
  });

  // GetHealthCheckStatus refuses a CALCULATED check on AWS, and the sandbox has none yet: the client below
  // stands in for Route 53's answers about the two children (a mock, for a call the sandbox cannot serve).
  it('checkHealthy: a CALCULATED check is healthy only when HealthThreshold of its children are', async () => {
    const status = new Map([
      ['hc-http', 'Success: HTTP Status Code 200'],
      ['hc-canary', 'Failure: alarm chat-seoul-canary is in ALARM'],
    ]);
    const asked: string[] = [];
    const client = {
      send: async (command: { input: { HealthCheckId: string } }) => {
        asked.push(command.input.HealthCheckId);
        const report = status.get(command.input.HealthCheckId);
        return { HealthCheckObservations: [1, 2, 3].map(() => ({ StatusReport: { Status: report } })) };
      },
    } as unknown as Route53Client;
    const http = check('hc-http', 'chat-seoul-health');
    const canary: HealthCheck = {
      ...check('hc-canary', 'r-1'),
      HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' },
    };
    const parent: HealthCheck = {
      ...check('hc-parent', 'r-2'),
      HealthCheckConfig: {
        Type: 'CALCULATED',
        ChildHealthChecks: ['hc-http', 'hc-canary'],
        HealthThreshold: 2,
      },
    };
    const all = [http, canary, parent];
    expect(await checkHealthy(client, parent, all)).toBe(false);
    expect(asked.sort()).toEqual(['hc-canary', 'hc-http']);
    status.set('hc-canary', 'Success: alarm OK');
    expect(await checkHealthy(client, parent, all)).toBe(true);
    const threshold1 = { ...parent, HealthCheckConfig: { ...parent.HealthCheckConfig!, HealthThreshold: 1 } };
    status.set('hc-canary', 'Failure: ALARM');
    expect(await checkHealthy(client, threshold1, [http, canary, threshold1])).toBe(true);
  });

  it('healthCheckState: inverted or disabled is drained; otherwise healthy above 18% of checkers', () => {
    const success = 'Success: HTTP Status Code 200, OK';
    const failure = 'Failure: HTTP Status Code 503, Service Unavailable';
    expect(
      healthCheckState({ inverted: false, disabled: false, verdict: reportsVerdict([success, success]) }),
    ).toMatchObject({
      drained: false,
      healthy: true,
    });
    expect(
      healthCheckState({ inverted: false, disabled: false, verdict: reportsVerdict([failure, failure]) }),
    ).toMatchObject({
      drained: false,
      healthy: false,
    });
    expect(healthCheckState({ inverted: false, disabled: false, verdict: reportsVerdict([]) }).healthy).toBe(
      false,
    );
    expect(
      healthCheckState({ inverted: true, disabled: false, verdict: reportsVerdict([success]) }),
    ).toMatchObject({
      drained: true,
      healthy: false,
    });
    expect(
      healthCheckState({ inverted: false, disabled: true, verdict: reportsVerdict([failure]) }),
    ).toMatchObject({
      drained: true,
      healthy: true,
    });
  });
});

describe('route53: the one health rule (Route 53 counts a check healthy when more than 18% of checkers succeed)', () => {
  const success = 'Success: HTTP Status Code 200, OK';
  const failure = 'Failure: Connection timed out.';
  const reports = (ok: number, total: number) => [
    ...Array.from({ length: ok }, () => success),
    ...Array.from({ length: total - ok }, () => failure),
  ];

  it('checkersHealthy: above 18% of checkers is healthy, 18% or less is not', () => {
    expect(checkersHealthy(reports(1, 3))).toBe(true); // 33%: a minority, and still healthy
    expect(checkersHealthy(reports(2, 8))).toBe(true); // 25%
    expect(checkersHealthy(reports(3, 16))).toBe(true); // 18.75%
    expect(checkersHealthy(reports(9, 50))).toBe(false); // exactly 18%
    expect(checkersHealthy(reports(1, 6))).toBe(false); // 16.7%
    expect(checkersHealthy(reports(0, 3))).toBe(false);
    expect(checkersHealthy([])).toBe(false);
  });

  it('drain safety and health judge one region alike: a third of checkers succeeding is healthy for both', () => {
    const topology = defaultTopology();
    const observations = reports(1, 3);
    const checkOf = (key: string): HealthCheck => ({ ...check(`hc-${key}`, `ref-${key}`) });
    const regions = topology.regions.map((r) =>
      routingStateOf(
        r.key,
        checkOf(r.key),
        checkersHealthy(r.key === 'tokyo' ? observations : reports(3, 3)),
      ),
    );
    const health = healthCheckState({
      inverted: false,
      disabled: false,
      verdict: reportsVerdict(observations),
    });
    expect(health.healthy).toBe(true);
    expect(regions.find((r) => r.key === 'tokyo')?.healthy).toBe(health.healthy);
    // So draining another region counts tokyo as serving: the rule and `chatctl health` agree.
    const verdict = checkDrainSafety({ topology, key: 'seoul', regions });
    expect(verdict.serving).toContain('tokyo');
    expect(verdict.remaining).toEqual(['tokyo', 'na']);
  });
});
