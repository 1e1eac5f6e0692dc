// The deploy plan's pure parts: stack order from an assembly's dependency graph, replica changes one per
// update in a safe order, and the preflight verdicts (deploy itself needs AWS; the readers are tested against
// the sandbox in deploy-preflight.test.ts).
import { describe, expect, it } from 'vitest';
import { type AssemblyStack, planFromAssembly } from '../../../../cli/ops/deploy/plan.js';
import {
  bootstrapCheck,
  concurrencyCheck,
  reservedConcurrency,
} from '../../../../cli/ops/deploy/preflight.js';
import { replicaSteps } from '../../../../cli/ops/deploy/replicas.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology, type Topology } from '../../../../core/topology.js';

const aws = (change: Partial<Topology> = {}): Topology => ({
  ...defaultTopology({ target: 'aws' }),
  account: '123456789012',
  ...change,
});

const stack = (stackName: string, awsRegion: string, dependencies: string[] = []): AssemblyStack => ({
  stackName,
  awsRegion,
  dependencies,
});

/** The assembly of the default topology with a created user pool, as the CDK app synthesizes it. */
function cognitoAssembly(extra: Partial<Record<string, string[]>> = {}): AssemblyStack[] {
  const deps = (name: string, base: string[]) => [...base, ...(extra[name] ?? [])];
  return [
    stack('chat-china-proxy', 'us-east-1', deps('chat-china-proxy', ['chat-region-seoul'])),
    stack('chat-region-na', 'us-west-2', deps('chat-region-na', ['chat-global-data', 'chat-auth'])),
    stack(
      'chat-region-tokyo',
      'ap-northeast-1',
      deps('chat-region-tokyo', ['chat-global-data', 'chat-auth']),
    ),
    stack(
      'chat-region-seoul',
      'ap-northeast-2',
      deps('chat-region-seoul', ['chat-global-data', 'chat-auth']),
    ),
    stack('chat-auth', 'ap-northeast-2', deps('chat-auth', [])),
    stack('chat-global-data', 'ap-northeast-2', deps('chat-global-data', [])),
  ];
}

describe('deploy plan from the assembly', () => {
  it('plan: global data, auth, the regions (home first), the China proxy, whatever order the assembly lists them in', () => {
    const plan = planFromAssembly(aws({ auth: { mode: 'cognito' } }), cognitoAssembly());
    expect(plan.map((p) => [p.stackName, p.kind, p.awsRegion])).toEqual([
      ['chat-global-data', 'global-data', 'ap-northeast-2'],
      ['chat-auth', 'auth', 'ap-northeast-2'],
      ['chat-region-seoul', 'region', 'ap-northeast-2'],
      ['chat-region-tokyo', 'region', 'ap-northeast-1'],
      ['chat-region-na', 'region', 'us-west-2'],
      ['chat-china-proxy', 'china-proxy', 'us-east-1'],
    ]);
  });

  it('plan: a dependency wins over the usual order (global data importing from auth deploys after it)', () => {
    const plan = planFromAssembly(
      aws({ auth: { mode: 'cognito' } }),
      cognitoAssembly({ 'chat-global-data': ['chat-auth'] }),
    );
    expect(plan.slice(0, 2).map((p) => p.stackName)).toEqual(['chat-auth', 'chat-global-data']);
    expect(plan[1].dependsOn).toEqual(['chat-auth']);
  });

  it('plan: --region takes that region stack and what it depends on; an unknown region names the known ones', () => {
    const topology = aws({ auth: { mode: 'cognito' }, homeRegion: 'tokyo' });
    expect(planFromAssembly(topology, cognitoAssembly(), { region: 'na' }).map((p) => p.stackName)).toEqual([
      'chat-global-data',
      'chat-auth',
      'chat-region-na',
    ]);
    let caught: unknown;
    try {
      planFromAssembly(topology, cognitoAssembly(), { region: 'paris' });
    } catch (error) {
      caught = error;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/no region "paris".*seoul, tokyo, na/);
  });

  it('plan: a dependency cycle is refused, naming the stacks left (global data, deployable, is not among them)', () => {
    expect(() =>
      planFromAssembly(
        aws({ auth: { mode: 'cognito' } }),
        cognitoAssembly({ 'chat-auth': ['chat-region-na'] }),
      ),
    ).toThrow(/in a cycle: (?!.*chat-global-data).*chat-auth/);
  });
});

