/**
 * The drills hook `sandbox up` hands the sandbox, against a real sandbox: a dry run started through the hook
 * reports each step as it changes, the console's routes start one and list it with its timeline, and the
 * refusals (unknown kind or region, a drill already running, another origin, no secret) are sentences.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleDrills } from '../../../../cli/ops/drill/console.js';
import { readJournal } from '../../../../cli/ops/drill/journal.js';
import type { ConsoleDrill, ConsoleDrillsReply, ConsoleSnapshot } from '../../../../sandbox/control-api.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { holdDrillJournal } from './held-journal.js';
import { startDrillSandbox } from './support.js';

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatctl-console-drills-'));
  ({ sandbox } = await startDrillSandbox({
    drills: consoleDrills({ dir, healthTimeoutMs: 8000 }),
  }));
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.edge}/_chatctl${path}`, {
    method,
    headers: {
      'x-chatctl-secret': sandbox.controlSecret,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Until the console's live drill has ended (as the page sees it, in the snapshot). */
async function liveDrillEnded(id: string, timeoutMs = 60_000): Promise<ConsoleDrill> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call('GET', '/console/snapshot');
    const drill = (body as unknown as ConsoleSnapshot).drill;
    if (drill?.id === id && drill.state === 'finished') return drill;
    if (Date.now() > deadline) throw new Error(`drill ${id} did not end: ${JSON.stringify(drill)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('console drills hook', { timeout: 90_000 }, () => {
  it('console drills: a dry run started through the hook reports every step change, then its end', async () => {
    const hook = consoleDrills({ dir, healthTimeoutMs: 8000 });
    const changes: ConsoleDrill[] = [];
    const controller = new AbortController();
    const started = await hook.start(
      { kind: 'failover', region: 'tokyo', dryRun: true },
      {
        topology: sandbox.topology,
        state: sandbox.state,
        signal: controller.signal,
        onChange: (drill) => changes.push(drill),
      },
    );
    expect(started.drill).toMatchObject({
      kind: 'failover',
      region: 'tokyo',
      dryRun: true,
      state: 'running',
    });
    expect(started.drill.timelineSvg).toBeUndefined();
    const end = await started.finished;
    expect(end.verdict, JSON.stringify(end.steps, null, 1)).toBe('passed');
    expect(end.state).toBe('finished');
    // Preflight was seen running, then passed; every step that changes something was skipped.
    const preflight = changes.map((c) => c.steps.find((s) => s.name === 'preflight')?.status);
    expect(preflight).toContain('running');
    expect(preflight.indexOf('running')).toBeLessThan(preflight.indexOf('passed'));
    expect(end.steps.find((s) => s.name === 'drain')).toMatchObject({
      status: 'skipped',
      detail: 'dry run: not changed',
    });
    expect(changes.at(-1)?.state).toBe('finished');
    // Each view is a copy: a later change does not rewrite an earlier one.
    expect(changes[0].steps[0].status).not.toBe(end.steps[0].status);
    expect(end.timelineSvg).toMatch(/<svg[^>]*>.*preflight \(passed\)/s);
    const listed = await hook.list();
    expect(listed[0]).toMatchObject({ id: end.id, state: 'finished', verdict: 'passed' });
  });

  it('console drills: POST /console/drills starts a dry run the snapshot follows, then GET lists it with its timeline', async () => {
    const before = ((await call('GET', '/console/drills')).body as unknown as ConsoleDrillsReply).drills;
    // Seoul is the China proxy's origin: the drill's safety rules want the origin moved first (not, in a dry run).
    const started = await call('POST', '/console/drills', {
      kind: 'failover',
      region: 'seoul',
      moveChinaOrigin: true,
    });
    expect(started.status).toBe(202);
    const drill = started.body.drill as ConsoleDrill;
    expect(drill).toMatchObject({ region: 'seoul', dryRun: true, state: 'running' });

    const second = await call('POST', '/console/drills', { kind: 'failover', region: 'na' });
    expect(second.status).toBe(400);
    expect(second.body.error).toMatch(new RegExp(`drill ${drill.id} .*still running; .*one drill at a time`));

    const end = await liveDrillEnded(drill.id);
    expect(end.verdict, JSON.stringify(end.steps, null, 1)).toBe('passed');
    const reply = (await call('GET', '/console/drills')).body as unknown as ConsoleDrillsReply;
    expect(reply).toMatchObject({ available: true, kinds: ['failover'] });
    expect(reply.drills).toHaveLength(before.length + 1);
    expect(reply.drills[0]).toMatchObject({ id: drill.id, state: 'finished', verdict: 'passed' });
    expect(reply.drills[0].timelineSvg).toContain(`Failover drill ${drill.id}: seoul, passed (dry run)`);
  });

  it('console drills: an unknown kind or region is refused with a sentence, and nothing is journalled', async () => {
    const files = await readdir(dir);
    const kind = await call('POST', '/console/drills', { kind: 'surge', region: 'tokyo' });
    expect(kind.status).toBe(400);
    expect(kind.body).toMatchObject({
      error: 'unknown drill kind "surge"',
      hint: 'the console starts: failover',
    });
    const region = await call('POST', '/console/drills', { kind: 'failover', region: 'mars' });
    expect(region.status).toBe(400);
    expect(region.body.error).toMatch(/mars/);
    const hold = await call('POST', '/console/drills', { kind: 'failover', region: 'tokyo', holdMs: -1 });
    expect(hold.status).toBe(400);
    expect(hold.body.error).toMatch(/holdMs/);
    expect(await readdir(dir)).toEqual(files);
  });

  it('console drills: a real drill while another holds the journal lock is refused with what to do', async () => {
    const holder = await holdDrillJournal(dir, '20260101T000000Z-na-test');
    try {
      const refused = await call('POST', '/console/drills', {
        kind: 'failover',
        region: 'tokyo',
        dryRun: false,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(
        /drill 20260101T000000Z-na-test \(na\) is running .*one drill at a time/,
      );
      expect(refused.body.hint).toMatch(/chatctl drill abort/);
      // The sandbox's own one-at-a-time guard was let go: a dry run (no lock) starts.
      const dry = await call('POST', '/console/drills', { kind: 'failover', region: 'tokyo' });
      expect(dry.status).toBe(202);
      await liveDrillEnded((dry.body.drill as ConsoleDrill).id);
    } finally {
      await holder.release();
    }
  });

  it('console drills: another origin, or a request without the secret, cannot start a drill', async () => {
    const before = ((await call('GET', '/console/drills')).body as unknown as ConsoleDrillsReply).drills;
    const fromPage = await call(
      'POST',
      '/console/drills',
      { kind: 'failover', region: 'tokyo' },
      { origin: 'http://evil.example' },
    );
    expect(fromPage.status).toBe(403);
    const noSecret = await fetch(`${sandbox.edge}/_chatctl/console/drills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'failover', region: 'tokyo' }),
    });
    expect(noSecret.status).toBe(403);
    const listWithoutSecret = await fetch(`${sandbox.edge}/_chatctl/console/drills`);
    expect(listWithoutSecret.status).toBe(403);
    const after = ((await call('GET', '/console/drills')).body as unknown as ConsoleDrillsReply).drills;
    expect(after.map((d) => d.id)).toEqual(before.map((d) => d.id));
  });

  // Last: it stops the file's sandbox.
  it('console drills: stopping the sandbox interrupts a real drill in its hold, which restores the region first', async () => {
    const started = await call('POST', '/console/drills', {
      kind: 'failover',
      region: 'tokyo',
      dryRun: false,
      holdMs: 600_000,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = (started.body.drill as ConsoleDrill).id;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const drill = ((await call('GET', '/console/snapshot')).body as unknown as ConsoleSnapshot).drill;
      if (drill?.steps.find((s) => s.name === 'hold')?.status === 'running') break;
      if (drill?.state === 'finished' || Date.now() > deadline) {
        throw new Error(`the drill did not reach its hold: ${JSON.stringify(drill?.steps)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await sandbox.stop();
    const journal = await readJournal(dir, id);
    expect(journal).toMatchObject({
      state: 'finished',
      verdict: 'aborted',
      endReason: 'interrupted (the sandbox is stopping)',
      changes: { drained: true, restored: true },
    });
    expect(journal?.steps.find((s) => s.name === 'restore')?.status).toBe('passed');
  });
});
