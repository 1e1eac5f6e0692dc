/**
 * Message routing: each frame becomes a MESSAGE event on the route its `action` names (one of the
 * protocol's actions), else $default, as the API's route selection expression `$request.body.action` does.
 * A handler that throws gets API Gateway's "Internal server error" frame back to the client.
 */
import { type RawData, WebSocket } from 'ws';
import { ACTIONS } from '../../core/protocol.js';
import { type Connection, type GatewayContext, resetIdle, sleep } from './connections.js';
import { messageEvent } from './events.js';

/** The route a text frame selects. */
function routeKeyOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { action?: unknown };
    if (
      parsed &&
      typeof parsed.action === 'string' &&
      (ACTIONS as readonly string[]).includes(parsed.action)
    ) {
      return parsed.action;
    }
  } catch {
    // not JSON: $default
  }
  return '$default';
}

export async function onMessage(
  context: GatewayContext,
  conn: Connection,
  data: RawData,
  isBinary: boolean,
): Promise<void> {
  resetIdle(context, conn);
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  const delay = context.options.delayMs();
  if (delay > 0) await sleep(delay);
  const text = buffer.toString(isBinary ? 'base64' : 'utf8');
  const routeKey = isBinary ? '$default' : routeKeyOf(text);
  const event = messageEvent(context.api, conn, routeKey, text, isBinary);
  try {
    await context.options.app().message(event);
  } catch (error) {
    context.report(error, `${routeKey} in ${context.options.regionKey}`);
    if (conn.socket.readyState === WebSocket.OPEN) {
      conn.socket.send(
        JSON.stringify({
          message: 'Internal server error',
          connectionId: conn.id,
          requestId: event.requestContext.requestId,
        }),
      );
    }
  }
}
