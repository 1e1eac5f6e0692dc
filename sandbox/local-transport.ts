/**
 * The in-process transport of the sandbox's own handlers: an AWS SDK `requestHandler` that hands each signed
 * request to the edge's or a gateway's dispatch function (the very functions their HTTP ports call) instead
 * of writing it to a loopback socket. The SDK clients are unmodified and run every middleware (serialise,
 * sign, retry, parse errors into GoneException and the rest); only the socket is skipped. On a small machine
 * a loopback HTTP exchange costs more CPU than the SDK call itself, and a chat message is a dozen of them.
 * Clients outside the sandbox process always come through the ports. The SDK's abort signal and a
 * request's `requestTimeout` end the caller's wait as they end a socket's: a slow region is as slow here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsRequestHandler } from '../runtime/app.js';
import type { EdgeResponse, LocalRequest } from './contracts.js';
import { awsError } from './wire/errors.js';

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

/** What the SDK passes with each request: its abort signal and a per-request timeout, if set. */
interface HandlerOptions {
  readonly abortSignal?: AbortSignal | { readonly aborted: boolean; onabort?: unknown };
  readonly requestTimeout?: number;
}

/** As Node's HTTP handler rejects an aborted request (its buildAbortError): an AbortError. */
function abortError(signal: HandlerOptions['abortSignal']): Error {
  const reason = (signal as { reason?: unknown } | undefined)?.reason;
  if (reason && !(reason instanceof Error))
    return Object.assign(new Error(String(reason)), { name: 'AbortError' });
  const error = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
  if (reason) (error as { cause?: unknown }).cause = reason;
  return error;
}

/**
 * As Node's HTTP handler rejects a request past its requestTimeout when it throws on one (the runtime's
 * clients set throwOnRequestTimeout): a TimeoutError, which the SDK retries.
 */
function timeoutError(ms: number): Error {
  return Object.assign(new Error(`Connection timed out after ${ms} ms`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
  });
}

/**
 * Settles with `work`, or rejects once the caller's signal aborts or its timeout passes, as a socket does:
 * the server side keeps going (an HTTP request already sent is handled), only the caller stops waiting.
 */
function bounded<T>(work: Promise<T>, options: HandlerOptions): Promise<T> {
  const signal = options.abortSignal;
  const timeoutMs = options.requestTimeout ?? 0;
  if (!signal && !(timeoutMs > 0)) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(abortError(signal)));
    const finish = (settle: () => void) => {
      if (timer) clearTimeout(timer);
      if (signal && 'removeEventListener' in signal) signal.removeEventListener('abort', onAbort);
      settle();
    };
    if (timeoutMs > 0) timer = setTimeout(() => finish(() => reject(timeoutError(timeoutMs))), timeoutMs);
    if (signal && 'addEventListener' in signal) signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
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
    handle: (request: SdkRequest, options: HandlerOptions = {}) => this.handle(request, options),
    // Shared by every client of the sandbox: a client's own timeouts come with each request (handle's options).
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => {},
  } as unknown as AwsRequestHandler;

  private async handle(request: SdkRequest, options: HandlerOptions): Promise<{ response: SdkResponse }> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
    return bounded(this.exchange(request), options);
  }

  private async exchange(request: SdkRequest): Promise<{ response: SdkResponse }> {
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
