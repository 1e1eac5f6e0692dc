/**
 * Probes: a small WebSocket client for the on-call checks (connect, send a frame, wait for a matching frame),
 * and a timeout wrapper that guarantees no check ever hangs (every SDK call and socket gets the signal).
 */
import { setMaxListeners } from 'node:events';
import type { ClientFrame, ServerFrame } from '../../core/protocol.js';

/** Thrown when a check runs out of time. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Runs `work` with an AbortSignal that fires after `ms`; resolves or rejects no later than `ms` (plus a tick),
 * whatever `work` does with the signal.
 */
export async function withTimeout<T>(
  ms: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  // Every SDK call and socket of the check listens on this one signal.
  setMaxListeners(1000, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`${what}: no answer within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    if (!controller.signal.aborted) controller.abort(new Error('done'));
  }
}

export interface ProbeSocket {
  readonly url: string;
  /** Milliseconds the connection took to open. */
  readonly connectMs: number;
  send(frame: ClientFrame): void;
  /** The next frame (already received or future) that matches; rejects on timeout, close or abort. */
  next<F extends ServerFrame>(match: (frame: ServerFrame) => frame is F, timeoutMs: number): Promise<F>;
  next(match: (frame: ServerFrame) => boolean, timeoutMs: number): Promise<ServerFrame>;
  /** Called for every frame as it arrives (after `next` waiters), with the arrival time (performance.now()). */
  onFrame(listener: (frame: ServerFrame, at: number) => void): void;
  close(): void;
}

interface Waiter {
  match: (frame: ServerFrame) => boolean;
  resolve: (frame: ServerFrame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A connect refused with HTTP 429: the region (or the China proxy's origin) sheds new connections (load
 * level 3, or API Gateway throttling). It still serves the members already connected.
 */
export class ConnectionShedError extends Error {
  override name = 'ConnectionShedError';
}

/**
 * Opens a WebSocket to `url` with `token` in the query string; rejects on refusal, timeout or abort. `address`:
 * reach the URL's host there (a DNS answer), keeping its name for TLS and Host.
 */
export async function openProbe(
  url: string,
  token: string,
  options: { timeoutMs: number; signal?: AbortSignal; address?: string },
): Promise<ProbeSocket> {
  const [{ default: WebSocket }, { fixedLookup }] = await Promise.all([
    import('ws'),
    import('./chat-client.js'),
  ]);
  const full = `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
  const started = performance.now();
  const socket = new WebSocket(full, {
    handshakeTimeout: options.timeoutMs,
    ...(options.address ? { lookup: fixedLookup(options.address) as never } : {}),
  });
  const buffered: ServerFrame[] = [];
  const waiters = new Set<Waiter>();
  const listeners: ((frame: ServerFrame, at: number) => void)[] = [];
  let closedError: Error | undefined;

  const fail = (error: Error) => {
    closedError ??= error;
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    waiters.clear();
  };

  socket.on('message', (data) => {
    const at = performance.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    for (const listener of listeners) listener(frame, at);
    for (const waiter of waiters) {
      if (waiter.match(frame)) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
        return;
      }
    }
    buffered.push(frame);
    if (buffered.length > 1000) buffered.shift();
  });
  socket.on('close', (code) => fail(new Error(`the connection closed (code ${code})`)));
  socket.on('error', (error) => fail(error));
  const onAbort = () => {
    fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    socket.terminate();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TimeoutError(`connect to ${url}: no answer within ${options.timeoutMs} ms`));
      socket.terminate();
    }, options.timeoutMs);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      const message = `connect to ${url}: refused with HTTP ${response.statusCode}`;
      reject(response.statusCode === 429 ? new ConnectionShedError(message) : new Error(message));
      socket.terminate();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`connect to ${url}: ${error.message}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(closedError ?? new Error(`connect to ${url}: closed before open`));
    });
  });
  const connectMs = performance.now() - started;

  return {
    url,
    connectMs,
    send(frame) {
      if (closedError) throw closedError;
      socket.send(JSON.stringify(frame));
    },
    next(match: (frame: ServerFrame) => boolean, timeoutMs: number): Promise<ServerFrame> {
      const index = buffered.findIndex(match);
      if (index >= 0) return Promise.resolve(buffered.splice(index, 1)[0]);
      if (closedError) return Promise.reject(closedError);
      return new Promise<ServerFrame>((resolve, reject) => {
        const waiter: Waiter = {
          match,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new TimeoutError(`no matching frame within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    onFrame(listener) {
      listeners.push(listener);
    },
    close() {
      options.signal?.removeEventListener('abort', onAbort);
      fail(new Error('closed by the probe'));
      if (socket.readyState === socket.OPEN) socket.close(1000);
      else socket.terminate();
    },
  } as ProbeSocket;
}

export interface PingResult {
  /** The region key (or AWS region) the pong names. */
  region: string;
  /** Connect plus ping round trip. */
  totalMs: number;
  connectMs: number;
  rttMs: number;
}

/** Connects, sends `ping`, waits for `pong`; the socket is closed afterwards whatever happens. */
export async function pingOnce(
  url: string,
  token: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PingResult> {
  const started = performance.now();
  const socket = await openProbe(url, token, options);
  try {
    const sent = performance.now();
    socket.send({ action: 'ping' });
    const remaining = Math.max(1, options.timeoutMs - (sent - started));
    const pong = await socket.next(
      (f): f is Extract<ServerFrame, { type: 'pong' }> => f.type === 'pong',
      remaining,
    );
    const now = performance.now();
    return { region: pong.region, totalMs: now - started, connectMs: socket.connectMs, rttMs: now - sent };
  } finally {
    socket.close();
  }
}

/** Percentile (nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Rounds a duration to 0.1 ms for output. */
export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
