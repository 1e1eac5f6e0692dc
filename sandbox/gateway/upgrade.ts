/**
 * The WebSocket upgrade and its $connect: the gateway answers the upgrade only after the $connect handler
 * accepted it (a 2xx), as API Gateway does; anything else is the HTTP answer the client gets.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocketServer } from 'ws';
import { refusedOrigin } from '../access.js';
import { type Connection, disconnect, type GatewayContext, open, resetIdle, sleep } from './connections.js';
import { type ConnectionInfo, connectEvent, connectionId } from './events.js';
import { watchFrameSizes } from './frame-sizes.js';
import { servesHost } from './host.js';
import { onMessage } from './messages.js';
import { TOO_MANY_REQUESTS } from './stage-throttle.js';

/**
 * The subprotocol each accepted upgrade's $connect returned (its Sec-WebSocket-Protocol response header). API
 * Gateway answers the handshake with the headers $connect returns and picks no subprotocol itself, so a client
 * that asked for some and gets none back (or one it did not ask for) fails the connection, as browsers and ws do.
 */
const connectProtocol = new WeakMap<IncomingMessage, string>();

/** ws's handleProtocols: what $connect chose for this request, or none. */
export function protocolFromConnect(_offered: Set<string>, req: IncomingMessage): string | false {
  return connectProtocol.get(req) ?? false;
}

function responseHeader(headers: Record<string, string> | undefined, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers?.[key];
}

function rejectUpgrade(socket: Socket, status: number, body = ''): void {
  const text =
    status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Forbidden'
        : status === 429
          ? 'Too Many Requests'
          : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function onUpgrade(
  context: GatewayContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  const { options, api } = context;
  socket.on('error', () => {});
  const url = new URL(req.url ?? '/', 'http://gateway');
  const refused = refusedOrigin(req.headers, context.access());
  if (refused) {
    rejectUpgrade(socket, 403, JSON.stringify({ message: refused }));
    return;
  }
  if (options.isDown()) {
    rejectUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    return;
  }
  if (!servesHost(options.domainNames, req.headers.host, context.port(), options.host)) {
    rejectUpgrade(socket, 403, JSON.stringify({ message: 'Forbidden' }));
    return;
  }
  if (url.pathname !== `/${api.stage}` && url.pathname !== `/${api.stage}/`) {
    rejectUpgrade(socket, 403, JSON.stringify({ message: 'Forbidden' }));
    return;
  }
  if (!context.throttles.stage.take()) {
    rejectUpgrade(socket, 429, TOO_MANY_REQUESTS);
    return;
  }
  const delay = options.delayMs();
  if (delay > 0) await sleep(delay);
  const info: ConnectionInfo = {
    id: connectionId(),
    connectedAt: Date.now(),
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    userAgent: String(req.headers['user-agent'] ?? ''),
    host: req.headers.host ?? `127.0.0.1:${context.port()}`,
  };
  const event = connectEvent(api, info, {
    rawHeaders: req.rawHeaders,
    query: url.searchParams,
    port: context.port(),
  });
  let result: { statusCode?: number; body?: string; headers?: Record<string, string> } | undefined;
  try {
    result = await options.app().connect(event);
  } catch (error) {
    context.report(error, `$connect in ${options.regionKey}`);
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
    void disconnect(context, { ...info }, 1006, 'client went away');
    return;
  }
  const protocol = responseHeader(result?.headers, 'sec-websocket-protocol');
  if (protocol) connectProtocol.set(req, protocol);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn: Connection = { ...info, socket: ws, lastActiveAt: info.connectedAt, disconnected: false };
    open(context, conn);
    watchFrameSizes(socket, context.frameBytes, () => ws.close(1009, 'Message too big'));
    ws.on('message', (data, isBinary) => {
      // API Gateway does not take binary frames: it closes the connection with 1003.
      if (isBinary) {
        ws.close(1003, 'Binary frames are not supported');
        return;
      }
      void context.track(onMessage(context, conn, data, isBinary));
    });
    ws.on('ping', () => resetIdle(context, conn));
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      void context.track(disconnect(context, conn, code, reason.toString()));
    });
  });
}
