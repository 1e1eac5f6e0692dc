import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsChecks } from '../../../cli/ops/doctor/aws.js';
import type { DoctorCheck } from '../../../cli/ops/doctor/index.js';
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
import type { SandboxState } from '../../../sandbox/state.js';
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
    // With a leftover beside the running sandbox's own engine, both are said.
    const running = { dynamodb: { endpoint: 'http://127.0.0.1:1', pid: 4444 } } as SandboxState;
    const beside = leftoverEngineCheck(
      [
        { pid: 4242, ppid: 1 },
        { pid: 4444, ppid: process.pid },
      ],
      running,
    );
    expect(beside).toMatchObject({ status: 'warn', fix: 'stop them: kill 4242' });
    expect(beside.detail).toContain("pid 4444 is this sandbox's");
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
    // The sandbox answers every call the checks make (STS, SSM's bootstrap parameter, Lambda's account
    // settings); the unmodified SDK reaches it through the environment `chatctl sandbox env` prints.
    sandbox = await startTestSandbox({ lambdaConcurrency: 550 });
    const { variables } = sandboxEnv(defaultTopology(), sandbox.state);
    Object.assign(process.env, variables);
    delete process.env.AWS_PROFILE;
  });

  afterAll(async () => {
    process.env = saved;
    await sandbox?.stop();
  });

  const byId = (checks: DoctorCheck[], id: string) => checks.filter((c) => c.id === id);

  it('credentials for the topology account pass; bootstrap is judged per region', async () => {
    const checks = await awsChecks(defaultTopology({ target: 'aws' }));
    expect(byId(checks, 'aws-credentials')[0]).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/account 000000000000/),
    });
    expect(byId(checks, 'aws-region')[0]).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^ap-northeast-2/),
    });
    expect(byId(checks, 'cdk-bootstrap').map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('too little Lambda concurrency for the lanes fails with the quota request; a region not bootstrapped names cdk bootstrap', async () => {
    // The default lanes reserve 500 per region, plus Lambda's 100 unreserved: 600 > the sandbox's 550.
    const topology = defaultTopology({ target: 'aws' });
    topology.regions.push({ key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.120.0.0/24' });
    const checks = await awsChecks(topology);
    const concurrency = byId(checks, 'lambda-concurrency');
    expect(concurrency.map((c) => c.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(concurrency[0].fix).toMatch(/request a quota increase to at least 600/);
    const bootstrap = byId(checks, 'cdk-bootstrap');
    expect(bootstrap.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'fail']);
    expect(bootstrap[3].fix).toBe('bootstrap it: npx cdk bootstrap aws://000000000000/ap-southeast-2');
  });

  it('credentials for another account fail, and the per-region checks are skipped', async () => {
    const topology = { ...defaultTopology({ target: 'aws' }), account: '123456789012' };
    const checks = await awsChecks(topology);
    expect(byId(checks, 'aws-credentials')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/account 000000000000, but chatctl.json says 123456789012/),
    });
    expect(checks.filter((c) => c.status === 'skip').map((c) => c.id)).toEqual([
      'cdk-bootstrap',
      'lambda-concurrency',
    ]);
  });
});
