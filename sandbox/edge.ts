/**
 * The AWS-compatible edge endpoint: one HTTP port that routes each request by the service in its SigV4
 * credential scope to the service of that name (services/registry.ts lists them). Anything it cannot serve
 * gets the AWS error shape of the request's protocol, never a crash or a hang. The control API for the CLI
 * (control-api.ts) lives under /_chatctl/.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  type AccessPolicy,
  CONTROL_SECRET_HEADER,
  hasControlSecret,
  ORIGIN_HINT,
  refusedOrigin,
} from './access.js';
import type { EdgeResponse, LocalRequest } from './contracts.js';
import { CONSOLE_EVENTS_PATH, CONTROL_PREFIX, EVENTS_PATH } from './control-api.js';
import { foreignHostMessage, hostNamesListener } from './host-check.js';
import { BodyTooLargeError, closeServer, listen, readBody, urlHost, writeResponse } from './http.js';
import type { SandboxService } from './services/service.js';
import { detectProtocol, parseCredentialScope } from './wire/aws-wire.js';
import { awsError, errorCodeOf, errorResponse } from './wire/errors.js';
import { PrototypeKeyError, parseJsonRefusingPrototypeKeys } from './wire/keys.js';
import { checkSignature } from './wire/sigv4.js';

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export type ControlHandler = (
  method: string,
  path: string,
  body: unknown,
) => Promise<{ status: number; body: unknown }>;

export interface Edge {
  readonly url: string;
  readonly port: number;
  /** The same answers as the port, without a socket (the sandbox's own handlers call it in-process). */
  dispatch(request: LocalRequest): Promise<EdgeResponse>;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  readonly port: number;
  readonly host?: string;
  /** The running service of a SigV4 signing name (undefined: not emulated, or not started yet). */
  service(name: string): SandboxService | undefined;
  /** The control API (answers 503 until the sandbox has started). */
  readonly control: ControlHandler;
  /** Each AWS request answered (not the control API's): for the sandbox log. */
  readonly onRequest?: (request: EdgeRequestRecord) => void;
  /** Browser origins, the control secret and SigV4 (access.ts). */
  access(): AccessPolicy;
  /**
   * The console's routes (the page and its event stream: console/server.ts), given the path below the
   * control prefix; false when the path is not one of them.
   */
  readonly console?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
  /**
   * The local event bus's endpoint (`/_chatctl/events`: services/events/http.ts), after the secret and Host
   * checks; false when the bus does not run.
   */
  readonly events?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
}

export interface EdgeRequestRecord {
  readonly service: string;
  readonly operation: string;
  readonly awsRegion: string;
  /** The region key whose handlers made the request (their endpoint says it), if any. */
  readonly caller?: string;
  readonly status: number;
  readonly ms: number;
  /** The AWS error code of a 4xx or 5xx answer, when its body or headers say it. */
  readonly code?: string;
}

/**
 * The operation of a request, as far as the wire says it without the service: the JSON protocols' target
 * header, the query protocol's Action, else the REST method and path (ids left out).
 */
export function operationOf(
  method: string,
  path: string,
  headers: LocalRequest['headers'],
  body: Buffer,
): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  if (body.length > 0 && body.length < 4096) {
    const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
    if (action) return action[1];
  }
  if (/\/functions\/[^/]+\/invocations$/.test(path)) return 'Invoke';
  const shape = path
    .split('/')
    .filter(Boolean)
    .map((part) => (/\d/.test(part) && !/^\d{4}-\d{2}-\d{2}$/.test(part) ? '*' : part))
    .join('/');
  return `${method} /${shape}`;
}

const jsonReply = (status: number, body: unknown): EdgeResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The console's own routes pass the same checks as the control API: a browser Origin must be allowed; the
 * event stream needs the secret too, which an EventSource cannot send as a header, so it may come as the
 * `secret` query parameter (compared by the same function). The page's static files carry no secret.
 */
function consoleRefusal(
  url: URL,
  headers: IncomingHttpHeaders,
  access: AccessPolicy,
): EdgeResponse | undefined {
  const refused = refusedOrigin(headers, access);
  if (refused) return jsonReply(403, { error: refused, hint: ORIGIN_HINT });
  if (url.pathname !== `${CONTROL_PREFIX}${CONSOLE_EVENTS_PATH}`) return undefined;
  const given = headers[CONTROL_SECRET_HEADER] ?? url.searchParams.get('secret') ?? undefined;
  if (hasControlSecret({ [CONTROL_SECRET_HEADER]: given }, access.controlSecret)) return undefined;
  return jsonReply(403, {
    error: `the console's event stream needs this sandbox's secret (${CONTROL_SECRET_HEADER} or ?secret=)`,
    hint: 'open the console from the URL chatctl sandbox up prints (chatctl sandbox status shows it too)',
  });
}

/** The event bus's endpoint is for local programs (the Host was checked already): no browser origin, the secret. */
function eventsRefusal(headers: IncomingHttpHeaders, access: AccessPolicy): EdgeResponse | undefined {
  const refused = refusedOrigin(headers, access);
  if (refused) return jsonReply(403, { error: refused, hint: ORIGIN_HINT });
  if (hasControlSecret(headers, access.controlSecret)) return undefined;
  return jsonReply(403, {
    error: `the event bus needs this sandbox's secret in the ${CONTROL_SECRET_HEADER} header`,
    hint: 'read it from .chatctl/sandbox.json (controlSecret), or use: chatctl events tail',
  });
}

/**
 * Answers one request; the HTTP server and the in-process transport (local-transport.ts) both call it.
 * Whatever fails unexpectedly, in a service or here, is InternalFailure in the protocol the caller spoke.
 */
