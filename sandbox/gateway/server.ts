/**
 * A region's API Gateway: a WebSocket API (stage `prod`) plus its HTTP /health route and the @connections
 * management API, all on one port. This module is the server and its lifecycle; each phase has a module:
 * the upgrade and $connect (./upgrade.ts), message routing (./messages.ts), @connections
 * (./management.ts) and /health (./health.ts), with the events they build in ./events.ts. The handlers get
 * API Gateway's exact event shapes; API Gateway's limits apply (a frame over 32 KB or a message over
 * 128 KB -> close 1009, a binary frame -> close 1003, idle timeout, maximum connection time).
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { LIMITS } from '../../core/protocol.js';
import { HEALTH_THROTTLE, STAGE_THROTTLE } from '../../core/routing-health.js';
import { type AccessPolicy, refusedOrigin } from '../access.js';
import type { EdgeResponse, LocalRequest } from '../contracts.js';
import { closeServer, listen, readBody, urlHost, writeResponse } from '../http.js';
import { isThrottle } from '../throttle.js';
import { checkSignature, signaturePolicy } from '../wire/sigv4.js';
import { type Connection, disconnect, type GatewayContext, sleep } from './connections.js';
import { answerHealth } from './health.js';
import { servesHost } from './host.js';
import { failure, manageConnection, reply } from './management.js';
import type { GatewayOptions } from './options.js';
import { StageThrottle, TOO_MANY_REQUESTS } from './stage-throttle.js';
import { onUpgrade, protocolFromConnect } from './upgrade.js';

export type { GatewayOptions };

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

const defaultAccess = (): AccessPolicy => ({
  allowedOrigins: [],
  controlSecret: '',
  signatures: signaturePolicy(false),
});

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? 'prod';
  const connections = new Map<string, Connection>();
  const inflight = new Set<Promise<unknown>>();
  let port = 0;
  const context: GatewayContext = {
    options,
    api: { apiId: randomBytes(5).toString('hex'), stage },
    idleTimeoutMs: options.idleTimeoutMs ?? LIMITS.idleTimeoutMs,
    maxConnectionMs: options.maxConnectionMs ?? LIMITS.maxConnectionMs,
    frameBytes: options.frameBytes ?? LIMITS.frameBytes,
    connections,
    port: () => port,
    track(work) {
      inflight.add(work);
      void work.finally(() => inflight.delete(work)).catch(() => {});
      return work;
    },
    // A throttled invocation is API Gateway's integration failure, not a sandbox error: counted, not printed.
    report: (error, where) => {
      if (!isThrottle(error)) options.onError?.(error as Error, where);
    },
    access: options.access ?? defaultAccess,
    throttles: {
      stage: new StageThrottle(options.throttles?.stage ?? STAGE_THROTTLE),
      health: new StageThrottle(options.throttles?.health ?? HEALTH_THROTTLE),
    },
  };
  // ws limits the whole message (128 KB); each frame's 32 KB is watched in ./frame-sizes.ts.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.messageBytes,
    handleProtocols: protocolFromConnect,
  });

  /** @connections and /health; the HTTP server and the in-process transport (local-transport.ts) call it. */
  /** The health API's stage throttle, taken as a request arrives (before its body, as API Gateway's front door). */
  const healthAdmits = () => context.throttles.health.take();

  async function dispatch(request: LocalRequest, admitted = false): Promise<EdgeResponse> {
    const url = new URL(request.url || '/', 'http://gateway');
    const access = context.access();
    const refused = refusedOrigin(request.headers, access);
    if (refused) return failure(403, 'ForbiddenException', refused);
    if (url.pathname === '/health') {
      if (!admitted && !healthAdmits()) return reply(429, TOO_MANY_REQUESTS);
      return answerHealth(context, request, url);
    }
    // @connections is IAM-authorized on AWS: a SigV4 signature for execute-api.
    const signature = await checkSignature(request, access.signatures);
    if (!signature.ok) {
      const { code, message } = signature.fault;
      return failure(403, code, message);
    }
    return manageConnection(context, request, url);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!servesHost(options.domainNames, req.headers.host, context.port(), options.host)) {
      writeResponse(res, reply(403, JSON.stringify({ message: 'Forbidden' })));
      return;
    }
    const health = (req.url ?? '').split('?')[0] === '/health';
    if (health && !healthAdmits()) {
      req.resume();
      writeResponse(res, reply(429, TOO_MANY_REQUESTS));
      return;
    }
    const body = await readBody(req);
    const response = await dispatch(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
        remoteAddress: req.socket.remoteAddress,
        httpVersion: req.httpVersion,
      },
      health,
    );
    writeResponse(res, response);
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((error: Error) => {
      context.report(error, `HTTP ${req.method} ${req.url} in ${options.regionKey}`);
      if (!res.headersSent)
        writeResponse(res, reply(500, JSON.stringify({ message: 'Internal server error' })));
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    onUpgrade(context, wss, req, socket as Socket, head).catch((error: Error) => {
      context.report(error, `upgrade in ${options.regionKey}`);
      socket.destroy();
    });
  });
  port = await listen(server, options.port ?? 0, options.host);
  const reach = urlHost(options.host);

  return {
    port,
    apiId: context.api.apiId,
    websocketUrl: `ws://${reach}:${port}/${stage}`,
    managementUrl: `http://${reach}:${port}/${stage}`,
    healthUrl: `http://${reach}:${port}/health`,
    connectionCount: () => connections.size,
    dispatch,
    dropAll() {
      for (const conn of [...connections.values()]) {
        conn.socket.terminate();
        void disconnect(context, conn, 1006, 'gateway down');
      }
    },
    async stop() {
      const open = [...connections.values()];
      for (const conn of open) conn.socket.terminate();
      await Promise.all(open.map((conn) => context.track(disconnect(context, conn, 1001, 'Going away'))));
      await Promise.race([Promise.allSettled([...inflight]), sleep(3000)]);
      wss.close();
      // A socket still in its $connect (upgrading, so not yet a connection) would hold close() forever.
      await closeServer(server, 3000);
    },
  };
}
