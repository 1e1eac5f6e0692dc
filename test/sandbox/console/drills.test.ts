/**
 * The console's drills, sandbox side (console/drills.ts): what it does with whatever drills hook it was
 * given. The hook here is scripted, standing in for the CLI's (which test/cli/ops/drill/console.test.ts runs
 * for real against a sandbox): it is the sandbox's caller, not an AWS service, so nothing AWS is mocked. The
 * routes without a hook run on a real sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../../core/topology.js';
import { ConsoleDrills, type DrillContext, type SandboxDrills } from '../../../sandbox/console/drills.js';
import type { ConsoleDrill, StartDrillRequest } from '../../../sandbox/control-api.js';
import type { Sandbox } from '../../../sandbox/index.js';
import type { SandboxState } from '../../../sandbox/state.js';
import { startTestSandbox } from '../support.js';

const view = (id: string, state: ConsoleDrill['state'], status = 'pending'): ConsoleDrill => ({
  id,
  kind: 'failover',
  region: 'tokyo',
  target: 'sandbox',
  dryRun: true,
  state,
  startedAt: new Date().toISOString(),
  steps: [{ name: 'preflight', title: 'Preflight', status: status as 'pending' }],
  ...(state === 'finished' ? { verdict: 'passed' as const } : {}),
});

/** A hook whose drills end when the test says (or when the signal aborts), recording what it was asked. */
function scriptedHook() {
  const requests: StartDrillRequest[] = [];
  const contexts: DrillContext[] = [];
  const ends: (() => void)[] = [];
  let count = 0;
  const hook: SandboxDrills = {
    kinds: ['failover'],
    list: async () => [],
    async start(request, context) {
      requests.push(request);
      contexts.push(context);
      const id = `d${++count}`;
      // A step change that arrives before start() resolves.
      context.onChange(view(id, 'running', 'running'));
      const finished = new Promise<ConsoleDrill>((resolve) => {
        const end = () => resolve(view(id, 'finished', 'passed'));
        ends.push(end);
        context.signal.addEventListener('abort', () => setTimeout(end, 50), { once: true });
      });
      return { drill: view(id, 'running'), finished };
    },
  };
  return { hook, requests, contexts, ends };
}

const here = () => ({ topology: defaultTopology(), state: {} as SandboxState });

describe('console drills, sandbox side', () => {
  it('console drills: a started drill is live with its newest view, and one runs at a time', async () => {
    const { hook, requests, ends } = scriptedHook();
    const drills = new ConsoleDrills(hook, here);
    const drill = await drills.start({ kind: 'failover', region: 'tokyo' });
    expect(drill.id).toBe('d1');
    // The change reported before start() resolved is not overwritten by the older view it returned.
    expect(drills.live?.steps[0].status).toBe('running');
    expect(requests[0]).toEqual({ kind: 'failover', region: 'tokyo', dryRun: true });
    await expect(drills.start({ kind: 'failover', region: 'na' })).rejects.toThrow(
      'drill d1 (failover of tokyo) is still running; the console runs one drill at a time',
    );
    ends[0]();
    await new Promise((r) => setTimeout(r, 0));
    expect(drills.live).toMatchObject({ id: 'd1', state: 'finished', verdict: 'passed' });
    const next = await drills.start({ kind: 'failover', region: 'na', dryRun: false, holdMs: 500 });
    expect(next.id).toBe('d2');
    expect(requests[1]).toEqual({ kind: 'failover', region: 'na', dryRun: false, holdMs: 500 });
    ends[1]();
  });

  it('console drills: a bad request is a sentence naming what is wrong, and the hook is not called', async () => {
    const { hook, requests } = scriptedHook();
    const drills = new ConsoleDrills(hook, here);
    await expect(drills.start({ kind: 'chaos', region: 'tokyo' })).rejects.toMatchObject({
      message: 'unknown drill kind "chaos"',
      hint: 'the console starts: failover',
    });
    await expect(drills.start({ kind: 'failover' })).rejects.toThrow('a drill needs the region to take out');
    await expect(drills.start({ kind: 'failover', region: 'tokyo', dryRun: 'yes' })).rejects.toThrow(
      'dryRun must be true or false',
    );
    await expect(drills.start({ kind: 'failover', region: 'tokyo', holdMs: '5s' })).rejects.toThrow(
      /holdMs must be a number/,
    );
    expect(requests).toEqual([]);
    expect(drills.live).toBeUndefined();
  });

  it('console drills: a hook that cannot start leaves the console free for the next drill', async () => {
    const { hook } = scriptedHook();
    let refuse = true;
    const refusing: SandboxDrills = {
      ...hook,
      start: (request, context) =>
        refuse ? Promise.reject(new Error('drill X (na) is running')) : hook.start(request, context),
    };
    const drills = new ConsoleDrills(refusing, here);
    await expect(drills.start({ kind: 'failover', region: 'tokyo' })).rejects.toThrow(
      'drill X (na) is running',
    );
    refuse = false;
    await expect(drills.start({ kind: 'failover', region: 'tokyo' })).resolves.toMatchObject({ id: 'd1' });
  });

  it('console drills: stop interrupts the running drill and waits until it has ended', async () => {
    const { hook, contexts } = scriptedHook();
    const drills = new ConsoleDrills(hook, here);
    await drills.start({ kind: 'failover', region: 'tokyo' });
    await drills.stop();
    expect(contexts[0].signal.aborted).toBe(true);
    expect(drills.live?.state).toBe('finished');
    await expect(drills.start({ kind: 'failover', region: 'tokyo' })).rejects.toThrow(
      'the sandbox is stopping',
    );
  });
});

describe('console drills routes without a hook', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox?.stop();
  });
  const call = (method: string, body?: unknown) =>
    fetch(`${sandbox.edge}/_chatctl/console/drills`, {
      method,
      headers: { 'x-chatctl-secret': sandbox.controlSecret, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('console drills: GET says drills are not available, POST says how to get them', async () => {
    const list = await call('GET');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ available: false, kinds: [], drills: [] });
    const start = await call('POST', { kind: 'failover', region: 'tokyo' });
    expect(start.status).toBe(400);
    expect(await start.json()).toMatchObject({
      error: 'this sandbox was started without drills',
      hint: expect.stringMatching(/chatctl sandbox up/),
    });
    const snapshot = await fetch(`${sandbox.edge}/_chatctl/console/snapshot`, {
      headers: { 'x-chatctl-secret': sandbox.controlSecret },
    });
    expect(await snapshot.json()).not.toHaveProperty('drill');
  });
});
