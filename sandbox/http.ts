/**
 * HTTP plumbing shared by the sandbox's listeners (the edge, each region's gateway, the China proxy): one
 * readBody, one writeResponse, and one way to listen on loopback that reports EADDRINUSE as an error.
 */
import { once } from 'node:events';
import { get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EdgeResponse } from './contracts.js';

/** A body over the limit rejects with this error (the caller answers 413). */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/**
 * Reads a request's whole body. Listeners rather than an async iterator: the gateway reads one @connections
 * post per room member, so this path is hot. A request aborted before its end rejects.
 */
export function readBody(req: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the request was aborted'));
    });
  });
}

/** Writes an answer (of the edge, a gateway, a service) to an HTTP response, once. */
export function writeResponse(res: ServerResponse, response: EdgeResponse): void {
  if (res.headersSent || res.destroyed) return;
  const body = response.body ?? '';
  res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * Listens on host:port (0 = any free port) and resolves with the port; a port in use rejects with the
 * listen error (code EADDRINUSE). Keep-alive outlasts any client's, so a client never reuses a socket the
 * server is just closing.
 */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  return (server.address() as AddressInfo).port;
}

/** Closes a server and every connection it holds; gives up waiting after `timeoutMs`. */
export async function closeServer(server: Server, timeoutMs = 3000): Promise<void> {
  server.closeAllConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => server.close(() => resolve())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Resolves once each URL answers a GET (any status), as an outside client reaches it; rejects on a timeout.
 * Through node:http rather than fetch: a process's first fetch loads undici, which cost more than the
 * sandbox's whole readiness check (0.9 s against 0.1 s on a loaded 2-core machine), on `sandbox up`'s path.
 */
export async function waitForAnswers(urls: readonly string[], timeoutMs = 10_000): Promise<void> {
  await Promise.all(urls.map((url) => answerOf(url, timeoutMs)));
}

/** One GET, its whole answer read; rejects on an error or when no answer came within `timeoutMs`. */
export function answerOf(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The host part of a URL that reaches a listener bound to `host` (a wildcard is reached on loopback). */
export function urlHost(host = '127.0.0.1'): string {
  const reach = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return reach.includes(':') ? `[${reach}]` : reach;
}