describe('replica changes', () => {
  const three = ['ap-northeast-2', 'ap-northeast-1', 'us-west-2'];
  const withRegions = (...extra: [string, string][]) => {
    const base = aws();
    return {
      ...base,
      regions: [
        ...base.regions,
        ...extra.map(([key, awsRegion]) => ({ key, awsRegion, probeSubnet: '1.128.0.0/24' })),
      ],
    };
  };

  it('replicas: a fresh account creates the table with every replica in one go', () => {
    expect(replicaSteps(aws(), undefined)).toEqual({ additions: three, removals: [], steps: [] });
  });

  it('replicas: nothing to change gives no step', () => {
    expect(replicaSteps(aws(), ['ap-northeast-1', 'us-west-2', 'ap-northeast-2']).steps).toEqual([]);
  });

  it('replicas: two regions added with --no-deploy become two updates of one replica each (the last one is the main plan)', () => {
    const changes = replicaSteps(withRegions(['sydney', 'ap-southeast-2'], ['paris', 'eu-west-3']), three);
    expect(changes.additions).toEqual(['ap-southeast-2', 'eu-west-3']);
    expect(changes.steps).toEqual([
      {
        action: 'update-replicas',
        replicaRegions: [...three, 'ap-southeast-2'],
        unprotectedReplicas: [],
        why: 'adds the ap-southeast-2 replica (region sydney)',
      },
    ]);
  });

  it('replicas: a removed region goes stack first, then its deletion protection, then the replica, before any addition', () => {
    const topology = withRegions(['sydney', 'ap-southeast-2'], ['paris', 'eu-west-3']);
    topology.regions = topology.regions.filter((r) => r.key !== 'na');
    const changes = replicaSteps(topology, three);
    expect(changes.removals).toEqual(['us-west-2']);
    expect(
      changes.steps.map((s) => [s.action, 'replicaRegions' in s ? s.replicaRegions.join(' ') : s.awsRegion]),
    ).toEqual([
      ['delete-region-stack', 'us-west-2'],
      ['update-replicas', 'ap-northeast-2 ap-northeast-1 us-west-2'],
      ['update-replicas', 'ap-northeast-2 ap-northeast-1'],
      ['update-replicas', 'ap-northeast-2 ap-northeast-1 ap-southeast-2'],
    ]);
    expect(changes.steps[1]).toMatchObject({ unprotectedReplicas: ['us-west-2'] });
    // Each update changes one replica, or only a replica's deletion protection.
    const sets = [
      three,
      ...changes.steps.filter((s) => s.action === 'update-replicas').map((s) => s.replicaRegions),
    ];
    for (let i = 1; i < sets.length; i++) {
      const before = new Set(sets[i - 1]);
      const after = new Set(sets[i]);
      const changed =
        [...before].filter((r) => !after.has(r)).length + [...after].filter((r) => !before.has(r)).length;
      expect(changed).toBeLessThanOrEqual(1);
    }
  });
});

describe('preflight verdicts', () => {
  it('concurrency: the default lanes (500) and 100 unreserved do not fit a new account quota of 400, and the sentence says what to do', () => {
    const topology = aws();
    expect(reservedConcurrency(topology, 'ap-northeast-1')).toBe(500);
    const check = concurrencyCheck(
      topology,
      { awsRegion: 'ap-northeast-1', concurrentExecutions: 400, unreservedConcurrentExecutions: 400 },
      { deployedHere: false },
    );
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(
      /reserve 500 .* keeps 100 unreserved, so ap-northeast-1 needs 600 .* has 400/,
    );
    expect(check.action).toMatch(/quota increase to at least 600/);
    expect(check.action).toMatch(/lower "lanes" in chatctl.json to 300 in all/);
  });

  it('concurrency: the default quota fits; a region not deployed yet must also fit what other functions leave', () => {
    const topology = aws();
    const quota = { awsRegion: 'us-west-2', concurrentExecutions: 1000, unreservedConcurrentExecutions: 550 };
    expect(concurrencyCheck(topology, quota, { deployedHere: true }).ok).toBe(true);
    expect(concurrencyCheck(topology, quota, { deployedHere: false }).ok).toBe(false);
    // The home region also reserves the analytics lane when analytics is on.
    const analytics = aws({ analytics: { enabled: true }, lanes: { ...aws().lanes, stream: 10 } });
    expect(reservedConcurrency(analytics, 'ap-northeast-2')).toBe(510);
    expect(reservedConcurrency(analytics, 'us-west-2')).toBe(500);
  });

  it('bootstrap: a missing or old bootstrap says how to bootstrap that region', () => {
    const topology = aws();
    expect(bootstrapCheck(topology, 'eu-west-3', undefined, 6)).toMatchObject({
      ok: false,
      action: 'bootstrap it: npx cdk bootstrap aws://123456789012/eu-west-3',
    });
    expect(bootstrapCheck(topology, 'eu-west-3', 5, 6)).toMatchObject({
      ok: false,
      detail: /version 5.*6 or newer/,
    });
    expect(bootstrapCheck(topology, 'eu-west-3', 32, 6).ok).toBe(true);
  });
});
