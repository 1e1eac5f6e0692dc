// Every combination of auth mode x analytics x China proxy, synthesized (placeholder code, two regions: the
// dependency structure is the same with more): the deploy plan built from the cloud assembly deploys each stack
// after every stack it depends on, and no combination makes global data wait for auth (the analytics function
// takes no pool ids). Cognito mode always deploys the auth stack, for the canary's client and probe user. No template carries a token secret in any combination.
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../cli/ops/deploy/assembly.js';
import { assemblyStacks, planFromAssembly } from '../../cli/ops/deploy/plan.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { addChatStacks } from '../../stacks/app.js';
import { insecureAwsSynthProblems } from '../../stacks/secure-synth.js';

const AUTH: Record<string, Topology['auth']> = {
  dev: { mode: 'dev' },
  'cognito (pool created)': { mode: 'cognito' },
  'cognito (existing pool)': {
    mode: 'cognito',
    userPoolId: 'ap-northeast-2_AbCdEfGhI',
    userPoolClientId: '1example23456789abcdefghij',
  },
};

const context = cdkJsonContext();
const cases = Object.entries(AUTH).flatMap(([auth, authConfig]) =>
  [false, true].flatMap((analytics) =>
    [false, true].map((china) => ({ auth, authConfig, analytics, china })),
  ),
);

describe('deploy order from the cloud assembly', { timeout: 300_000 }, () => {
  it.each(cases)(
    'plan: auth $auth, analytics $analytics, China $china: each stack after its dependencies',
    ({ authConfig, analytics, china }) => {
      const base = defaultTopology({ target: 'aws' });
      const topology: Topology = {
        ...base,
        account: '123456789012',
        regions: base.regions.filter((r) => r.key === 'seoul' || r.key === 'na'),
        auth: authConfig,
        analytics: { enabled: analytics },
        china: { enabled: china, originRegion: 'seoul' },
      };
      const app = new App({ context });
      addChatStacks(app, topology, { code: { kind: 'placeholder' } });
      expect(insecureAwsSynthProblems(app, topology)).toEqual([]);
      const stacks = assemblyStacks(app.synth());
      const plan = planFromAssembly(topology, stacks);
      const names = plan.map((p) => p.stackName);
      expect([...names].sort()).toEqual(stacks.map((s) => s.stackName).sort());
      for (const stack of stacks) {
        for (const dependency of stack.dependencies) {
          expect(names.indexOf(dependency), `${stack.stackName} after ${dependency}`).toBeLessThan(
            names.indexOf(stack.stackName),
          );
        }
      }
      const dependsOn = (name: string) => stacks.find((s) => s.stackName === name)?.dependencies ?? [];
      expect(dependsOn('chat-global-data')).toEqual([]);
      // Cognito mode always has an auth stack: the pool, or the canary's client and probe user in an existing one.
      const cognito = authConfig.mode === 'cognito';
      expect(names.includes('chat-auth')).toBe(cognito);
      for (const region of ['chat-region-seoul', 'chat-region-na']) {
        expect([...dependsOn(region)].sort()).toEqual(
          cognito ? ['chat-auth', 'chat-global-data'] : ['chat-global-data'],
        );
      }
      if (china) expect(dependsOn('chat-china-proxy')).toContain('chat-region-seoul');
      // `--region na`: that region's stack and what it depends on, nothing else.
      expect(planFromAssembly(topology, stacks, { region: 'na' }).map((p) => p.stackName)).toEqual(
        cognito
          ? ['chat-global-data', 'chat-auth', 'chat-region-na']
          : ['chat-global-data', 'chat-region-na'],
      );
    },
  );
});
