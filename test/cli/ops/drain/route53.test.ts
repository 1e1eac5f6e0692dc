import type { HealthCheck, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { healthChecksByRegion } from '../../../../cli/ops/drain/route53.js';
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
});
