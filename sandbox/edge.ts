/**
 * The AWS-compatible edge endpoint: one HTTP port that routes each request by the service in its SigV4
 * credential scope to a handler (DynamoDB, Streams, Lambda, STS here; Route 53 and CloudFront from global/).
 * Anything it cannot serve gets the AWS error shape of the request's protocol, never a crash or a hang.
 * A private control API for the CLI lives under /_chatctl/.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsError, detectProtocol, parseCredentialScope, writeResponse } from './aws-wire.js';
import type { EdgeResponse, EdgeServiceHandler, LocalRequest } from './contracts.js';

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export type ControlHandler = (
  method: string,
  path: string,
  body: unknown,
) => Promise<{ status: number; body: unknown }>;

export interface Edge {
  readonly url: string;
  readonly port: number;
  /** Handlers by SigV4 service name; may change while running (global services register later). */
  readonly services: Map<string, EdgeServiceHandler>;
  setControl(handler: ControlHandler): void;
  /** The same answers as the port, without a socket (the sandbox's own handlers call it in-process). */
  dispatch(request: LocalRequest): Promise<EdgeResponse>;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('request body too large'), { tooLarge: true }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startEdge(options: { port: number; host?: string }): Promise<Edge> {
  const services = new Map<string, EdgeServiceHandler>();
  let control: ControlHandler | undefined;
  const host = options.host ?? '127.0.0.1';

  /** Answers one request; the HTTP server and the in-process transport (local-transport.ts) both call it. */
  async function dispatch(request: LocalRequest): Promise<EdgeResponse> {
    const url = new URL(request.url || '/', 'http://edge');
    let caller: string | undefined;
    const from = /^\/_from\/([a-z][a-z0-9]{1,11})(\/.*)?$/.exec(url.pathname);
    if (from) {
      caller = from[1];
      url.pathname = from[2] ?? '/';
    }
    const { body } = request;
    if (body.length > MAX_BODY_BYTES) {
      return awsError('rest-json', 413, 'RequestEntityTooLargeException', 'request body too large');
    }
    if (url.pathname.startsWith('/_chatctl/')) {
      if (!control) return { status: 503, body: JSON.stringify({ error: 'starting' }) };
      let parsed: unknown;
      try {
        parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        return { status: 400, body: JSON.stringify({ error: 'body is not JSON' }) };
      }
      const result = await control(request.method, url.pathname.slice('/_chatctl'.length), parsed);
      return {
        status: result.status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(result.body),
      };
    }
    const scope = parseCredentialScope(request.headers, url.searchParams);
    const guessed = detectProtocol(request.headers, body);
    if (!scope.ok) {
      return scope.missing
        ? awsError(guessed, 403, 'MissingAuthenticationTokenException', scope.reason)
        : awsError(guessed, 400, 'IncompleteSignatureException', scope.reason);
    }
    const { service, region } = scope.scope;
    const protocol = detectProtocol(request.headers, body, service);
    const handler = services.get(service);
    if (!handler) {
      return awsError(
        protocol,
        400,
        'UnknownOperationException',
        `the chatctl sandbox does not emulate the service "${service}"`,
      );
    }
    return handler({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
      service,
      region,
      ...(caller ? { caller } : {}),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if ((error as { tooLarge?: boolean }).tooLarge) {
        writeResponse(
          res,
          awsError('rest-json', 413, 'RequestEntityTooLargeException', 'request body too large'),
        );
      }
      return;
    }
    writeResponse(
      res,
      await dispatch({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }),
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      writeResponse(
        res,
        awsError('rest-json', 500, 'InternalFailure', `sandbox edge error: ${error.message}`),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(options.port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    setControl(handler) {
      control = handler;
    },
    dispatch,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
