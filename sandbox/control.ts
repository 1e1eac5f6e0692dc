/**
 * The control API's server side: each route of control-api.ts answered from a running Sandbox. A
 * UserError is the caller's mistake (400 with its message and hint); anything else is a 500.
 */

import type { ZodType } from 'zod';
import { UserError } from '../core/errors.js';
import { ROUTES, type Route } from '../core/protocol.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import { InvalidTokenError, signDevToken } from '../runtime/auth/dev-token.js';
import { consoleSnapshot } from './console/snapshot.js';
import type {
  AddRegionReply,
  ConsoleDrillsReply,
  ConsoleSnapshot,
  ConsoleTokenReply,
  ErrorReply,
  FaultReply,
  HealReply,
  RemoveRegionReply,
  StartDrillReply,
  StatusReply,
  StopReply,
  SurgeLanesReply,
} from './control-api.js';
import { CONTROL_INPUT, parseControlInput } from './control-input.js';
import type { ControlledSandbox } from './controlled.js';
import type { ControlHandler } from './edge.js';

type Reply =
  | StatusReply
  | FaultReply
  | HealReply
  | AddRegionReply
  | RemoveRegionReply
  | StopReply
  | ConsoleSnapshot
  | ConsoleTokenReply
  | ConsoleDrillsReply
  | StartDrillReply
  | SurgeLanesReply
  | ErrorReply;

export function controlHandler(sandbox: ControlledSandbox, requestStop: () => void): ControlHandler {
  const route = async (method: string, path: string, input: unknown) => {
    const parse = <T>(schema: ZodType<T>) => parseControlInput(schema, input, `${method} ${path}`);
    if (method === 'GET' && path === '/status') {
      const { state, faults, replication } = sandbox;
      return {
        status: 200,
        body: { state, faults: faults.list(), replication: replication.stats } satisfies StatusReply,
      };
    }
    if (method === 'GET' && path === '/console/snapshot') {
      return { status: 200, body: (await consoleSnapshot(sandbox)) satisfies ConsoleSnapshot };
    }
    if (method === 'POST' && path === '/console/token') {
      const { userId } = parse(CONTROL_INPUT.consoleToken);
      return { status: 200, body: consoleToken(userId) satisfies ConsoleTokenReply };
    }
    if (method === 'GET' && path === '/console/drills') {
      return { status: 200, body: (await sandbox.drills.list()) satisfies ConsoleDrillsReply };
    }
    if (method === 'POST' && path === '/console/drills') {
      // The drill's fields are checked by the console's drills against the kinds they start.
      const request = parse(CONTROL_INPUT.startDrill);
      return { status: 202, body: { drill: await sandbox.drills.start(request) } satisfies StartDrillReply };
    }
    if (method === 'POST' && path === '/faults') {
      const request = parse(CONTROL_INPUT.fault);
      const fault = sandbox.faults.inject(request.region, request.fault);
      return { status: 200, body: { fault } satisfies FaultReply };
    }
    if (method === 'POST' && path === '/heal') {
      const request = parse(CONTROL_INPUT.heal);
      return {
        status: 200,
        body: { healed: sandbox.faults.heal(request.region, request.fault) } satisfies HealReply,
      };
    }
    if (method === 'POST' && path === '/regions') {
      const { spec } = parse(CONTROL_INPUT.addRegion);
      const region = await sandbox.addRegion(spec);
      return { status: 200, body: { key: region.key, region: region.endpoints() } satisfies AddRegionReply };
    }
    if (method === 'DELETE' && path.startsWith('/regions/')) {
      await sandbox.removeRegion(decodeURIComponent(path.slice('/regions/'.length)));
      return { status: 200, body: { removed: true } satisfies RemoveRegionReply };
    }
    if (method === 'POST' && path === '/surge/lanes') {
      const body = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
      const region = String(body.region);
      if (!sandbox.regions.has(region)) throw new UserError(`no region "${region}" runs in this sandbox`);
      const lanes = body.lanes === null ? null : parseLanes(body.lanes);
      const now = sandbox.lanes.setRehearsalLanes(region, lanes);
      return {
        status: 200,
        body: { region, lanes: now, rehearsal: lanes !== null } satisfies SurgeLanesReply,
      };
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
      return await route(method, path, body);
    } catch (error) {
      const e = error as Error & { hint?: string; exitCode?: number };
      return {
        status: e.name === 'UserError' ? 400 : 500,
        body: {
          error: e.message,
          ...(e.hint ? { hint: e.hint } : {}),
          ...(e.name === 'UserError' ? { exitCode: e.exitCode } : {}),
        },
      };
    }
  };
}

/** Rehearsal lanes as the topology's `lanes` takes them: a route's reserved concurrency, at least 1. */
function parseLanes(value: unknown): Partial<Record<Route, number>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError('lanes must be an object of route: reserved concurrency, e.g. { "send": 8 }');
  }
  const lanes: Partial<Record<Route, number>> = {};
  for (const [route, n] of Object.entries(value)) {
    if (!(ROUTES as readonly string[]).includes(route)) throw new UserError(`no route "${route}"`);
    if (!Number.isInteger(n) || (n as number) < 1) {
      throw new UserError(`the ${route} lane must be a whole number of at least 1, not ${JSON.stringify(n)}`);
    }
    lanes[route as Route] = n as number;
  }
  return lanes;
}

/** A chat token for a console pane, signed with the sandbox's development-token secret. */
function consoleToken(userId: string): ConsoleTokenReply {
  try {
    return { token: signDevToken({ userId, ttlSeconds: 3600, secret: SANDBOX_DEV_TOKEN_SECRET }) };
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      throw new UserError(`invalid user id "${userId}": ${error.message}`, { hint: 'e.g. alice' });
    }
    throw error;
  }
}
