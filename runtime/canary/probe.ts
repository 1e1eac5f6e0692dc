/**
 * The chat canary's probe: connect to a region's WebSocket API as the probe user, join the canary room, send
 * one message and wait for the server's ack and for that same message to come back through the fan-out. It
 * exercises $connect (token check, connection record), join, send (write, idempotency, fan-out, post) end to
 * end, which the HTTP /health check never touches. One step at a time, with one deadline for the whole run.
 */
import { randomBytes } from 'node:crypto';
import { CANARY_USER_AGENT } from '../../core/observability.js';
import { connectProtocols, type ServerFrame } from '../../core/protocol.js';

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
  const { default: WebSocket } = await import('ws');
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clientMsgId = `canary-${randomBytes(6).toString('hex')}`;
  const { lookup } = await import('node:dns');
  const address = options.address;
  // The token in Sec-WebSocket-Protocol, as users' clients send it (the URL is logged; core/protocol.ts).
  const socket = new WebSocket(options.url, connectProtocols(options.token), {
    handshakeTimeout: timeoutMs,
    headers: { 'user-agent': CANARY_USER_AGENT },
    ...(address
      ? {
          lookup: ((_host: string, opts: object, callback: never) =>
            lookup(address, opts, callback)) as never,
        }
      : {}),
  });
  let stage: CanaryStage = 'connect';
  let connectMs: number | undefined;
  let sentAt = 0;
  let acked = false;
  let deliveredAt: number | undefined;

  const outcome = await new Promise<CanaryResult>((resolve) => {
    const finish = (result: Omit<CanaryResult, 'totalMs' | 'connectMs'>) => {
      clearTimeout(timer);
      resolve({
        ...result,
        ...(connectMs === undefined ? {} : { connectMs: Math.round(connectMs) }),
        totalMs: Math.round(performance.now() - started),
      });
    };
    const fail = (error: string) => finish({ ok: false, stage, error });
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);

    socket.on('unexpected-response', (_request, response) =>
      fail(`the upgrade was refused with HTTP ${response.statusCode}`),
    );
    socket.on('error', (error) => fail(error.message));
    socket.on('close', (code) => fail(`the connection closed (code ${code})`));
    socket.on('open', () => {
      connectMs = performance.now() - started;
      stage = 'join';
      socket.send(JSON.stringify({ action: 'join', roomId: options.roomId }));
    });
    socket.on('message', (data) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'error') return fail(`${frame.code}: ${frame.message}`);
      if (stage === 'join' && frame.type === 'joined' && frame.roomId === options.roomId) {
        stage = 'ack';
        sentAt = performance.now();
        socket.send(JSON.stringify({ action: 'send', roomId: options.roomId, text: 'canary', clientMsgId }));
        return;
      }
      // The ack and the fan-out can arrive in either order: both are needed.
      if (frame.type === 'ack' && frame.clientMsgId === clientMsgId) acked = true;
      else if (frame.type === 'message' && frame.message.clientMsgId === clientMsgId) {
        deliveredAt = performance.now();
      } else return;
      stage = acked ? 'deliver' : 'ack';
      if (acked && deliveredAt !== undefined)
        finish({ ok: true, latencyMs: Math.round(deliveredAt - sentAt) });
    });
  });
  socket.removeAllListeners();
  socket.on('error', () => {});
  if (socket.readyState === socket.OPEN) socket.close(1000);
  else socket.terminate();
  return outcome;
}
