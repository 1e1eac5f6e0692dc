// `region add` / `region remove` with target sandbox bring the change about in the running sandbox,
// through the built CLI and the sandbox's control API.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology, saveTopology } from '../../../core/topology.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox } from '../../sandbox/support.js';

const bin = resolve('bin/run.js');
let cwd: string;
let sandbox: Sandbox;

// Asynchronous on purpose: the sandbox runs in this process and must keep serving while the CLI runs.
function chatctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
  delete env.CHATCTL_CONFIG;
  return new Promise((done) => {
    execFile('node', [bin, ...args], { cwd, encoding: 'utf8', env }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-provision-'));
  const topology = defaultTopology();
  topology.regions = topology.regions.slice(0, 2);
  topology.china.enabled = false;
  await saveTopology(join(cwd, 'chatctl.json'), topology);
  sandbox = await startTestSandbox({ statePath: join(cwd, '.chatctl', 'sandbox.json') }, topology);
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('region add/remove on a running sandbox', () => {
  it('region add: starts the new region in the running sandbox, which then answers on its gateway', async () => {
    const added = await chatctl('region', 'add', 'sydney', '--aws-region', 'ap-southeast-2', '--json');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const result = JSON.parse(added.stdout);
    expect(result.provisioning.applied).toBe(true);
    expect(result.provisioning.detail).toMatch(/started sydney in the running sandbox/);
    expect([...sandbox.regions.keys()]).toEqual(['seoul', 'tokyo', 'sydney']);
    const health = await fetch(sandbox.regions.get('sydney')!.healthUrl);
    expect(health.status).toBe(200);
  });

  it('region remove: stops the region in the running sandbox', async () => {
    const removed = await chatctl('region', 'remove', 'sydney');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/applied: stopped sydney in the running sandbox/);
    expect([...sandbox.regions.keys()]).toEqual(['seoul', 'tokyo']);
  });
});