function dispatcher(options: EdgeOptions): (request: LocalRequest) => Promise<EdgeResponse> {
  const answer = answerer(options);
  return (request) =>
    answer(request).catch((error: unknown) =>
      errorResponse(detectProtocol(request.headers, request.body), error),
    );
}

function answerer(options: EdgeOptions): (request: LocalRequest) => Promise<EdgeResponse> {
  return async function answer(request: LocalRequest): Promise<EdgeResponse> {
    const url = new URL(request.url || '/', 'http://edge');
    const access = options.access();
    const isControl = url.pathname.startsWith(`${CONTROL_PREFIX}/`);
    const refused = refusedOrigin(request.headers, access);
    if (refused) {
      return isControl
        ? jsonReply(403, { error: refused, hint: ORIGIN_HINT })
        : awsError(detectProtocol(request.headers, request.body), 403, 'AccessDeniedException', refused);
    }
    let caller: string | undefined;
    const from = /^\/_from\/([a-z][a-z0-9]{1,11})(\/.*)?$/.exec(url.pathname);
    if (from) {
      caller = from[1];
      url.pathname = from[2] ?? '/';
    }
    const { body } = request;
    if (body.length > MAX_BODY_BYTES) {
      return awsError(
        detectProtocol(request.headers, body),
        413,
        'RequestEntityTooLargeException',
        'request body too large',
      );
    }
    if (isControl) {
      if (!hasControlSecret(request.headers, access.controlSecret)) {
        return jsonReply(403, {
          error: `the control API needs this sandbox's secret in the ${CONTROL_SECRET_HEADER} header`,
          hint: "chatctl sends it from the sandbox's sandbox.json (controlSecret), which only the user who started it can read",
        });
      }
      let parsed: unknown;
      try {
        parsed = body.length > 0 ? parseJsonRefusingPrototypeKeys(body.toString('utf8')) : undefined;
      } catch (error) {
        if (error instanceof PrototypeKeyError) return jsonReply(400, { error: error.message });
        return jsonReply(400, { error: 'body is not JSON' });
      }
      const result = await options.control(request.method, url.pathname.slice(CONTROL_PREFIX.length), parsed);
      return jsonReply(result.status, result.body);
    }
    const signature = await checkSignature(request, access.signatures);
    if (!signature.ok) {
      const scope = parseCredentialScope(request.headers, url.searchParams);
      // A query-protocol GET (a presigned URL) names its Action in the query string, not in a body.
      const guessed = url.searchParams.has('Action')
        ? 'query'
        : detectProtocol(request.headers, body, scope.ok ? scope.scope.service : undefined);
      const { status, code, xmlCode, message } = signature.fault;
      const xml = guessed === 'query' || guessed === 'rest-xml';
      return awsError(guessed, status, xml ? xmlCode : code, message);
    }
    const { service, region } = signature.scope;
    const protocol = detectProtocol(request.headers, body, service);
    const handler = options.service(service);
    if (!handler?.handle) {
      return awsError(
        protocol,
        400,
        'UnknownOperationException',
        `the chatctl sandbox does not emulate the service "${service}"`,
      );
    }
    const started = performance.now();
    const response = await handler
      .handle({
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
        service,
        region,
        ...(caller ? { caller } : {}),
      })
      .catch((error: unknown) => errorResponse(protocol, error));
    options.onRequest?.({
      service,
      operation: operationOf(request.method, url.pathname, request.headers, body),
      awsRegion: region,
      ...(caller ? { caller } : {}),
      status: response.status,
      ms: performance.now() - started,
      ...(response.status >= 400 ? withCode(errorCodeOf(response)) : {}),
    });
    return response;
  };
}

const withCode = (code: string | undefined) => (code ? { code } : {});

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  const dispatch = dispatcher(options);
  let port = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://edge');
    if (!hostNamesListener(req.headers.host, { port, address: host })) {
      const message = foreignHostMessage(req.headers.host);
      writeResponse(
        res,
        url.pathname.startsWith(`${CONTROL_PREFIX}/`)
          ? jsonReply(403, { error: message, hint: `reach the sandbox at http://127.0.0.1:${port}` })
          : awsError(detectProtocol(req.headers, Buffer.alloc(0)), 403, 'AccessDeniedException', message),
      );
      req.resume();
      return;
    }
    if (options.events && url.pathname === `${CONTROL_PREFIX}${EVENTS_PATH}`) {
      const refused = eventsRefusal(req.headers, options.access());
      if (refused) writeResponse(res, refused);
      else if (!options.events(req, res, url)) {
        writeResponse(res, jsonReply(404, { error: 'the local event bus does not run in this sandbox' }));
      }
      return;
    }
    if (options.console && url.pathname.startsWith(`${CONTROL_PREFIX}/console/`)) {
      const refused = consoleRefusal(url, req.headers, options.access());
      if (refused) {
        writeResponse(res, refused);
        return;
      }
      if (options.console(req, res, url.pathname.slice(CONTROL_PREFIX.length))) return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        const protocol = detectProtocol(req.headers, Buffer.alloc(0));
        writeResponse(
          res,
          awsError(protocol, 413, 'RequestEntityTooLargeException', 'request body too large'),
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
    handle(req, res).catch((error: unknown) => {
      writeResponse(res, errorResponse(detectProtocol(req.headers, Buffer.alloc(0)), error));
    });
  });
  // A port in use rejects with EADDRINUSE; the Sandbox explains it (ports.ts).
  port = await listen(server, options.port, host);
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    dispatch,
    stop: () => closeServer(server),
  };
}
