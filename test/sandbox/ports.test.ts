// Ports are predictable from the edge port: the edge, then each region, then the China proxy, then DNS; a
// taken port is an error naming it and the flag that moves it.
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultTopology } from '../../core/topology.js';
import { planPorts } from '../../sandbox/ports.js';
import { startTestSandbox } from './support.js';

/** A base port whose next `count` ports are free now (a run of free ports, found by listening on them). */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await hold(base + i));
      return base;
    } catch {
      // taken: try another run
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no run of free ports');
}

function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('sandbox ports', () => {
  it('ports: the edge, each region in order, the China proxy, then DNS take consecutive ports', async () => {
    const topology = { ...defaultTopology(), china: { ...defaultTopology().china, enabled: true } };
    const base = await freeRun(6);
    const sandbox = await startTestSandbox({ port: base, globalServices: true }, topology);
    try {
      const state = sandbox.state;
      expect(new URL(state.edge).port).toBe(String(base));
      expect(Object.values(state.regions).map((r) => Number(new URL(r.healthUrl).port))).toEqual([
        base + 1,
        base + 2,
        base + 3,
      ]);
      expect(Number(new URL(state.china?.url ?? '').port)).toBe(base + 4);
      expect(state.dns?.port).toBe(base + 5);
      const plan = planPorts(base, 3);
      expect([plan.china, plan.dns, plan.region(3)]).toEqual([base + 4, base + 5, base + 6]);
    } finally {
      await sandbox.stop();
    }
  });

  it('ports: a taken region port is an error naming the port, the region and --port, and nothing is left running', async () => {
    const base = await freeRun(4);
    const squatter = await hold(base + 2);
    try {
      await expect(startTestSandbox({ port: base })).rejects.toMatchObject({
        name: 'UserError',
        message: `port ${base + 2} is already in use, so the gateway of region tokyo cannot listen there`,
        hint: expect.stringContaining('--port N'),
      });
      // Everything that did start was stopped: the edge's port is free again.
      (await hold(base)).close();
    } finally {
      squatter.close();
    }
  });
});
