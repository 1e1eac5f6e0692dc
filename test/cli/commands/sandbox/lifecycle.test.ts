// Runs the built CLI (npm test builds first) as separate processes, as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../../../../core/process.js';
import type { ConsoleDrillsReply, StartDrillReply } from '../../../../sandbox/control-api.js';
import { chatctlIn } from '../../../sandbox/cli-run.js';

const cwd = mkdtempSync(join(tmpdir(), 'chatctl-sandbox-'));
const chatctl = chatctlIn(cwd);
const alive = pidAlive;

afterAll(() => {
  chatctl('sandbox', 'down');
  rmSync(cwd, { recursive: true, force: true });
});

describe('sandbox cli', () => {
  it('sandbox up --detach / status --json / console drill / fault / heal / down: runs as processes, refuses a second up, leaves nothing running', async () => {
    const up = chatctl('sandbox', 'up', '--detach', '--port', '0');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/seoul\s+ap-northeast-2\s+ws:\/\/127\.0\.0\.1:\d+\/prod/);
    expect(up.stdout).toMatch(/chatctl chat/);
    const file = JSON.parse(readFileSync(join(cwd, '.chatctl', 'sandbox.json'), 'utf8'));

    const status = chatctl('sandbox', 'status', '--json');
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed).toMatchObject({ running: true, alive: true });
    expect(parsed.state.regions).toEqual(file.regions);
    expect(Object.keys(parsed.state.regions)).toEqual(['seoul', 'tokyo', 'na']);
    const health = await fetch(parsed.state.regions.tokyo.healthUrl);
    expect(health.status).toBe(200);

    // From another folder, the one sandbox (of this CHATCTL_HOME) is found, with the topology it runs.
    const elsewhere = mkdtempSync(join(tmpdir(), 'chatctl-elsewhere-'));
    const fromElsewhere = chatctlIn(elsewhere, join(cwd, '.chatctl'));
    const status2 = fromElsewhere('sandbox', 'status', '--json');
    expect(status2.code, status2.stderr).toBe(0);
    expect(JSON.parse(status2.stdout).state.pid).toBe(file.pid);
    expect(file.topology.regions.map((r: { key: string }) => r.key)).toEqual(['seoul', 'tokyo', 'na']);
    expect(file.startedFrom).toEqual({ cwd: realpathSync(cwd) });
    // up there, with the same topology: found, nothing started.
    const again = fromElsewhere('sandbox', 'start', '--detach', '--port', '0');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already running with this topology \(started in /);
    expect(again.stdout).toContain(file.edge);
    // up there with another topology: refused, naming what runs and where.
    writeFileSync(
      join(elsewhere, 'chatctl.json'),
      JSON.stringify({ ...file.topology, regions: file.topology.regions.slice(0, 2) }),
    );
    const other = fromElsewhere('sandbox', 'up', '--detach', '--port', '0');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /already runs another topology: regions seoul, tokyo, na \(the built-in default topology\), started in /,
    );
    expect(other.stderr).toContain(`pid ${file.pid}, edge ${file.edge}, state ${join(cwd, '.chatctl')}`);
    expect(other.stderr).toMatch(/chatctl sandbox restart/);
    rmSync(elsewhere, { recursive: true, force: true });

    // sandbox env: the lines that point an AWS tool at the edge, here an independent client (boto3).
    const env = chatctl('sandbox', 'env', '--json');
    expect(env.code, env.stderr).toBe(0);
    const variables = JSON.parse(env.stdout).variables;
    expect(variables).toMatchObject({ AWS_ENDPOINT_URL: file.edge, AWS_REGION: 'ap-northeast-2' });
    expect(chatctl('sandbox', 'env').stdout).toContain(`export AWS_ENDPOINT_URL='${file.edge}'`);
    const boto = spawnSync(
      'python3',
      ['-c', "import boto3; print(' '.join(boto3.client('dynamodb').list_tables()['TableNames']))"],
      { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...variables } },
    );
    if (boto.status === 0 || !/No module named/.test(boto.stderr)) {
      expect(boto.status, boto.stderr).toBe(0);
      expect(boto.stdout.trim()).toBe('chat-chat');
    }

    // doctor: the ports and the JVM are this sandbox's, not a problem.
    const doctor = chatctl('doctor', '--json');
    const checks = Object.fromEntries(
      JSON.parse(doctor.stdout).checks.map((c: { id: string; status: string; detail: string }) => [c.id, c]),
    );
    expect(checks.ports).toMatchObject({ status: 'ok', detail: expect.stringMatching(/running sandbox/) });
    expect(checks['sandbox-state'].status).toBe('ok');
    expect(checks['dynamodb-local'].detail).toContain(`pid ${file.dynamodb.pid} is this sandbox's`);

    // The console's drills run through the hook sandbox up passes: journalled in this project folder.
    const control = (method: string, body?: unknown) =>
      fetch(`${file.edge}/_chatctl/console/drills`, {
        method,
        headers: { 'x-chatctl-secret': file.controlSecret, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Partial<StartDrillReply & ConsoleDrillsReply>,
      }));
    const started = await control('POST', { kind: 'failover', region: 'na' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const drillId = started.body.drill?.id;
    await expect
      .poll(async () => (await control('GET')).body.drills?.[0], { timeout: 60_000 })
      .toMatchObject({ id: drillId, state: 'finished', dryRun: true });
    const journal = JSON.parse(readFileSync(join(cwd, '.chatctl', 'drills', `${drillId}.json`), 'utf8'));
    expect(journal).toMatchObject({ id: drillId, region: 'na', state: 'finished', pid: file.pid });

    const fault = chatctl('sandbox', 'fault', 'tokyo', 'gateway-down');
    expect(fault.code, fault.stderr).toBe(0);
    expect((await fetch(parsed.state.regions.tokyo.healthUrl)).status).toBe(503);
    const faulty = JSON.parse(chatctl('sandbox', 'status', '--json').stdout);
    expect(faulty.faults).toMatchObject([{ region: 'tokyo', fault: 'gateway-down' }]);
    const heal = chatctl('sandbox', 'heal', 'tokyo');
    expect(heal.code, heal.stderr).toBe(0);
    expect((await fetch(parsed.state.regions.tokyo.healthUrl)).status).toBe(200);

    // sandbox logs: the fault and its heal, filtered to tokyo; JSON lines with --json.
    const banner = readFileSync(join(cwd, '.chatctl', 'sandbox.out'), 'utf8');
    expect(banner).toMatch(/Running in the background: stop it with chatctl sandbox down/);
    expect(banner).not.toMatch(/Ctrl-C/);
    // The log is written off the request path (within 200 ms, longer on a loaded machine): both fault lines are
    // waited for, by --kind (so no count of other lines can push one out of view).
    await expect
      .poll(
        () => chatctl('sandbox', 'logs', '--region', 'tokyo', '--kind', 'fault', '--since', '1h').stdout,
        {
          timeout: 90_000,
          interval: 500,
        },
      )
      .toMatch(/fault {8}tokyo injected gateway-down[\s\S]*fault {8}tokyo healed gateway-down/);
    await expect
      .poll(() => chatctl('sandbox', 'logs', '--region', 'tokyo', '--kind', 'edge', '--since', '1h').stdout, {
        timeout: 90_000,
        interval: 500,
      })
      .toMatch(/edge {9}tokyo /);
    const logs = chatctl('sandbox', 'logs', '--region', 'tokyo', '--since', '1h');
    expect(logs.stdout).toMatch(/fault {8}tokyo injected gateway-down/);
    expect(logs.stdout).not.toMatch(/edge {9}seoul /);
    const json = chatctl('sandbox', 'logs', '--json', '-n', '1000')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.some((l) => l.kind === 'handler' && l.route === 'GET /health')).toBe(true);

    // restart: down, then up (here detached); the aliases stop and start are down and up.
    const restarted = chatctl('sandbox', 'restart', '--detach', '--port', '0');
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout).toContain(`stopped the sandbox (pid ${file.pid})`);
    expect(alive(file.pid)).toBe(false);
    expect(alive(file.dynamodb.pid)).toBe(false);
    const next = JSON.parse(readFileSync(join(cwd, '.chatctl', 'sandbox.json'), 'utf8'));
    expect(next.pid).not.toBe(file.pid);
    expect(alive(next.pid)).toBe(true);

    const down = chatctl('sandbox', 'stop');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`stopped the sandbox (pid ${next.pid})`);
    expect(alive(next.pid)).toBe(false);
    expect(alive(next.dynamodb.pid)).toBe(false);
    const final = chatctl('sandbox', 'status', '--json');
    expect(final.code, `${final.stdout}\n${final.stderr}`).toBe(3);
    const after = JSON.parse(final.stdout);
    expect(after).toMatchObject({ running: false });
  }, 600_000);
});
