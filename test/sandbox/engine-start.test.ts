// `sandbox up` starts DynamoDB Local before it loads the sandbox's modules (sandbox/engine-start.ts) and hands
// it to the Sandbox, which watches it as its own. This test starts an engine of its own and kills that JVM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../core/topology.js';
import { startSandboxEngine } from '../../sandbox/engine-start.js';
import { type Sandbox, start } from '../../sandbox/index.js';
import { readSandboxState, sandboxStatePath } from '../../sandbox/state.js';
import { eventually } from '../support/eventually.js';
import { alive } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'chatctl-engine-start-'));
let sandbox: Sandbox | undefined;

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('engine start', { timeout: 180_000 }, () => {
  it('engine start: the sandbox runs on the engine started before it, records it, and stops when it dies', async () => {
    const statePath = sandboxStatePath();
    const engine = startSandboxEngine({ host: '127.0.0.1', statePath });
    let stopAsked = 0;
    sandbox = await start(defaultTopology(), {
      port: 0,
      globalServices: false,
      surge: false,
      lag: 30,
      engine,
      statePath,
      onStopRequest: () => stopAsked++,
    });
    const early = await engine.started;
    expect(sandbox.state.dynamodb).toMatchObject({ endpoint: early.endpoint, pid: early.pid });
    expect((await readSandboxState(statePath))?.dynamodb.pid).toBe(early.pid);
    // Its tables were made on that engine: the regions answer /health (a read and a write each).
    await sandbox.ready();

    // The sandbox's handlers of the engine's events are attached: a death stops it, saying why.
    process.kill(early.pid, 'SIGKILL');
    await eventually(() => stopAsked === 1, 30_000);
    expect(sandbox.failure).toMatch(
      new RegExp(`^DynamoDB Local \\(pid ${early.pid}\\) was killed by SIGKILL`),
    );
    await sandbox.stop();
    sandbox = undefined;
    expect(alive(early.pid)).toBe(false);
  });
});
