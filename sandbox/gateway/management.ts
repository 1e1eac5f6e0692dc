/**
 * The @connections management API (POST to send, GET to describe, DELETE to close a connection), with API
 * Gateway's answers: 410 GoneException for a connection that is not open, 413 over 128 KB.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { LIMITS } from '../../core/protocol.js';
import type { EdgeResponse, LocalRequest } from '../contracts.js';
import type { GatewayContext } from './connections.js';

/** A JSON answer as API Gateway's HTTP side gives it. */
export function reply(status: number, body = '', headers: Record<string, string> = {}): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers },
    body,
  };
}

/** An error as API Gateway's HTTP side gives it: `{message}` and its type in x-amzn-errortype. */
export const failure = (status: number, type: string, message: string) =>
  reply(status, JSON.stringify({ message }), { 'x-amzn-errortype': type });

const gone = () => reply(410, JSON.stringify({ message: null }), { 'x-amzn-errortype': 'GoneException' });

export async function manageConnection(
  context: GatewayContext,
  request: LocalRequest,
  url: URL,
): Promise<EdgeResponse> {
  const { body, method } = request;
  const prefix = `/${context.api.stage}/@connections/`;
  if (!url.pathname.startsWith(prefix)) return failure(403, 'ForbiddenException', 'Forbidden');
  let id: string;
  try {
    id = decodeURIComponent(url.pathname.slice(prefix.length));
  } catch {
    return failure(400, 'BadRequestException', 'Invalid connection id');
  }
  const conn = context.connections.get(id);
  if (method === 'POST') {
    if (body.length > LIMITS.messageBytes) {
      return failure(413, 'PayloadTooLargeException', 'Request entity too large');
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
  return failure(405, 'MethodNotAllowedException', 'Method not allowed');
}
