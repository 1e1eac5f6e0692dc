/**
 * The console's server side, part one: one ConsoleSnapshot (control-api.ts) of a running sandbox, read from
 * the parts that decide (fault registry, Route 53's checkers and latency answer, the replicator's queues,
 * the surge controller, the China proxy). The page only draws it.
 */
import type { ConsoleRegion, ConsoleSnapshot } from '../control-api.js';
import type { ControlledSandbox } from '../controlled.js';
import { FAULT_KINDS } from '../faults.js';
import { CLOUDFRONT } from '../services/cloudfront/definition.js';
import { ROUTE53 } from '../services/route53/definition.js';
import { SURGE } from '../services/surge/definition.js';

const HEALTH_PROBE_TIMEOUT_MS = 1500;

async function probeHealth(url: string): Promise<ConsoleRegion['health']> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    return { ok: response.ok, detail: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

export async function consoleSnapshot(sandbox: ControlledSandbox): Promise<ConsoleSnapshot> {
  const route53 = sandbox.service(ROUTE53);
  const cloudfront = sandbox.service(CLOUDFRONT);
  const surge = sandbox.service(SURGE);
  const regions = [...sandbox.regions.values()];
  const faults = sandbox.faults.list();
  const views = await Promise.all(
    regions.map(async (region): Promise<ConsoleRegion> => {
      const check = route53?.regionHealth(region.key);
      const level = surge?.level(region.key);
      const own = faults.filter((f) => f.region === region.key);
      return {
        key: region.key,
        awsRegion: region.awsRegion,
        websocketUrl: region.websocketUrl,
        healthUrl: region.healthUrl,
        gateway: own.some((f) => f.fault.kind === 'gateway-down') ? 'down' : 'up',
        health: await probeHealth(region.healthUrl),
        ...(check ? { healthCheck: { healthy: check.healthy, lastProbe: check.lastProbe } } : {}),
        ...(level === undefined ? {} : { loadLevel: level }),
        faults: own,
        replicationPaused: sandbox.replication.isPaused(region.key),
        connections: region.connectionCount(),
      };
    }),
  );
  const routing = route53
    ? regions.map((r) => ({
        region: r.key,
        subnet: r.spec.probeSubnet,
        answer: route53.answerFor(r.spec.probeSubnet),
      }))
    : [];
  const china = cloudfront?.china;
  return {
    at: new Date().toISOString(),
    regions: views,
    routing,
    lag: sandbox.replication.pairs(),
    ...(china ? { china: { ...china, origin: cloudfront?.chinaOrigin() } } : {}),
    faultKinds: FAULT_KINDS.map((k) => (k === 'latency' ? 'latency=200' : k)),
    ...(sandbox.drills.live ? { drill: sandbox.drills.live } : {}),
  };
}
