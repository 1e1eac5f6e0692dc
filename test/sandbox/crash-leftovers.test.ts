// A crashed sandbox (kill -9 of its process) leaves its DynamoDB Local running: `up` and `down` find it from
// sandbox.json, stop it and say so. Runs the built CLI as processes (npm test builds first).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../sandbox/state.js';
import { alive, chatctlIn } from './cli-run.js';

const cwd = mkdtempSync(join(tmpdir(), 'chatctl-crash-'));
const chatctl = chatctlIn(cwd);

const readState = () =>
  JSON.parse(readFileSync(join(cwd, '.chatctl', 'sandbox.json'), 'utf8')) as SandboxState;

async function waitDead(pid: number): Promise<void> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

afterAll(() => {
  chatctl('sandbox', 'down');
  rmSync(cwd, { recursive: true, force: true });
});

describe('crash leftovers', () => {
  it('crash leftovers: after kill -9, up --persist stops the old engine and says so, and down after another crash does too', async () => {
    const first = chatctl('sandbox', 'up', '--detach', '--port', '0', '--persist');
    expect(first.code, first.stderr).toBe(0);
    const crashed = readState();
    process.kill(crashed.pid, 'SIGKILL');
    await waitDead(crashed.pid);
    expect(alive(crashed.dynamodb.pid)).toBe(true);

    const again = chatctl('sandbox', 'up', '--detach', '--port', '0', '--persist');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`stopped the DynamoDB Local (pid ${crashed.dynamodb.pid})`);
    expect(alive(crashed.dynamodb.pid)).toBe(false);

    const second = readState();
    process.kill(second.pid, 'SIGKILL');
    await waitDead(second.pid);
    const down = chatctl('sandbox', 'down', '--json');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`stopped the DynamoDB Local (pid ${second.dynamodb.pid})`);
    expect(alive(second.dynamodb.pid)).toBe(false);
  }, 180_000);
});
