import type { HealthCheck, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { checkHealthy, healthChecksByRegion } from '../../../../cli/ops/drain/route53.js';
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

describe('drain route53', () => {
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
});
