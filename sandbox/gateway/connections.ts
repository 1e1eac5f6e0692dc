/**
 * A gateway's open WebSocket connections and what every phase shares: the gateway's context, the idle and
 * maximum-connection timers API Gateway applies, and the one way a connection ends (its $disconnect).
 */

import type { WebSocket } from 'ws';
import type { AccessPolicy } from '../access.js';
import { type ApiInfo, type ConnectionInfo, disconnectEvent } from './events.js';
import type { GatewayOptions } from './options.js';
import type { StageThrottle } from './stage-throttle.js';

export interface Connection extends ConnectionInfo {
  readonly socket: WebSocket;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  disconnected: boolean;
}

/** What the phases of one gateway (upgrade, messages, management, health) share. */
export interface GatewayContext {
  readonly options: GatewayOptions;
  readonly api: ApiInfo;
  readonly idleTimeoutMs: number;
  readonly maxConnectionMs: number;
  /** API Gateway's frame limit (32 KB). */
  readonly frameBytes: number;
  readonly connections: Map<string, Connection>;
  /** The port it listens on (known once listening). */
  port(): number;
  /** Handler calls still running are awaited on stop, so nothing runs against a stopped sandbox. */
  track<T>(work: Promise<T>): Promise<T>;
  report(error: unknown, where: string): void;
  /** Browser origins and SigV4 (../access.ts). */
  access(): AccessPolicy;
  /** The stage throttles: the WebSocket stage's (upgrades) and the health API's (GET /health). */
  readonly throttles: { readonly stage: StageThrottle; readonly health: StageThrottle };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** API Gateway closes a connection idle for the idle timeout (10 min) with 1001 Going away. */
export function resetIdle(context: GatewayContext, conn: Connection): void {
  conn.lastActiveAt = Date.now();
  if (conn.idleTimer) clearTimeout(conn.idleTimer);
  conn.idleTimer = setTimeout(() => conn.socket.close(1001, 'Going away'), context.idleTimeoutMs);
  conn.idleTimer.unref();
}

/** Starts a connection's timers once it is open (idle timeout and maximum connection time). */
export function open(context: GatewayContext, conn: Connection): void {
  context.connections.set(conn.id, conn);
  resetIdle(context, conn);
  conn.maxTimer = setTimeout(() => conn.socket.close(1001, 'Going away'), context.maxConnectionMs);
  conn.maxTimer.unref();
}

/** Ends a connection once, with its $disconnect event (however it ended). */
export async function disconnect(
  context: GatewayContext,
  conn: ConnectionInfo & Partial<Connection>,
  code: number,
  reason: string,
): Promise<void> {
  if (conn.disconnected) return;
  conn.disconnected = true;
  context.connections.delete(conn.id);
  if (conn.idleTimer) clearTimeout(conn.idleTimer);
  if (conn.maxTimer) clearTimeout(conn.maxTimer);
  try {
    await context.options.app().disconnect(disconnectEvent(context.api, conn, code, reason));
  } catch (error) {
    context.report(error, `$disconnect of ${conn.id} in ${context.options.regionKey}`);
  }
}
