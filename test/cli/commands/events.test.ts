// Runs the built CLI (`npm test` builds first) against a sandbox started in this process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology, serializeTopology } from '../../../core/topology.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { writeSandboxState } from '../../../sandbox/state.js';
import { startTestSandbox } from '../../sandbox/support.js';
import { connect } from '../../sandbox/ws-client.js';
import { runCli } from '../../support/cli.js';
import { eventually } from '../../support/eventually.js';

let cwd: string;
let sandbox: Sandbox;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-events-'));
  await writeFile(join(cwd, 'chatctl.json'), serializeTopology(defaultTopology()));
  sandbox = await startTestSandbox();
  await writeSandboxState(sandbox.state, join(cwd, '.chatctl', 'sandbox.json'));
});

afterAll(async () => {
  await sandbox?.stop();
  await rm(cwd, { recursive: true, force: true });
});

// Five CLI processes and a chat round trip: 20 s alone, more on a busy 2-core machine.
describe('chatctl events tail', { timeout: 90_000 }, () => {
  it('events tail: prints the archive, filtered by type, as lines or JSON lines', async () => {
    const room = `tail-${Date.now()}`;
    const ana = await connect(sandbox.regions.get('tokyo')!.websocketUrl, 'ana');
    ana.send({ action: 'join', roomId: room });
    await ana.next((f) => f.type === 'joined');
    ana.send({ action: 'send', roomId: room, text: 'hello tail', clientMsgId: 'tail1' });
    await ana.next((f) => f.type === 'ack');
    await ana.close();
    const args = ['events', 'tail', '--from-start', '--no-follow', '--room', room];
    await eventually(async () => {
      const run = await runCli([...args, '--json'], { cwd });
      return run.stdout.trim().split('\n').length === 3;
    });
    const json = await runCli([...args, '--json', '--type', 'chat.message.sent'], { cwd });
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].event).toMatchObject({ type: 'chat.message.sent', region: 'tokyo', text: 'hello tail' });
    const human = await runCli(args, { cwd });
    expect(human.stdout).toMatch(/tokyo\s+tail-\d+\s+chat\.message\.sent\s+ana: hello tail/);
    expect(human.stdout).toMatch(/chat\.member\.joined/);
    const bad = await runCli(['events', 'tail', '--type', 'chat.nope'], { cwd });
    expect(bad.code).toBe(2);
  });
});
