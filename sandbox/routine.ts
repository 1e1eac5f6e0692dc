/**
 * Routine traffic: what the sandbox's own machinery does while nobody uses it. Route 53's health checkers GET
 * every region's /health each second and the chat canaries connect, join, send and leave every two seconds in
 * every region; each of those runs handlers, which make AWS requests, relays and writes that replicate. The
 * log keeps all of it at debug level and counts it in a summary line (log.ts), so an idle sandbox's log grows
 * by a line every few minutes, not by megabytes.
 *
 * A handler call is routine when its event comes from a checker or a canary (their User-Agent); everything it
 * causes in this process (its AWS requests through the in-process transport, the relays it invokes) runs in its
 * async context and is routine too. A replicated item is routine by its keys: the canary's rooms and
 * connections, the health probe's item, and the regions' load-level items (the surge controller refreshes
 * the replication lag it stores there; an operator's level change is logged as its own request).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ATTR, keys } from '../core/datamodel.js';
import { CANARY_USER_AGENT, ROUTE53_HEALTH_CHECK_USER_AGENT } from '../core/observability.js';
import type { Image } from './replication/versions.js';

const routine = new AsyncLocalStorage<true>();

/** Whether the code running now serves a checker or a canary. */
export function inRoutine(): boolean {
  return routine.getStore() === true;
}

/** Runs `work` as routine traffic when `isRoutine` (what it calls and awaits inherits that). */
export function runRoutine<T>(isRoutine: boolean, work: () => T): T {
  return isRoutine ? routine.run(true, work) : work();
}

/** A User-Agent of the sandbox's own probes: Route 53's health checkers and the chat canary. */
export function isRoutineAgent(userAgent: string | undefined): boolean {
  return (
    userAgent !== undefined &&
    (userAgent.startsWith(CANARY_USER_AGENT) || userAgent.startsWith(ROUTE53_HEALTH_CHECK_USER_AGENT))
  );
}

/** The User-Agent an API Gateway event carries: a WebSocket event's identity, or an HTTP API's. */
export function eventUserAgent(event: unknown): string | undefined {
  const context = (event as { requestContext?: Record<string, unknown> } | undefined)?.requestContext;
  const identity = context?.identity as { userAgent?: unknown } | undefined;
  const http = context?.http as { userAgent?: unknown } | undefined;
  const agent = identity?.userAgent ?? http?.userAgent;
  return typeof agent === 'string' ? agent : undefined;
}

/** The canary's rooms and user ids are `canary-<region>` (core/observability.ts). */
const CANARY_PREFIX = 'canary-';

/**
 * Whether a changed item is one the checkers or canaries wrote: the health probe's item, anything in a canary
 * room, a canary's connection. `image` is the item's new image, or for a delete its old one.
 */
export function isRoutineItem(itemKeys: Image, image: Image | undefined): boolean {
  const text = (value: unknown) => (value as { S?: unknown } | undefined)?.S;
  const pk = String(text(itemKeys[ATTR.pk]) ?? '');
  if (pk === keys.healthPk) return true;
  if (pk === keys.configPk && String(text(itemKeys[ATTR.sk]) ?? '').startsWith(keys.loadSk(''))) return true;
  if (pk.startsWith(keys.roomPk(CANARY_PREFIX))) return true;
  return pk.startsWith('CONN#') && String(text(image?.userId) ?? '').startsWith(CANARY_PREFIX);
}
