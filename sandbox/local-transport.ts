/**
 * The in-process transport of the sandbox's own handlers: an AWS SDK `requestHandler` that hands each signed
 * request to the edge's or a gateway's dispatch function (the very functions their HTTP ports call) instead
 * of writing it to a loopback socket. The SDK clients are unmodified and run every middleware (serialise,
 * sign, retry, parse errors into GoneException and the rest); only the socket is skipped. On a small machine
 * a loopback HTTP exchange costs more CPU than the SDK call itself, and a chat message is a dozen of them.
 * Clients outside the sandbox process always come through the ports.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsRequestHandler } from '../runtime/app.js';
import type { EdgeResponse, LocalRequest } from './contracts.js';
import { awsError } from './wire/aws-wire.js';

type Dispatch = (request: LocalRequest) => Promise<EdgeResponse>;

/** The part of the SDK's HttpRequest this transport reads. */
interface SdkRequest {
  readonly method: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null | undefined>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

interface SdkResponse {
  readonly statusCode: number;
  readonly reason?: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

function queryString(query: SdkRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined) params.append(name, '');
    else if (Array.isArray(value)) for (const v of value) params.append(name, v);
    else params.append(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function bodyOf(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
  throw new TypeError('the in-process transport cannot send this request body');
}

function connectionRefused(host: string): Error {
  return Object.assign(new Error(`connect ECONNREFUSED ${host}`), { code: 'ECONNREFUSED', name: 'Error' });
}

/** Routes by the request's port on 127.0.0.1: the edge's and each running gateway's. */
export class LocalTransport {
  private readonly routes = new Map<number, Dispatch>();

  /** Serves requests to 127.0.0.1:`port` with `dispatch` (until `unroute`). */
  route(port: number, dispatch: Dispatch): void {
    this.routes.set(port, dispatch);
  }

  unroute(port: number): void {
    this.routes.delete(port);
  }

  /** The SDK `requestHandler` for the runtime's clients. */
  readonly requestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: (request: SdkRequest) => this.handle(request),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => {},
  } as unknown as AwsRequestHandler;

  private async handle(request: SdkRequest): Promise<{ response: SdkResponse }> {
    const host = `${request.hostname}:${request.port ?? 80}`;
    const local = request.hostname === '127.0.0.1' || request.hostname === 'localhost';
    const dispatch = local ? this.routes.get(request.port ?? 80) : undefined;
    // What a socket to a port nobody listens on gives (a removed region's gateway, say).
    if (!dispatch) throw connectionRefused(host);
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers.host ??= host;
    const body = await bodyOf(request.body);
    let answer: EdgeResponse;
    try {
      answer = await dispatch({
        method: request.method,
        url: `${request.path}${queryString(request.query)}`,
        headers,
        body,
        remoteAddress: '127.0.0.1',
        httpVersion: '1.1',
      });
    } catch (error) {
      // As the HTTP servers answer a handler that throws.
      answer = awsError('rest-json', 500, 'InternalFailure', `sandbox error: ${(error as Error).message}`);
    }
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers ?? {})) out[name.toLowerCase()] = value;
    const payload = answer.body ?? '';
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    out['content-length'] = String(bytes.length);
    return {
      response: {
        statusCode: answer.status,
        headers: out,
        // A copy of its own: the SDK turns the array it collects into its blob type in place.
        body: new Uint8Array(bytes),
      },
    };
  }
}
