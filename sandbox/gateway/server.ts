/**
 * A region's API Gateway: a WebSocket API (stage `prod`) plus its HTTP /health route and the @connections
 * management API, all on one port. The runtime's handlers get API Gateway's exact event shapes; API
 * Gateway's limits apply (32 KB frame -> close 1009, idle timeout, maximum connection time).
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { ACTIONS, LIMITS } from '../core/protocol.js';
import { writeResponse } from './aws-wire.js';
import type { EdgeResponse, LocalRequest } from './contracts.js';
import type { HostedChatApp } from './runtime-host.js';

export interface GatewayOptions {
  readonly regionKey: string;
  readonly awsRegion: string;
  readonly account: string;
  readonly port?: number;
  readonly stage?: string;
  readonly idleTimeoutMs?: number;
  readonly maxConnectionMs?: number;
  readonly frameBytes?: number;
  /** The region's handlers (swapped when the region set changes, e.g. new relay targets). */
  app(): HostedChatApp;
  /** True while the region has a gateway-down fault. */
  isDown(): boolean;
  /** Extra delay (latency fault) in ms. */
  delayMs(): number;
  readonly onError?: (error: Error, where: string) => void;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly host: string;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  disconnected: boolean;
}

export interface Gateway {
  readonly port: number;
  readonly websocketUrl: string;
  readonly managementUrl: string;
  readonly healthUrl: string;
  readonly apiId: string;
  connectionCount(): number;
  /** The same answers as the port (@connections, /health), without a socket. */
  dispatch(request: LocalRequest): Promise<EdgeResponse>;
  /** Drops every open connection (gateway-down). */
  dropAll(): void;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function connectionId(): string {
  // API Gateway's look: 16 characters of base64 ending in '='.
  return randomBytes(11).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

function requestId(): string {
  return randomBytes(12).toString('base64').replace(/\+/g, 'C').replace(/\//g, 'D');
}

function requestTime(at: number): string {
  const d = new Date(at);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** API Gateway's header casing for the common ones; the rest keep the client's (lower) case. */
const HEADER_CASE: Record<string, string> = {
  host: 'Host',
  'sec-websocket-key': 'Sec-WebSocket-Key',
  'sec-websocket-version': 'Sec-WebSocket-Version',
  'sec-websocket-extensions': 'Sec-WebSocket-Extensions',
  'sec-websocket-protocol': 'Sec-WebSocket-Protocol',
  'user-agent': 'User-Agent',
  origin: 'Origin',
  'x-forwarded-for': 'X-Forwarded-For',
  'x-forwarded-port': 'X-Forwarded-Port',
  'x-forwarded-proto': 'X-Forwarded-Proto',
  'x-amzn-trace-id': 'X-Amzn-Trace-Id',
};

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? 'prod';
  const idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
  const maxConnectionMs = options.maxConnectionMs ?? LIMITS.maxConnectionMs;
  const frameBytes = options.frameBytes ?? LIMITS.frameBytes;
  const apiId = randomBytes(5).toString('hex');
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: frameBytes });
  let port = 0;
  // Handler calls still running (awaited on stop, so nothing runs against a stopped sandbox).
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work)).catch(() => {});
    return work;
  };
  const report = (error: unknown, where: string) => options.onError?.(error as Error, where);

  function baseContext(conn: Connection, at: number) {
    const id = requestId();
    return {
      stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: at,
      requestTime: requestTime(at),
      identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
      requestId: id,
      extendedRequestId: id,
      messageDirection: 'IN',
      domainName: conn.host,
      connectionId: conn.id,
      apiId,
    };
  }

  function resetIdle(conn: Connection): void {
    conn.lastActiveAt = Date.now();
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => conn.socket.close(1001, 'Going away'), idleTimeoutMs);
    conn.idleTimer.unref();
  }

  async function disconnect(conn: Connection, code: number, reason: string): Promise<void> {
    if (conn.disconnected) return;
    conn.disconnected = true;
    connections.delete(conn.id);
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    if (conn.maxTimer) clearTimeout(conn.maxTimer);
    const at = Date.now();
    const event = {
      headers: { Host: conn.host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
      multiValueHeaders: { Host: [conn.host], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] },
      requestContext: {
        routeKey: '$disconnect',
        disconnectStatusCode: code,
        eventType: 'DISCONNECT',
        disconnectReason: reason,
        ...baseContext(conn, at),
      },
      isBase64Encoded: false,
    };
    try {
      await options.app().disconnect(event);
    } catch (error) {
      report(error, `$disconnect of ${conn.id} in ${options.regionKey}`);
    }
  }

  async function onMessage(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    resetIdle(conn);
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const delay = options.delayMs();
    if (delay > 0) await sleep(delay);
    const text = buffer.toString(isBinary ? 'base64' : 'utf8');
    let routeKey = '$default';
    if (!isBinary) {
      try {
        const parsed = JSON.parse(text) as { action?: unknown };
        if (
          parsed &&
          typeof parsed.action === 'string' &&
          (ACTIONS as readonly string[]).includes(parsed.action)
        ) {
          routeKey = parsed.action;
        }
      } catch {
        // not JSON: $default
      }
    }
    const at = Date.now();
    const context = baseContext(conn, at);
    const event = {
      requestContext: {
        routeKey,
        messageId: requestId(),
        eventType: 'MESSAGE',
        ...context,
      },
      body: text,
      isBase64Encoded: isBinary,
    };
    try {
      await options.app().message(event);
    } catch (error) {
      report(error, `${routeKey} in ${options.regionKey}`);
      if (conn.socket.readyState === WebSocket.OPEN) {
        conn.socket.send(
          JSON.stringify({
            message: 'Internal server error',
            connectionId: conn.id,
            requestId: context.requestId,
          }),
        );
      }
    }
  }

  function rejectUpgrade(socket: Socket, status: number, body = ''): void {
    const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error';
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  async function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (options.isDown()) {
      rejectUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
      return;
    }
    if (url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) {
      rejectUpgrade(socket, 403, JSON.stringify({ message: 'Forbidden' }));
      return;
    }
    const delay = options.delayMs();
    if (delay > 0) await sleep(delay);
    const at = Date.now();
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const conn: Connection = {
      id: connectionId(),
      socket: undefined as unknown as WebSocket,
      connectedAt: at,
      lastActiveAt: at,
      sourceIp,
      userAgent: String(req.headers['user-agent'] ?? ''),
      host,
      disconnected: false,
    };
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const lower = req.rawHeaders[i].toLowerCase();
      if (lower === 'connection' || lower === 'upgrade') continue;
      const name = HEADER_CASE[lower] ?? req.rawHeaders[i];
      const value = req.rawHeaders[i + 1];
      headers[name] = headers[name] !== undefined ? `${headers[name]},${value}` : value;
      multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    }
    headers['X-Amzn-Trace-Id'] ??=
      `Root=1-${Math.floor(at / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    headers['X-Forwarded-For'] ??= sourceIp;
    headers['X-Forwarded-Port'] ??= String(port);
    headers['X-Forwarded-Proto'] ??= 'http';
    for (const name of ['X-Amzn-Trace-Id', 'X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto']) {
      multiValueHeaders[name] ??= [headers[name]];
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      multiQuery[name] = [...(multiQuery[name] ?? []), value];
    }
    const hasQuery = url.searchParams.size > 0;
    const event = {
      headers,
      multiValueHeaders,
      ...(hasQuery ? { queryStringParameters: query, multiValueQueryStringParameters: multiQuery } : {}),
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        ...baseContext(conn, at),
      },
      isBase64Encoded: false,
    };
    let result: { statusCode?: number; body?: string } | undefined;
    try {
      result = (await options.app().connect(event)) as { statusCode?: number; body?: string } | undefined;
    } catch (error) {
      report(error, `$connect in ${options.regionKey}`);
      rejectUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      return;
    }
    const status = result?.statusCode ?? 200;
    if (status < 200 || status > 299) {
      rejectUpgrade(socket, status, result?.body ?? '');
      return;
    }
    if (socket.destroyed) {
      // The client went away during $connect: API Gateway still sends $disconnect.
      void disconnect(conn, 1006, 'client went away');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      (conn as { socket: WebSocket }).socket = ws;
      connections.set(conn.id, conn);
      resetIdle(conn);
      conn.maxTimer = setTimeout(() => ws.close(1001, 'Going away'), maxConnectionMs);
      conn.maxTimer.unref();
      ws.on('message', (data, isBinary) => {
        void track(onMessage(conn, data, isBinary));
      });
      ws.on('ping', () => resetIdle(conn));
      ws.on('error', () => {});
      ws.on('close', (code, reason) => {
        void track(disconnect(conn, code, reason.toString()));
      });
    });
  }

  function reply(status: number, body = '', headers: Record<string, string> = {}): EdgeResponse {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers },
      body,
    };
  }

  const gone = () => reply(410, JSON.stringify({ message: null }), { 'x-amzn-errortype': 'GoneException' });

  function readBody(req: IncomingMessage): Promise<Buffer> {
    // Listeners rather than an async iterator: one @connections post per member, so this path is hot.
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      req.on('error', reject);
      req.on('close', () => {
        if (!req.complete) reject(new Error('the request was aborted'));
      });
    });
  }

  /** @connections and /health; the HTTP server and the in-process transport (local-transport.ts) call it. */
  async function dispatch(request: LocalRequest): Promise<EdgeResponse> {
    const url = new URL(request.url || '/', 'http://gateway');
    const { body, method } = request;
    if (url.pathname === '/health') return health(request, url);
    const prefix = `/${stage}/@connections/`;
    if (!url.pathname.startsWith(prefix)) {
      return reply(403, JSON.stringify({ message: 'Forbidden' }), {
        'x-amzn-errortype': 'ForbiddenException',
      });
    }
    let id: string;
    try {
      id = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      return reply(400, JSON.stringify({ message: 'Invalid connection id' }), {
        'x-amzn-errortype': 'BadRequestException',
      });
    }
    const conn = connections.get(id);
    if (method === 'POST') {
      if (body.length > LIMITS.messageBytes) {
        return reply(413, JSON.stringify({ message: 'Request entity too large' }), {
          'x-amzn-errortype': 'PayloadTooLargeException',
        });
      }
      if (!conn || conn.socket.readyState !== WebSocket.OPEN) return gone();
      // Valid UTF-8 goes out as a text frame, anything else as binary; the bytes are sent as they came.
      await new Promise<void>((resolve) => {
        conn.socket.send(body, { binary: !isUtf8(body) }, () => resolve());
      });
      return reply(200, '');
    }
    if (method === 'GET') {
      if (!conn) return gone();
      return reply(
        200,
        JSON.stringify({
          connectedAt: new Date(conn.connectedAt).toISOString(),
          identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
          lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
        }),
      );
    }
    if (method === 'DELETE') {
      if (!conn) return gone();
      conn.socket.close(1000, 'Connection closed by the server');
      return reply(204, '');
    }
    return reply(405, JSON.stringify({ message: 'Method not allowed' }), {
      'x-amzn-errortype': 'MethodNotAllowedException',
    });
  }

  async function health(request: LocalRequest, url: URL): Promise<EdgeResponse> {
    if (options.isDown()) return reply(503, JSON.stringify({ message: 'Service Unavailable' }));
    const delay = options.delayMs();
    if (delay > 0) await sleep(delay);
    const at = Date.now();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const id = requestId();
    const sourceIp = request.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const host = String(request.headers.host ?? `127.0.0.1:${port}`);
    const event = {
      version: '2.0',
      routeKey: 'GET /health',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(url.searchParams.size > 0 ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      requestContext: {
        accountId: options.account,
        apiId,
        domainName: host,
        domainPrefix: host.split('.')[0],
        http: {
          method: request.method,
          path: url.pathname,
          protocol: `HTTP/${request.httpVersion ?? '1.1'}`,
          sourceIp,
          userAgent: String(request.headers['user-agent'] ?? ''),
        },
        requestId: id,
        routeKey: 'GET /health',
        stage: '$default',
        time: requestTime(at),
        timeEpoch: at,
      },
      isBase64Encoded: false,
    };
    try {
      const result = await options.app().health(event);
      if (typeof result === 'string' || result === undefined) return reply(200, result ?? '');
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value);
      return reply(result.statusCode ?? 200, result.body ?? '', out);
    } catch (error) {
      report(error, `/health in ${options.regionKey}`);
      return reply(500, JSON.stringify({ message: 'Internal Server Error' }));
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const response = await dispatch({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress,
      httpVersion: req.httpVersion,
    });
    writeResponse(res, response);
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((error: Error) => {
      report(error, `HTTP ${req.method} ${req.url} in ${options.regionKey}`);
      if (!res.headersSent)
        writeResponse(res, reply(500, JSON.stringify({ message: 'Internal server error' })));
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    onUpgrade(req, socket as Socket, head).catch((error: Error) => {
      report(error, `upgrade in ${options.regionKey}`);
      socket.destroy();
    });
  });
  // Longer than any client's keep-alive, so a client never reuses a socket the server is just closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(options.port ?? 0, '127.0.0.1');
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  port = (server.address() as AddressInfo).port;

  return {
    port,
    apiId,
    websocketUrl: `ws://127.0.0.1:${port}/${stage}`,
    managementUrl: `http://127.0.0.1:${port}/${stage}`,
    healthUrl: `http://127.0.0.1:${port}/health`,
    connectionCount: () => connections.size,
    dispatch,
    dropAll() {
      for (const conn of [...connections.values()]) {
        conn.socket.terminate();
        void disconnect(conn, 1006, 'gateway down');
      }
    },
    async stop() {
      const open = [...connections.values()];
      for (const conn of open) conn.socket.terminate();
      await Promise.all(open.map((conn) => track(disconnect(conn, 1001, 'Going away'))));
      await Promise.race([Promise.allSettled([...inflight]), sleep(3000)]);
      wss.close();
      server.closeAllConnections();
      // A socket still in its $connect (upgrading, so not yet a connection) would hold close() forever.
      await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), sleep(3000)]);
    },
  };
}
