/**
 * Test support for the global services: puts EdgeServiceHandlers behind a small local HTTP server that routes
 * by the SigV4 credential scope (as the sandbox's edge does), and stands up plain HTTP "gateways" whose
 * /health can be switched between 200, 503 and closed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Topology } from '../../../core/topology.js';
import type { EdgeServiceHandler, RegionRuntimeInfo } from '../../../sandbox/contracts.js';
import { type SandboxGlobalServices, startGlobalServices } from '../../../sandbox/global/index.js';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface Edge {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEdge(services: Readonly<Record<string, EdgeServiceHandler>>): Promise<Edge> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
        req.headers.authorization ?? '',
      );
      const handler = scope ? services[scope[2]] : undefined;
      if (!scope || !handler) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('no handler');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://edge');
      const response = await handler({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
        service: scope[2],
        region: scope[1],
      });
      res.writeHead(response.status, response.headers ?? {}).end(response.body ?? '');
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

export interface FakeGateway {
  readonly info: RegionRuntimeInfo;
  /** What GET /health answers with: a status code, or 'closed' to stop listening. */
  setHealth(state: 200 | 503 | 'closed'): Promise<void>;
  /** Requests seen (method, url, headers). */
  readonly seen: { method: string; url: string; headers: Record<string, string | string[] | undefined> }[];
  stop(): Promise<void>;
}

export async function startFakeGateway(key: string, awsRegion: string): Promise<FakeGateway> {
  let health: 200 | 503 = 200;
  const seen: FakeGateway['seen'] = [];
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/health') {
      res
        .writeHead(health, { 'content-type': 'application/json' })
        .end(JSON.stringify({ region: key, ok: health === 200 }));
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ region: key, url: req.url }));
  };
  // WebSocket upgrades are accepted and every text frame is echoed back as { region, echo }.
  const wss = new WebSocketServer({ noServer: true });
  const withUpgrade = (server: Server) => {
    server.on('upgrade', (req, socket, head) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data) => ws.send(JSON.stringify({ region: key, echo: data.toString() })));
      });
    });
    return server;
  };
  let server = withUpgrade(createServer(handler));
  const port = await listen(server);
  let closed = false;
  return {
    info: {
      key,
      awsRegion,
      websocketUrl: `ws://127.0.0.1:${port}/prod`,
      healthUrl: `http://127.0.0.1:${port}/health`,
      gatewayPort: port,
    },
    seen,
    async setHealth(state) {
      if (state === 'closed') {
        for (const client of wss.clients) client.terminate();
        if (!closed) await close(server);
        closed = true;
        return;
      }
      health = state;
      if (closed) {
        server = withUpgrade(createServer(handler));
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
        closed = false;
      }
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      if (!closed) await close(server);
      closed = true;
    },
  };
}

/** Polls until `check` returns true (a safety timeout, not a speed assertion). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  stepMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface GlobalTestbed {
  readonly gateways: FakeGateway[];
  readonly global: SandboxGlobalServices;
  readonly edge: Edge;
  stop(): Promise<void>;
}

/** Fake gateways for every region of the topology, the global services over them, and an edge in front. */
export async function startGlobalTestbed(
  topology: Topology,
  healthCheckIntervalMs: number,
): Promise<GlobalTestbed> {
  const gateways = await Promise.all(topology.regions.map((r) => startFakeGateway(r.key, r.awsRegion)));
  const global = await startGlobalServices({
    topology,
    regions: gateways.map((g) => g.info),
    account: topology.account,
    healthCheckIntervalMs,
    failureThreshold: 2,
  });
  const edge = await startEdge(global.services);
  return {
    gateways,
    global,
    edge,
    async stop() {
      await edge.stop();
      await global.stop();
      await Promise.all(gateways.map((g) => g.stop()));
    },
  };
}
