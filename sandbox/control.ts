/**
 * The control API's server side: each route of control-api.ts answered from a running Sandbox. A
 * UserError is the caller's mistake (400 with its message and hint); anything else is a 500.
 */
import type { RegionSpec } from '../core/topology.js';
import type {
  AddRegionReply,
  ErrorReply,
  FaultReply,
  HealReply,
  RemoveRegionReply,
  StatusReply,
  StopReply,
} from './control-api.js';
import type { ControlHandler } from './edge.js';
import type { Sandbox } from './sandbox.js';

type Reply =
  | StatusReply
  | FaultReply
  | HealReply
  | AddRegionReply
  | RemoveRegionReply
  | StopReply
  | ErrorReply;

export function controlHandler(sandbox: Sandbox, requestStop: () => void): ControlHandler {
  const route = async (method: string, path: string, input: Record<string, unknown>) => {
    if (method === 'GET' && path === '/status') {
      const { state, faults, replication } = sandbox;
      return {
        status: 200,
        body: { state, faults: faults.list(), replication: replication.stats } satisfies StatusReply,
      };
    }
    if (method === 'POST' && path === '/faults') {
      const fault = sandbox.faults.inject(String(input.region), String(input.fault));
      return { status: 200, body: { fault } satisfies FaultReply };
    }
    if (method === 'POST' && path === '/heal') {
      const kind = input.fault === undefined || input.fault === null ? undefined : String(input.fault);
      return {
        status: 200,
        body: { healed: sandbox.faults.heal(String(input.region), kind) } satisfies HealReply,
      };
    }
    if (method === 'POST' && path === '/regions') {
      const region = await sandbox.addRegion(input.spec as RegionSpec);
      return { status: 200, body: { key: region.key, region: region.endpoints() } satisfies AddRegionReply };
    }
    if (method === 'DELETE' && path.startsWith('/regions/')) {
      await sandbox.removeRegion(decodeURIComponent(path.slice('/regions/'.length)));
      return { status: 200, body: { removed: true } satisfies RemoveRegionReply };
    }
    if (method === 'POST' && path === '/stop') {
      setImmediate(requestStop);
      return { status: 202, body: { stopping: true } satisfies StopReply };
    }
    return { status: 404, body: { error: `no control route ${method} ${path}` } satisfies ErrorReply };
  };
  return async (method, path, body): Promise<{ status: number; body: Reply }> => {
    if (!sandbox.running) return { status: 503, body: { error: 'the sandbox is starting' } };
    try {
      return await route(method, path, (body ?? {}) as Record<string, unknown>);
    } catch (error) {
      const e = error as Error & { hint?: string };
      return {
        status: e.name === 'UserError' ? 400 : 500,
        body: { error: e.message, ...(e.hint ? { hint: e.hint } : {}) },
      };
    }
  };
}
