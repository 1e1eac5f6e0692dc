/**
 * The events a region's API Gateway hands the handlers, built as API Gateway builds them (the captured
 * fixtures in test/runtime/fixtures are the reference; test/sandbox/gateway/parity.test.ts compares them
 * field for field): $connect, $disconnect and MESSAGE events of the WebSocket API, and the HTTP API's
 * payload-2.0 event of GET /health. Pure functions of a connection and a request, so they can be tested alone.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebSocketEvent } from '../../runtime/app.js';

/** What a connection's events carry about it. */
export interface ConnectionInfo {
  readonly id: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** The Host the client connected to (the event's domainName). */
  readonly host: string;
}

/** Identifies the API an event comes from. */
export interface ApiInfo {
  readonly apiId: string;
  readonly stage: string;
}

export function connectionId(): string {
  // API Gateway's look: 16 characters of base64 ending in '='.
  return randomBytes(11).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

/** requestId, extendedRequestId and messageId: 16 characters of base64 ending in '=', as connection ids. */
export function requestId(): string {
  return randomBytes(11).toString('base64').replace(/\+/g, 'C').replace(/\//g, 'D');
}

/** An X-Ray trace header as API Gateway adds it to a request that has none. */
function traceId(at: number): string {
  return `Root=1-${Math.floor(at / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** API Gateway's requestTime: 01/Dec/2026:09:00:00 +0000. */
export function requestTime(at: number): string {
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

function baseContext(api: ApiInfo, conn: ConnectionInfo, at: number) {
  const id = requestId();
  return {
    stage: api.stage,
    connectedAt: conn.connectedAt,
    requestTimeEpoch: at,
    requestTime: requestTime(at),
    identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
    requestId: id,
    extendedRequestId: id,
    messageDirection: 'IN' as const,
    domainName: conn.host,
    connectionId: conn.id,
    apiId: api.apiId,
  };
}

/** The upgrade request as $connect sees it. */
export interface UpgradeRequest {
  /** Alternating names and values, as the client sent them (node's rawHeaders). */
  readonly rawHeaders: readonly string[];
  readonly query: URLSearchParams;
  /** The gateway's port (X-Forwarded-Port). */
  readonly port: number;
}

export function connectEvent(api: ApiInfo, conn: ConnectionInfo, request: UpgradeRequest): WebSocketEvent {
  const at = conn.connectedAt;
  // Maps first, then own properties (as API Gateway's JSON event has them): a header or query parameter
  // named __proto__ or constructor is plain data, never an object's prototype.
  const headerMap = new Map<string, string[]>();
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'connection' || lower === 'upgrade') continue;
    const name = (Object.hasOwn(HEADER_CASE, lower) ? HEADER_CASE[lower] : undefined) ?? raw[i];
    headerMap.set(name, [...(headerMap.get(name) ?? []), raw[i + 1]]);
  }
  const headers: Record<string, string> = Object.fromEntries(
    [...headerMap].map(([name, values]) => [name, values.join(',')]),
  );
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(headerMap);
  headers['X-Amzn-Trace-Id'] ??=
    `Root=1-${Math.floor(at / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  headers['X-Forwarded-For'] ??= conn.sourceIp;
  headers['X-Forwarded-Port'] ??= String(request.port);
  headers['X-Forwarded-Proto'] ??= 'http';
  for (const name of ['X-Amzn-Trace-Id', 'X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto']) {
    multiValueHeaders[name] ??= [headers[name]];
  }
  const queryMap = new Map<string, string[]>();
  for (const [name, value] of request.query) queryMap.set(name, [...(queryMap.get(name) ?? []), value]);
  const query: Record<string, string> = Object.fromEntries(
    [...queryMap].map(([name, v]) => [name, v[v.length - 1]]),
  );
  const multiQuery: Record<string, string[]> = Object.fromEntries(queryMap);
  const hasQuery = request.query.size > 0;
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery ? { queryStringParameters: query, multiValueQueryStringParameters: multiQuery } : {}),
    requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...baseContext(api, conn, at) },
    isBase64Encoded: false,
    // aws-lambda's type wants a messageId, which API Gateway sends on MESSAGE events only (see the fixtures).
  } as unknown as WebSocketEvent;
}

export function disconnectEvent(
  api: ApiInfo,
  conn: ConnectionInfo,
  code: number,
  reason: string,
  at = Date.now(),
): WebSocketEvent {
  return {
    headers: { Host: conn.host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
    multiValueHeaders: { Host: [conn.host], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] },
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: code,
      eventType: 'DISCONNECT',
      disconnectReason: reason,
      ...baseContext(api, conn, at),
    },
    isBase64Encoded: false,
    // aws-lambda's type wants a messageId, which API Gateway sends on MESSAGE events only (see the fixtures).
  } as unknown as WebSocketEvent;
}

export function messageEvent(
  api: ApiInfo,
  conn: ConnectionInfo,
  routeKey: string,
  body: string,
  isBase64Encoded: boolean,
  at = Date.now(),
): WebSocketEvent {
  return {
    requestContext: { routeKey, messageId: requestId(), eventType: 'MESSAGE', ...baseContext(api, conn, at) },
    body,
    isBase64Encoded,
  } as WebSocketEvent;
}

/** The HTTP request GET /health answers. */
export interface HttpRequestInfo {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly sourceIp: string;
  readonly httpVersion: string;
  /** The Host the client asked for. */
  readonly host: string;
  /** The gateway's port (x-forwarded-port). */
  readonly port: number;
}

/** The HTTP API's payload format 2.0 event of `GET /health` (stage $default). */
export function healthEvent(
  account: string,
  apiId: string,
  request: HttpRequestInfo,
  at = Date.now(),
): APIGatewayProxyEventV2 {
  const { url } = request;
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(request.headers)
      // The connection is API Gateway's own, not the client's.
      .filter(([name, value]) => value !== undefined && name !== 'connection')
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)]),
  );
  headers['x-amzn-trace-id'] ??= traceId(at);
  headers['x-forwarded-for'] ??= request.sourceIp;
  headers['x-forwarded-port'] ??= String(request.port);
  headers['x-forwarded-proto'] ??= 'http';
  return {
    version: '2.0',
    routeKey: 'GET /health',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(url.searchParams.size > 0 ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: account,
      apiId,
      domainName: request.host,
      domainPrefix: request.host.split('.')[0],
      http: {
        method: request.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: String(request.headers['user-agent'] ?? ''),
      },
      requestId: requestId(),
      routeKey: 'GET /health',
      stage: '$default',
      time: requestTime(at),
      timeEpoch: at,
    },
    isBase64Encoded: false,
  };
}
