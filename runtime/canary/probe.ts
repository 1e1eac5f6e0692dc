/**
 * The chat canary's probe: connect to a region's WebSocket API as the probe user, join the canary room, send
 * one message and wait for the server's ack and for that same message to come back through the fan-out. It
 * exercises $connect (token check, connection record), join, send (write, idempotency, fan-out, post) end to
 * end, which the HTTP /health check never touches. One step at a time, with one deadline for the whole run.
 */
import { randomBytes } from 'node:crypto';
import { CANARY_USER_AGENT } from '../../core/observability.js';
import type { ChatClient } from '../chat-client/client.js';
import type { ChatClientError } from '../chat-client/socket.js';

export type CanaryStage = 'connect' | 'join' | 'ack' | 'deliver';

export interface CanaryResult {
  readonly ok: boolean;
  /** The step that failed (absent on success). */
  readonly stage?: CanaryStage;
  readonly error?: string;
  readonly connectMs?: number;
  /** From the send to the message coming back to the sender's own connection. */
  readonly latencyMs?: number;
  readonly totalMs: number;
}

export interface CanaryProbeOptions {
  /** The region's WebSocket URL (wss://.../prod, or the sandbox gateway's ws://...). */
  readonly url: string;
  readonly token: string;
  readonly roomId: string;
  /** The whole run's deadline (default 10 s; the Lambda's timeout is longer). */
  readonly timeoutMs?: number;
  /**
   * Connect to this host instead of the one DNS gives for the URL's: the URL's name still goes in TLS and Host,
   * as a user's client sends it (the global name, probed at this region's own target of it).
   */
  readonly address?: string;
}

export async function runCanaryProbe(options: CanaryProbeOptions): Promise<CanaryResult> {
  const { ChatClient } = await import('../chat-client/client.js');
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clientMsgId = `canary-${randomBytes(6).toString('hex')}`;
  let stage: CanaryStage = 'connect';
  let connectMs: number | undefined;
  // One deadline for the whole run: each step races it.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  deadline.catch(() => {});
  const within = <T>(step: Promise<T>): Promise<T> => Promise.race([step, deadline]);
  let client: ChatClient | undefined;
  let gaveUp = false;
  const finish = (result: Omit<CanaryResult, 'totalMs' | 'connectMs'>): CanaryResult => ({
    ...result,
    ...(connectMs === undefined ? {} : { connectMs: Math.round(connectMs) }),
    totalMs: Math.round(performance.now() - started),
  });
  try {
    // The token in Sec-WebSocket-Protocol, as users' clients send it (the URL is logged; core/protocol.ts).
    const connecting = ChatClient.connect({
      url: options.url,
      token: options.token,
      connectTimeoutMs: timeoutMs,
      timeoutMs,
      headers: { 'user-agent': CANARY_USER_AGENT },
      ...(options.address ? { address: options.address } : {}),
    });
    // A connection that opens after the deadline is closed, not left behind.
    connecting.then(
      (late) => (gaveUp ? late.close() : undefined),
      () => {},
    );
    client = await within(connecting);
    connectMs = client.connectMs;
    stage = 'join';
    await within(client.join(options.roomId));
    stage = 'ack';
    const sentAt = performance.now();
    // The ack and the fan-out can arrive in either order: both are needed.
    const delivered = client.waitFor(
      (f) => f.type === 'message' && f.message.clientMsgId === clientMsgId,
      timeoutMs,
      'fan-out of the canary message',
    );
    delivered.catch(() => {});
    const deliveredAt = delivered.then(() => performance.now());
    deliveredAt.catch(() => {});
    deliveredAt.catch(() => {});
    await within(client.send(options.roomId, 'canary', { clientMsgId }));
    stage = 'deliver';
    return finish({ ok: true, latencyMs: Math.round((await within(deliveredAt)) - sentAt) });
  } catch (error) {
    return finish({ ok: false, stage, error: canaryError(error) });
  } finally {
    gaveUp = true;
    clearTimeout(timer);
    void client?.close(1000);
  }
}

/** What failed, as the canary logs it: the server's error frame, a refused upgrade's status, or the reason. */
function canaryError(error: unknown): string {
  const { frame, status } = error as ChatClientError;
  if (frame) return `${frame.code}: ${frame.message}`;
  if (status) return `the upgrade was refused with HTTP ${status}`;
  return (error as Error).message;
}
