/** A plain `ws` chat client for tests: collects every frame and waits for the ones a test expects. */
import { WebSocket } from 'ws';
import { connectProtocols } from '../../core/protocol.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../core/runtime-env.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';

export interface TestClient {
  readonly ws: WebSocket;
  readonly frames: Record<string, unknown>[];
  send(frame: unknown): void;
  next(
    predicate: (frame: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function devToken(userId: string): string {
  return signDevToken({ userId, ttlSeconds: 3600, secret: SANDBOX_DEV_TOKEN_SECRET });
}

export async function connect(url: string, userId: string | undefined): Promise<TestClient> {
  // The token in Sec-WebSocket-Protocol, as every client sends it (core/protocol.ts).
  const ws = userId ? new WebSocket(url, connectProtocols(devToken(userId))) : new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (f: Record<string, unknown>) => boolean;
    resolve: (f: Record<string, unknown>) => void;
  }[] = [];
  let seen = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next(predicate, timeoutMs = 5000) {
      const found = frames.slice(seen).find(predicate);
      if (found) {
        seen = frames.indexOf(found) + 1;
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (frame) => {
            clearTimeout(timer);
            seen = frames.indexOf(frame) + 1;
            resolve(frame);
          },
        });
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}
