// Runs the built CLI (`npm test` builds first) against a sandbox started in this process. The CLI runs as a
// child process, spawned asynchronously so this process keeps serving the sandbox meanwhile.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultTopology, serializeTopology, type Topology } from '../../../core/topology.js';
import { type Sandbox, start } from '../../../sandbox/index.js';
import { writeSandboxState } from '../../../sandbox/state.js';

const bin = resolve('bin/run.js');
const topology: Topology = { ...defaultTopology(), replication: { lagThresholdMs: 60_000 } };
let cwd: string;
let sandbox: Sandbox;

function chatctl(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return chatctlWith({}, ...args);
}

function chatctlWith(
  extraEnv: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The sandbox this file starts, its state in the test folder.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    CHATCTL_HOME: join(cwd, '.chatctl'),
    ...extraEnv,
  };
  delete env.CHATCTL_CONFIG;
  return new Promise((done, fail) => {
    const child = spawn('node', [bin, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-health-'));
  sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `hcmd${randomBytes(5).toString('hex')}`,
    lag: 20,
    healthCheckIntervalMs: 500,
    failureThreshold: 10,
  });
  await writeFile(join(cwd, 'chatctl.json'), serializeTopology(topology));
  await writeSandboxState(sandbox.state, join(cwd, '.chatctl', 'sandbox.json'));
});

afterAll(async () => {
  await sandbox?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

// Each test spawns the CLI (about a second of start-up each on an idle machine, far more on a loaded one).
describe('cli on-call commands', { timeout: 120_000 }, () => {
  it('health --json: exit 0 and nothing but the typed JSON when healthy', async () => {
    const run = await chatctl('health', '--json', '--timeout', '8000');
    const result = JSON.parse(run.stdout);
    expect(result.problems).toEqual([]);
    expect(run.code).toBe(0);
    expect(result.verdict).toBe('healthy');
    expect(result.regions).toHaveLength(3);
    expect(result.china.status).toBe('ok');
  });

  it('health: gateway-down -> exit 2, the table shows the region down and the action to take', async () => {
    sandbox.faults.inject('na', 'gateway-down');
    try {
      const json = await chatctl('health', '--json', '--timeout', '3000', '--skip-replication');
      expect(json.code).toBe(2);
      const result = JSON.parse(json.stdout);
      expect(result.verdict).toBe('critical');
      expect(result.regions.find((r: { key: string }) => r.key === 'na').status).toBe('down');
      const human = await chatctl('health', '--timeout', '3000', '--skip-replication');
      expect(human.code).toBe(2);
      expect(human.stdout).toMatch(/^na\s.*\bdown\b/m);
      expect(human.stdout).toMatch(/CRITICAL/);
      expect(human.stdout).toMatch(/na: websocket: .*\n\s+-> .*chatctl drain na/);
    } finally {
      sandbox.faults.heal('na');
    }
  });

  it('health --watch --json: one JSON document per line per run, nothing else', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
    delete env.CHATCTL_CONFIG;
    const child = spawn(
      'node',
      [bin, 'health', '--watch', '1', '--json', '--region', 'seoul', '--skip-replication'],
      {
        cwd,
        env,
      },
    );
    let stdout = '';
    try {
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
          if (stdout.split('\n').filter(Boolean).length >= 2) done();
        });
        child.once('close', () => fail(new Error(`exited early: ${stdout}`)));
      });
    } finally {
      child.kill('SIGTERM');
    }
    const lines = stdout.split('\n').filter(Boolean).slice(0, 2);
    for (const line of lines) {
      const result = JSON.parse(line);
      expect(result.regions.map((r: { key: string }) => r.key)).toEqual(['seoul']);
      expect(result.verdict).toBe('healthy');
    }
    expect(stdout.includes('\u001b')).toBe(false);
  });

  it('health --region: an unknown key is bad usage with a hint, exit 2', async () => {
    const run = await chatctl('health', '--region', 'mars');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no region "mars"/);
    expect(run.stderr).toMatch(/chatctl region list/);
  });

  it('health --target aws without AWS credentials: one sentence on how to sign in, exit 1', async () => {
    const noCredentials: NodeJS.ProcessEnv = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: join(cwd, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
    };
    const run = await chatctlWith(noCredentials, 'health', '--target', 'aws', '--timeout', '3000', '--json');
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout);
    expect(error.message).toMatch(/no AWS credentials found/);
    expect(error.hint).toMatch(/sign in/);
  });

  it('replication check --json: exit 0 with a full lag matrix', async () => {
    const run = await chatctl('replication', 'check', '--json', '--samples', '1', '--timeout', '10000');
    const result = JSON.parse(run.stdout);
    expect(result.pairs).toHaveLength(6);
    expect(run.code).toBe(0);
    expect(result.verdict).toBe('healthy');
  });
});
