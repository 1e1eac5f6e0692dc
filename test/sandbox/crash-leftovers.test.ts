// Whatever kills the sandbox and when, its DynamoDB Local does not outlive it: the engine's watchdog stops the
// JVM and removes its temp folder; `up` and `down` clear what is left (sandbox.json, engine.json) and never
// start a second JVM beside a first. Runs the built CLI as processes (npm test builds first).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../core/process.js';
import type { EngineRecord } from '../../sandbox/engine-process.js';
import type { SandboxState } from '../../sandbox/state.js';
import { eventually } from '../support/eventually.js';
import { alive, chatctlIn } from './cli-run.js';

const cwd = mkdtempSync(join(tmpdir(), 'chatctl-crash-'));
const home = join(cwd, '.chatctl');
const chatctl = chatctlIn(cwd);
const started: ChildProcess[] = [];

const readState = () => JSON.parse(readFileSync(join(home, 'sandbox.json'), 'utf8')) as SandboxState;
const enginePath = join(home, 'engine.json');
const readRecord = () => JSON.parse(readFileSync(enginePath, 'utf8')) as EngineRecord;

/** `chatctl sandbox up` in the foreground, as a user runs it, until its engine has been started (engine.json). */
async function upUntilEngine(): Promise<{ up: ChildProcess; record: EngineRecord }> {
  rmSync(enginePath, { force: true });
  const up = spawn(process.execPath, [resolve('bin/run.js'), 'sandbox', 'up', '--port', '0'], {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1', CHATCTL_HOME: home },
  });
  started.push(up);
  await eventually(() => existsSync(enginePath), 60_000);
  const record = readRecord();
  expect(record.owner.pid).toBe(up.pid);
  return { up, record };
}

/** The watchdog's other children: its reader of the pipe from the sandbox (Linux's /proc). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(' ').map(Number) : [];
}

afterAll(() => {
  for (const up of started) if (up.exitCode === null) up.kill('SIGKILL');
  chatctl('sandbox', 'down');
  rmSync(cwd, { recursive: true, force: true });
});

describe('crash leftovers', () => {
  it('crash leftovers: kill -9 of sandbox up during start-up takes its JVM and temp folder with it; down clears engine.json and says so', async () => {
    const { up, record } = await upUntilEngine();
    const jvm = record.engine.pid;
    expect(commandLine(jvm)).toContain('DynamoDBLocal');
    up.kill('SIGKILL');
    await eventually(() => !alive(jvm), 15_000);
    await eventually(() => !existsSync(record.launcherDir!), 15_000);
    expect(existsSync(join(home, 'sandbox.json'))).toBe(false);

    const down = chatctl('sandbox', 'down', '--json');
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(down.stdout).toContain(`cleared ${enginePath} (the engine record of sandbox pid ${up.pid}`);
    expect(existsSync(enginePath)).toBe(false);
  }, 120_000);

  it('crash leftovers: with the watchdog killed too, up finds the JVM a crashed start left, stops it and says so, and starts one engine', async () => {
    if (!existsSync('/proc/self/task')) return; // the watchdog's reader is found through Linux's /proc
    const { up, record } = await upUntilEngine();
    const jvm = record.engine.pid;
    const watchdog = record.watchdogPid!;
    // Everything but the JVM: the sandbox, the watchdog and its reader.
    for (const pid of childrenOf(watchdog).filter((p) => p !== jvm)) process.kill(pid, 'SIGKILL');
    process.kill(watchdog, 'SIGKILL');
    up.kill('SIGKILL');
    await eventually(() => !alive(up.pid!) && !alive(watchdog), 5_000);
    expect(alive(jvm)).toBe(true);

    const again = chatctl('sandbox', 'up', '--detach', '--port', '0');
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stderr).toContain(
      `stopped the DynamoDB Local (pid ${jvm}) that a crashed start left running`,
    );
    expect(alive(jvm)).toBe(false);
    const state = readState();
    expect(state.dynamodb.pid).not.toBe(jvm);
    expect(readRecord().engine.pid).toBe(state.dynamodb.pid);

    // After a kill -9 of the running sandbox, its JVM goes too, and down clears what is left.
    process.kill(state.pid, 'SIGKILL');
    await eventually(() => !alive(state.dynamodb.pid), 15_000);
    const down = chatctl('sandbox', 'down', '--json');
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(down.stdout).toContain(`the sandbox (pid ${state.pid}) was not running; cleared its state`);
    expect(existsSync(enginePath)).toBe(false);
  }, 180_000);

  it('crash leftovers: up while another up is starting is refused and starts no JVM; down stops the start', async () => {
    const { up, record } = await upUntilEngine();
    // Held in its start-up (SIGSTOP), so that it is still starting whatever this machine's speed.
    process.kill(up.pid!, 'SIGSTOP');
    const second = chatctl('sandbox', 'up', '--detach', '--port', '0');
    process.kill(up.pid!, 'SIGCONT');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`a sandbox is starting on this machine (pid ${up.pid}); nothing started`);
    expect(readRecord().engine.pid).toBe(record.engine.pid);
    expect(existsSync(join(home, 'sandbox.json'))).toBe(false);

    const down = chatctl('sandbox', 'down', '--json');
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(down.stdout).toMatch(
      new RegExp(
        `stopped the sandbox that was starting \\(pid ${up.pid}\\)|stopped the sandbox \\(pid ${up.pid}\\)`,
      ),
    );
    await eventually(() => !alive(record.engine.pid), 15_000);
    // Exited (alive() would also see a zombie this process has not reaped yet).
    await eventually(() => up.exitCode !== null || up.signalCode !== null, 15_000);
  }, 120_000);
});
