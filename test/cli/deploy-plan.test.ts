// The deploy plan is a pure function of the topology: which stacks, in which order (deploy itself needs AWS).
import { describe, expect, it } from 'vitest';
import { deployPlan, regionAdditionPlan } from '../../cli/ops/deploy/plan.js';
import { isUserError } from '../../core/errors.js';
import { defaultTopology, type Topology } from '../../core/topology.js';

const aws = (change: Partial<Topology> = {}): Topology => ({
  ...defaultTopology({ target: 'aws' }),
  account: '123456789012',
  ...change,
});

describe('deploy plan', () => {
  it('deploy plan: global data first, then the regions (home first), then the China proxy in us-east-1', () => {
    const plan = deployPlan(aws({ homeRegion: 'tokyo' }));
    expect(plan.map((p) => [p.stackName, p.kind, p.awsRegion])).toEqual([
      ['chat-global-data', 'global-data', 'ap-northeast-1'],
      ['chat-region-tokyo', 'region', 'ap-northeast-1'],
      ['chat-region-seoul', 'region', 'ap-northeast-2'],
      ['chat-region-na', 'region', 'us-west-2'],
      ['chat-china-proxy', 'china-proxy', 'us-east-1'],
    ]);
  });

  it('deploy plan: without the China proxy there is no proxy stack; a created user pool comes after global data', () => {
    const plan = deployPlan(
      aws({ china: { enabled: false, originRegion: 'seoul' }, auth: { mode: 'cognito' } }),
    );
    expect(plan.map((p) => p.stackName)).toEqual([
      'chat-global-data',
      'chat-auth',
      'chat-region-seoul',
      'chat-region-tokyo',
      'chat-region-na',
    ]);
  });

  it('deploy plan: an existing Cognito pool named in the topology needs no auth stack', () => {
    const plan = deployPlan(
      aws({ auth: { mode: 'cognito', userPoolId: 'ap-northeast-2_abc', userPoolClientId: 'client123' } }),
    );
    expect(plan.some((p) => p.kind === 'auth')).toBe(false);
  });

  it('deploy plan: --region deploys the Global Table (for its replica) and that region only', () => {
    const plan = deployPlan(aws(), { region: 'na' });
    expect(plan.map((p) => p.stackName)).toEqual(['chat-global-data', 'chat-region-na']);
    expect(plan[1].regionKey).toBe('na');
  });

  it('deploy plan: an unknown region is a user error that says which regions exist', () => {
    let caught: unknown;
    try {
      deployPlan(aws(), { region: 'paris' });
    } catch (error) {
      caught = error;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/no region "paris".*seoul, tokyo, na/);
  });

  it('region addition plan: new replica, new region, then every other region for its relay targets', () => {
    const base = aws();
    const topology: Topology = {
      ...base,
      regions: [...base.regions, { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' }],
    };
    const plan = regionAdditionPlan(topology, 'sydney');
    expect(plan.map((p) => [p.stackName, p.awsRegion])).toEqual([
      ['chat-global-data', 'ap-northeast-2'],
      ['chat-region-sydney', 'ap-southeast-2'],
      ['chat-region-seoul', 'ap-northeast-2'],
      ['chat-region-tokyo', 'ap-northeast-1'],
      ['chat-region-na', 'us-west-2'],
    ]);
    expect(plan.some((p) => p.kind === 'china-proxy')).toBe(false);
  });
});
