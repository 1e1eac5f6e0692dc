import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsReads, awsChecks } from '../../../cli/ops/doctor/aws.js';
import {
  javaCheck,
  leftoverEngineCheck,
  machineCheck,
  nodeCheck,
  portsCheck,
  sandboxStateCheck,
} from '../../../cli/ops/doctor/machine.js';
import { sandboxEnv } from '../../../cli/ops/sandbox/env.js';
import { defaultTopology } from '../../../core/topology.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox } from '../../sandbox/support.js';

describe('doctor: machine checks', () => {
  it('node: 20.19 or newer passes, older fails with the fix', () => {
    expect(nodeCheck('20.19.0').status).toBe('ok');
    expect(nodeCheck('22.1.0').status).toBe('ok');
    expect(nodeCheck('20.18.3')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/install Node/),
    });
  });

  it('java: no java on PATH fails with the install line', () => {
    const result = javaCheck({ PATH: '/nonexistent' });
    expect(result).toMatchObject({ id: 'java', status: 'fail', fix: expect.stringMatching(/^install it: /) });
  });

  it('ports: a busy edge port fails and names another one to use', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const topology = { ...defaultTopology(), sandbox: { ...defaultTopology().sandbox, port } };
    const result = await portsCheck(topology);
    server.close();
    expect(result).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/chatctl sandbox up --port \d+/),
    });
  });

  it('sandbox.json: one whose process has exited is stale, fixed by sandbox down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-doctor-'));
    await mkdir(join(dir, '.chatctl'));
    const path = join(dir, '.chatctl', 'sandbox.json');
    expect((await sandboxStateCheck(path)).check.status).toBe('ok');
    await writeFile(path, JSON.stringify({ pid: 2 ** 22 + 1, edge: 'http://127.0.0.1:9', regions: {} }));
    const stale = await sandboxStateCheck(path);
    expect(stale.check).toMatchObject({ status: 'fail', fix: 'clear it: chatctl sandbox down' });
    expect(stale.running).toBeUndefined();
  });

  it('leftover DynamoDB Local: a JVM re-parented to init is left over; one with a live parent is not', () => {
    const result = leftoverEngineCheck([
      { pid: 4242, ppid: 1 },
      { pid: 4343, ppid: process.pid },
    ]);
    expect(result).toMatchObject({ status: 'warn', fix: 'stop them: kill 4242' });
    expect(result.detail).toMatch(/1 more belong/);
    expect(leftoverEngineCheck([{ pid: 4343, ppid: process.pid }]).status).toBe('ok');
  });

  it('cores and memory: too little free memory fails, one core warns', () => {
    expect(machineCheck(2, 4 * 2 ** 30, 8 * 2 ** 30).status).toBe('ok');
    expect(machineCheck(1, 4 * 2 ** 30, 8 * 2 ** 30).status).toBe('warn');
    expect(machineCheck(4, 100 * 2 ** 20, 8 * 2 ** 30).status).toBe('fail');
  });
});

describe('doctor: AWS checks', () => {
  let sandbox: Sandbox;
  const saved = { ...process.env };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    // The credentials check goes through the standard chain to STS: here the sandbox's, through sandbox env.
    const { variables } = sandboxEnv(defaultTopology(), sandbox.state);
    Object.assign(process.env, variables);
    delete process.env.AWS_PROFILE;
  });

  afterAll(async () => {
    process.env = saved;
    await sandbox?.stop();
  });

  // The sandbox serves STS but not SSM's GetParameter or Lambda's GetAccountSettings: those two reads are
  // given here (a stand-in for AWS, which is what this part of the test checks the verdicts against).
  const reads = (bootstrap: number | undefined, limit: number | undefined): AwsReads => ({
    bootstrapVersion: async () => bootstrap,
    concurrencyLimit: async () => limit,
    defaultRegion: async () => process.env.AWS_REGION,
  });

  it('credentials for the topology account pass; bootstrap and concurrency are judged per region', async () => {
    const topology = { ...defaultTopology({ target: 'aws' }) };
    const checks = await awsChecks(topology, reads(21, 1000));
    expect(checks.find((c) => c.id === 'aws-credentials')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/account 000000000000/),
    });
    expect(checks.filter((c) => c.id === 'cdk-bootstrap').map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(checks.filter((c) => c.id === 'lambda-concurrency').map((c) => c.status)).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
  });

  it('no bootstrap names the cdk bootstrap command; too little concurrency for the lanes fails', async () => {
    const checks = await awsChecks(defaultTopology({ target: 'aws' }), reads(undefined, 50));
    const bootstrap = checks.find((c) => c.id === 'cdk-bootstrap');
    expect(bootstrap).toMatchObject({
      status: 'fail',
      fix: 'npx cdk bootstrap aws://000000000000/ap-northeast-2',
    });
    const concurrency = checks.find((c) => c.id === 'lambda-concurrency');
    // The default lanes reserve 500; Lambda keeps 100 unreserved.
    expect(concurrency).toMatchObject({ status: 'fail', detail: expect.stringMatching(/limit 50.* = 600/) });
  });

  it('credentials for another account fail, and the per-region checks are skipped', async () => {
    const topology = { ...defaultTopology({ target: 'aws' }), account: '123456789012' };
    const checks = await awsChecks(topology, reads(21, 1000));
    expect(checks.find((c) => c.id === 'aws-credentials')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/account 000000000000, but chatctl.json says 123456789012/),
    });
    expect(checks.filter((c) => c.status === 'skip').map((c) => c.id)).toEqual([
      'cdk-bootstrap',
      'lambda-concurrency',
    ]);
  });
});
