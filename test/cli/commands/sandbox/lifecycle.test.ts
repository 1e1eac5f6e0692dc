// Runs the built CLI (npm test builds first) as separate processes, as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../../../../core/process.js';

const bin = resolve('bin/run.js');
const cwd = mkdtempSync(join(tmpdir(), 'chatctl-sandbox-'));

function chatctl(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const alive = pidAlive;

afterAll(() => {
  chatctl('sandbox', 'down');
  rmSync(cwd, { recursive: true, force: true });
});

describe('sandbox cli', () => {
  it('sandbox up --detach / status --json / fault / heal / down: runs as processes, refuses a second up, leaves nothing running', async () => {
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

    const second = chatctl('sandbox', 'up', '--detach', '--port', '0');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already running/);

    const fault = chatctl('sandbox', 'fault', 'tokyo', 'gateway-down');
    expect(fault.code, fault.stderr).toBe(0);
    expect((await fetch(parsed.state.regions.tokyo.healthUrl)).status).toBe(503);
    const faulty = JSON.parse(chatctl('sandbox', 'status', '--json').stdout);
    expect(faulty.faults).toMatchObject([{ region: 'tokyo', fault: 'gateway-down' }]);
    const heal = chatctl('sandbox', 'heal', 'tokyo');
    expect(heal.code, heal.stderr).toBe(0);
    expect((await fetch(parsed.state.regions.tokyo.healthUrl)).status).toBe(200);

    const down = chatctl('sandbox', 'down');
    expect(down.code, down.stderr).toBe(0);
    expect(alive(file.pid)).toBe(false);
    expect(alive(file.dynamodb.pid)).toBe(false);
    const final = chatctl('sandbox', 'status', '--json');
    expect(final.code, `${final.stdout}\n${final.stderr}`).toBe(3);
    const after = JSON.parse(final.stdout);
    expect(after).toMatchObject({ running: false });
  }, 180_000);
});
