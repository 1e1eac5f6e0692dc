/**
 * Probes over the one chat client: a ping (which region answers, and how fast), and two users chatting both
 * ways through two endpoints (used by `china test` and the drill's chat check).
 */
import { findRegion } from '../../../core/topology.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import { ChatClientError } from '../../../runtime/chat-client/socket.js';
import type { Target } from '../target.js';
import { round } from '../time.js';

export interface PingResult {
  /** The region key (or AWS region) the pong names. */
  region: string;
  /** Connect plus ping round trip. */
  totalMs: number;
  connectMs: number;
  rttMs: number;
}

/**
 * Connects, sends `ping`, waits for `pong`; the connection is closed afterwards whatever happens. The endpoint
 * may name a host reached at a DNS answer (the global name, as a user's client reaches it).
 */
export async function pingOnce(
  endpoint: string | { readonly url: string; readonly address?: string },
  token: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PingResult> {
  const started = performance.now();
  const client = await ChatClient.connect({
    ...(typeof endpoint === 'string' ? { url: endpoint } : endpoint),
    token,
    timeoutMs: options.timeoutMs,
    connectTimeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  try {
    const pong = await client.ping();
    return {
      region: pong.region,
      totalMs: performance.now() - started,
      connectMs: client.connectMs,
      rttMs: pong.rttMs,
    };
  } finally {
    void client.close();
  }
}

export interface BothWays {
  readonly roomId: string;
  /** From the first send at A to its arrival at B. */
  readonly aToBMs: number;
  readonly bToAMs: number;
}

/**
 * Two users, one at `urlA` and one at `urlB`, join one fresh room; each sends a message and the other must
 * receive it. Returns the delivery time each way.
 */
export async function chatBothWays(
  target: Target,
  urlA: string | { readonly url: string; readonly address?: string },
  urlB: string,
  options: { timeoutMs: number; signal?: AbortSignal; roomId?: string },
): Promise<BothWays> {
  const roomId =
    options.roomId ?? `chatctl-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  // A's endpoint may name a host reached at a DNS answer (the global name, as a user's client reaches it).
  const open = (endpoint: string | { url: string; address?: string }, user: string) =>
    ChatClient.connect({
      ...(typeof endpoint === 'string' ? { url: endpoint } : endpoint),
      token: target.token(user, 600),
      timeoutMs: options.timeoutMs,
      connectTimeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  const a = await open(urlA, 'chatctl-test-a');
  try {
    const b = await open(urlB, 'chatctl-test-b');
    try {
      for (const user of [a, b]) {
        await user.join(roomId).catch((error: Error) => {
          throw new Error(`join ${roomId} at ${user.url}: ${error.message}`);
        });
      }
      const aToBMs = await deliverOneWay(a, b, roomId, 'a-to-b', options.timeoutMs);
      const bToAMs = await deliverOneWay(b, a, roomId, 'b-to-a', options.timeoutMs);
      return { roomId, aToBMs: round(aToBMs), bToAMs: round(bToAMs) };
    } finally {
      void b.close();
    }
  } finally {
    void a.close();
  }
}

/**
 * A member who joined in another region is known to the sender's region once its presence has replicated
 * there: until then a message reaches that member only through history. So the sender sends again every
 * second (a new message each time) until one arrives; the time counts from the first send.
 */
async function deliverOneWay(
  from: ChatClient,
  to: ChatClient,
  roomId: string,
  label: string,
  timeoutMs: number,
): Promise<number> {
  const ids = new Set<string>();
  const started = performance.now();
  for (;;) {
    const clientMsgId = `${label}-${Math.random().toString(36).slice(2, 10)}`;
    ids.add(clientMsgId);
    from.sendFrame({ action: 'send', roomId, text: `chatctl ${label}`, clientMsgId });
    const left = timeoutMs - (performance.now() - started);
    try {
      await to.next(
        (f) => f.type === 'message' && ids.has(f.message.clientMsgId),
        Math.max(1, Math.min(1000, left)),
      );
      return performance.now() - started;
    } catch (error) {
      const timedOut = error instanceof ChatClientError && error.code === 'TIMEOUT';
      if (!timedOut || performance.now() - started >= timeoutMs) {
        throw new Error(`message ${label} not delivered: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * A connect refused with HTTP 429: the region (or the China proxy's origin) sheds new connections (load
 * level 3, or API Gateway throttling). It still serves the members already connected.
 */
export function isConnectionShed(error: unknown): boolean {
  return error instanceof ChatClientError && error.code === 'REFUSED' && error.status === 429;
}

/** Whether a pong's region (a region key, or an AWS region) is the region `key`. */
export function answeredBy(target: Target, answered: string, key: string): boolean {
  return answered === key || answered === findRegion(target.topology, key).awsRegion;
}

/** The region key a pong's region names, if any. */
export function regionOfAnswer(target: Target, answered: string): string | undefined {
  return target.topology.regions.find((r) => answeredBy(target, answered, r.key))?.key;
}
