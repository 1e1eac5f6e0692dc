/**
 * Test support for the global services (Route 53, CloudFront): builds them from the registry, as the
 * Sandbox does, over plain HTTP "gateways" whose /health can be switched between 200, 503 and closed, with
 * the sandbox's edge in front.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ListResourceRecordSetsCommand,
  type Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { WebSocketServer } from 'ws';
import { names } from '../../../core/names.js';
import type { Topology } from '../../../core/topology.js';
import type { RegionRuntimeInfo } from '../../../sandbox/contracts.js';
import { type Edge, startEdge } from '../../../sandbox/edge.js';
import type { HostedChatApp } from '../../../sandbox/runtime-host.js';
import { CLOUDFRONT } from '../../../sandbox/services/cloudfront/definition.js';
import type { CloudFrontService } from '../../../sandbox/services/cloudfront/index.js';
import { runningService } from '../../../sandbox/services/definition.js';
import type { SandboxParts } from '../../../sandbox/services/parts.js';
import { loadServices, SERVICES, startServices } from '../../../sandbox/services/registry.js';
import { ROUTE53 } from '../../../sandbox/services/route53/definition.js';
import type { Route53Service } from '../../../sandbox/services/route53/index.js';
import type { SandboxService, ServiceContext } from '../../../sandbox/services/service.js';
import { signaturePolicy } from '../../../sandbox/wire/sigv4.js';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
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
      apiId: `api${port}`,
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

export type { Edge } from '../../../sandbox/edge.js';
export { eventually } from '../../support/eventually.js';

/** The global services as the Sandbox runs them, with the hooks it calls. */
export interface GlobalServices {
  readonly route53: Route53Service;
  readonly cloudfront?: CloudFrontService;
  readonly china?: { readonly url: string; readonly distributionId: string };
  chinaOrigin(): string | undefined;
  addRegion(region: RegionRuntimeInfo): Promise<void>;
  removeRegion(key: string): Promise<void>;
}

export interface GlobalTestbed {
  readonly gateways: FakeGateway[];
  readonly global: GlobalServices;
  readonly edge: Edge;
  stop(): Promise<void>;
}

const noApp = new Proxy({} as HostedChatApp, {
  get: () => () => Promise.reject(new Error('the global services do not call the handlers')),
});

/** Fake gateways for every region of the topology, the global services over them, and the edge in front. */
export async function startGlobalTestbed(
  topology: Topology,
  healthCheckIntervalMs: number,
): Promise<GlobalTestbed> {
  const gateways = await Promise.all(topology.regions.map((r) => startFakeGateway(r.key, r.awsRegion)));
  const regions: RegionRuntimeInfo[] = gateways.map((g) => g.info);
  // As the sandbox does, a region added is in the topology before the services hear of it.
  let current = topology;
  const context: ServiceContext = {
    topology: () => current,
    account: topology.account,
    regions: () => regions.map((r) => ({ ...r, app: noApp })),
    log: () => {},
    onError: (error) => {
      throw error;
    },
  };
  const unused = () => {
    throw new Error('the global services do not use this part');
  };
  const parts: SandboxParts = {
    engine: { endpoint: 'http://127.0.0.1:1', instanceId: 'unused', noteWrite: unused },
    faults: { active: () => false, latencyMs: () => 0 },
    network: { ms: () => 0 },
    streams: { tap: () => () => {} },
    background: { track: unused },
    listeners: { host: '127.0.0.1', ports: { china: 0, dns: 0 } },
    figures: { sample: () => [] },
    replication: { inboundLagMs: () => undefined },
    lanes: { counters: unused, lanes: unused },
    edge: { url: 'http://127.0.0.1:1' },
  };
  const options = { healthCheckIntervalMs, failureThreshold: 2, dnsTtlSeconds: 60 };
  const services = new Map<string, SandboxService>();
  // The global services only: Route 53 runs without CloudWatch here (its alarm-following checks see none).
  const globalOnly = await loadServices(
    { global: true },
    SERVICES.filter((s) => s.global),
  );
  await startServices(globalOnly, { context, parts, options }, regions, services);
  const edge = await startEdge({
    port: 0,
    service: (name) => services.get(name),
    control: async () => ({ status: 404, body: {} }),
    access: () => ({ allowedOrigins: [], controlSecret: 'unused', signatures: signaturePolicy(true) }),
  });
  const cloudfront = runningService(services, CLOUDFRONT);
  const global: GlobalServices = {
    route53: runningService(services, ROUTE53) as Route53Service,
    cloudfront,
    get china() {
      return cloudfront?.china;
    },
    chinaOrigin: () => cloudfront?.chinaOrigin(),
    async addRegion(region) {
      if (!current.regions.some((r) => r.key === region.key)) {
        const spec = { key: region.key, awsRegion: region.awsRegion, probeSubnet: '198.51.100.0/24' };
        current = { ...current, regions: [...current.regions, spec] };
      }
      regions.push(region);
      for (const service of services.values()) await service.addRegion?.(region);
    },
    async removeRegion(key) {
      regions.splice(
        regions.findIndex((r) => r.key === key),
        1,
      );
      for (const service of services.values()) await service.removeRegion?.(key);
      current = { ...current, regions: current.regions.filter((r) => r.key !== key) };
    },
  };
  return {
    gateways,
    global,
    edge,
    async stop() {
      await edge.stop();
      for (const service of services.values()) await service.stop?.();
      await Promise.all(gateways.map((g) => g.stop()));
    },
  };
}

/** The region key whose chat record TestDNSAnswer gives a client in `fromKey`'s probe subnet. */
export async function latencyAnswerFor(
  r53: Route53Client,
  topology: Topology,
  fromKey: string,
): Promise<string | undefined> {
  const [ip, mask] = (topology.regions.find((r) => r.key === fromKey)?.probeSubnet ?? '').split('/');
  const chat = names.chatRecord(topology);
  const answer = await r53.send(
    new TestDNSAnswerCommand({
      HostedZoneId: topology.hostedZone.id,
      RecordName: chat,
      RecordType: 'A',
      EDNS0ClientSubnetIP: ip,
      EDNS0ClientSubnetMask: mask,
    }),
  );
  const records = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: topology.hostedZone.id }));
  return records.ResourceRecordSets?.find(
    (r) => r.Name === `${chat}.` && r.ResourceRecords?.some((v) => v.Value === answer.RecordData?.[0]),
  )?.SetIdentifier;
}
