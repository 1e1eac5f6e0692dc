/** The WebSocket handshake of the chat client, and the errors it names (what failed, in a sentence). */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import WebSocket from 'ws';
import { connectProtocols, type ErrorCode, type ServerFrame } from '../../core/protocol.js';

export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

export type ChatClientErrorCode = ErrorCode | 'TIMEOUT' | 'CLOSED' | 'CONNECT' | 'REFUSED';

export class ChatClientError extends Error {
  override name = 'ChatClientError';
  constructor(
    readonly code: ChatClientErrorCode,
    message: string,
    /** The server's error frame, when the server answered with one. */
    readonly frame?: ErrorFrame,
    /** The HTTP status of a refused upgrade (401, 403, 429, 502, ...). */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ChatClientOptions {
  /** ws://127.0.0.1:PORT/prod or wss://<regional domain>/prod */
  readonly url: string;
  readonly token: string;
  /** Per request (join, send, ...); default 10 s. */
  readonly timeoutMs?: number;
  /** For the WebSocket handshake; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Extra headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the handshake, or ends the connection once open (a check's time limit). */
  readonly signal?: AbortSignal;
  /**
   * The IP address (or another host name) to reach the URL's host at, so that TLS, the certificate and Host all
   * carry the URL's name: how a client reaches chat.<domain> in the region latency DNS picked for someone else,
   * and how the canary probes the global name at its own region's target.
   */
  readonly address?: string;
  /**
   * Whether a gap a push reveals is filled from history (default true; a load generator, which reads no
   * history, turns it off).
   */
  readonly fillGaps?: boolean;
}

/**
 * ws/https `lookup` that resolves every name to `address`: an IP as it is, a host name by the system resolver
 * (undefined: the system resolver for the URL's own host).
 */
export function fixedLookup(address: string | undefined) {
  if (!address) return undefined;
  if (!isIP(address)) {
    return (_host: string, options: object, callback: never) => lookup(address, options, callback);
  }
  const family = address.includes(':') ? 6 : 4;
  return (
    _host: string,
    options: { all?: boolean },
    callback: (
      error: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void,
  ) => (options?.all ? callback(null, [{ address, family }]) : callback(null, address, family));
}

function describeSocketError(error: Error & { code?: string }, url: string): string {
  if (error.code === 'ECONNREFUSED') return `nothing listens at ${url} (connection refused)`;
  if (error.code === 'ENOTFOUND') return `${new URL(url).host} does not resolve`;
  return `${url}: ${error.message}`;
}

/**
 * Opens the socket (the token in Sec-WebSocket-Protocol, never in the URL: core/protocol.ts); rejects with a
 * ChatClientError.
 */
export function openSocket(options: ChatClientOptions): Promise<{ socket: WebSocket; connectMs: number }> {
  const url = new URL(options.url);
  const started = performance.now();
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, connectProtocols(options.token), {
      handshakeTimeout: connectTimeoutMs,
      headers: { ...options.headers },
      maxPayload: 256 * 1024,
      ...(options.address ? { lookup: fixedLookup(options.address) as never } : {}),
    });
    let settled = false;
    const onAbort = () => {
      const reason = options.signal?.reason;
      fail(reason instanceof Error ? reason : new ChatClientError('CLOSED', `${options.url}: aborted`));
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(error);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 300).trim();
        const why =
          status === 401 || status === 403
            ? 'the token was refused'
            : status === 429
              ? 'too many connections (throttled)'
              : status >= 500
                ? 'the gateway is unavailable'
                : 'the upgrade was refused';
        fail(
          new ChatClientError(
            'REFUSED',
            `${options.url}: ${why} (HTTP ${status}${body ? `: ${body}` : ''})`,
            undefined,
            status,
          ),
        );
      });
      res.on('error', () =>
        fail(new ChatClientError('REFUSED', `${options.url}: HTTP ${status}`, undefined, status)),
      );
    });
    socket.once('error', (error: Error & { code?: string }) => {
      const timedOut = /timed out/i.test(error.message);
      fail(
        new ChatClientError(
          timedOut ? 'TIMEOUT' : 'CONNECT',
          timedOut
            ? `${options.url}: no WebSocket handshake within ${connectTimeoutMs} ms`
            : describeSocketError(error, options.url),
        ),
      );
    });
    socket.once('close', (code) =>
      fail(new ChatClientError('CLOSED', `${options.url}: closed before opening (${code})`)),
    );
    socket.once('open', () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      resolve({ socket, connectMs: performance.now() - started });
    });
  });
}
