// A deploy's preflight against the sandbox as target: the readers with unmodified AWS clients (Lambda
// GetAccountSettings, SSM's bootstrap parameter, DescribeTable's replicas), then `chatctl deploy --dry-run` as a
// user runs it (the built CLI) on a topology with two regions the sandbox does not run: the plan adds one replica
// per update, and the checks name the regions not bootstrapped and a quota too small for the lanes.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concurrencyCheck,
  readBootstrapVersion,
  readDeployedReplicas,
  readLambdaConcurrencyQuota,
} from '../../../../cli/ops/deploy/preflight.js';
import { type DeployPlan, formatPlan } from '../../../../cli/ops/deploy/prepare.js';
import { defaultTopology, serializeTopology, type Topology } from '../../../../core/topology.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { SANDBOX_BOOTSTRAP_VERSION } from '../../../../sandbox/services/ssm/index.js';
import { clientConfig, startTestSandbox } from '../../../sandbox/support.js';

const bin = resolve('bin/run.js');
const topology = defaultTopology();
let cwd: string;
let sandbox: Sandbox;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-preflight-'));
  // A new account's reduced quota: 400 in every region, below the default lanes' 500 + 100.
  sandbox = await startTestSandbox(
    { lambdaConcurrency: 400, statePath: join(cwd, '.chatctl', 'sandbox.json') },
    topology,
  );
});

afterAll(async () => {
  await sandbox?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('deploy preflight against the sandbox', () => {
  it('preflight: GetAccountSettings gives the quota and what the running lanes leave; the check refuses with the figures', async () => {
    const quota = await readLambdaConcurrencyQuota(clientConfig(sandbox, 'ap-northeast-1'));
    expect(quota).toEqual({
      awsRegion: 'ap-northeast-1',
      concurrentExecutions: 400,
      unreservedConcurrentExecutions: 0,
    });
    const check = concurrencyCheck(topology, quota, { deployedHere: true });
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/needs 600 .* has 400/);
  });

  it('preflight: the bootstrap version is read in each region; a region the sandbox does not run is not bootstrapped', async () => {
    expect(await readBootstrapVersion(clientConfig(sandbox, 'ap-northeast-2'))).toBe(
      SANDBOX_BOOTSTRAP_VERSION,
    );
    expect(await readBootstrapVersion(clientConfig(sandbox, 'us-east-1'))).toBe(SANDBOX_BOOTSTRAP_VERSION);
    expect(await readBootstrapVersion(clientConfig(sandbox, 'eu-west-3'))).toBeUndefined();
  });

  it("preflight: DescribeTable lists the Global Table's deployed replicas", async () => {
    const replicas = await readDeployedReplicas(topology, clientConfig(sandbox, 'ap-northeast-2'));
    expect([...(replicas ?? [])].sort()).toEqual(['ap-northeast-1', 'ap-northeast-2', 'us-west-2']);
  });

  it('deploy --dry-run --target sandbox: the ordered plan, one replica per update, and every failed check with what to do', async () => {
    const withTwoMore: Topology = {
      ...topology,
      regions: [
        ...topology.regions,
        { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' },
        { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '90.0.0.0/24' },
      ],
    };
    const config = join(cwd, 'chatctl.json');
    await writeFile(config, serializeTopology(withTwoMore));
    const json = await chatctl(['deploy', '--dry-run', '--target', 'sandbox', '--json', '--config', config]);
    expect(json.code, json.stderr).toBe(1);
    const outcome = JSON.parse(json.stdout) as {
      dryRun: boolean;
      applied: boolean;
      plan: {
        steps: { action: string; stackName?: string; replicaRegions?: string[] }[];
        checks: { name: string; awsRegion?: string; ok: boolean; action?: string }[];
      };
    };
    expect(outcome).toMatchObject({ dryRun: true, applied: false });
    expect(outcome.plan.steps.map((s) => s.stackName ?? s.action)).toEqual([
      'update-replicas',
      'chat-global-data',
      'chat-region-seoul',
      'chat-region-tokyo',
      'chat-region-na',
      'chat-region-sydney',
      'chat-region-paris',
      'chat-china-proxy',
    ]);
    expect(outcome.plan.steps[0].replicaRegions).toEqual([
      'ap-northeast-2',
      'ap-northeast-1',
      'us-west-2',
      'ap-southeast-2',
    ]);
    const failed = outcome.plan.checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.awsRegion}`);
    expect(failed).toEqual(
      expect.arrayContaining([
        'bootstrap ap-southeast-2',
        'bootstrap eu-west-3',
        'concurrency ap-northeast-2',
      ]),
    );
    expect(failed).not.toContain('bootstrap us-east-1');
    const bootstrap = outcome.plan.checks.find((c) => c.name === 'bootstrap' && c.awsRegion === 'eu-west-3');
    expect(bootstrap?.action).toBe('bootstrap it: npx cdk bootstrap aws://000000000000/eu-west-3');

    // What the command prints without --json: formatPlan of this very plan.
    const text = formatPlan(outcome.plan as unknown as DeployPlan).join('\n');
    expect(text).toMatch(/^deploy plan \(sandbox, account 000000000000\):/);
    expect(text).toMatch(/ 1\. update the Global Table: adds the ap-southeast-2 replica \(region sydney\)/);
    expect(text).toMatch(/ 2\. deploy chat-global-data in ap-northeast-2/);
    expect(text).toMatch(/FAIL concurrency ap-northeast-2: .*needs 600/);
    expect(text).toMatch(/-> request a quota increase/);
    expect(json.stdout).toMatch(/nothing was deployed/);
  }, 300_000);
});

function chatctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
    delete env.CHATCTL_CONFIG;
    const child = spawn('node', [bin, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
