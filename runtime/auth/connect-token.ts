/**
 * Where $connect finds the token: the Sec-WebSocket-Protocol header (subprotocols `chat.v1, <token>`,
 * core/protocol.ts), which no access log records. `?token=` in the URL is refused unless the topology's
 * compatibility switch auth.tokenInQuery is on: CloudFront's and API Gateway's logs record URLs.
 */
import { CHAT_SUBPROTOCOL, offeredProtocols } from '../../core/protocol.js';

export type ConnectToken =
  /** The token, and the subprotocol $connect must echo (absent when the client asked for none). */
  { readonly token: string; readonly protocol?: string } | { readonly refused: string };

interface ConnectEventLike {
  readonly headers?: Record<string, string | undefined> | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
}

/** A header's value whatever the case of its name (API Gateway keeps the client's). */
function header(event: ConnectEventLike, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

export function connectToken(event: ConnectEventLike, tokenInQuery: boolean): ConnectToken {
  const offered = offeredProtocols(header(event, 'sec-websocket-protocol'));
  if (offered.chat && offered.token) return { token: offered.token, protocol: CHAT_SUBPROTOCOL };
  const query = event.queryStringParameters?.token;
  if (query && tokenInQuery) {
    // A client on the old URL form may still ask for the chat's subprotocol: echo it then.
    return offered.chat ? { token: query, protocol: CHAT_SUBPROTOCOL } : { token: query };
  }
  if (query) {
    return {
      refused: `a token in the URL is refused (it would be logged): ask for the subprotocols "${CHAT_SUBPROTOCOL}, <token>" in Sec-WebSocket-Protocol (docs/protocol.md, Connecting)`,
    };
  }
  return {
    refused: `missing token: ask for the subprotocols "${CHAT_SUBPROTOCOL}, <token>" in Sec-WebSocket-Protocol (docs/protocol.md, Connecting)`,
  };
}
