/**
 * The sandbox's own figures as the metrics AWS publishes for them, by their documented names and dimensions
 * (the ones stacks/metrics.ts alarms on): AWS/Lambda per function, AWS/ApiGateway per API and stage,
 * AWS/DynamoDB ReplicationLatency and PendingReplicationCount per source -> receiving pair (published in the
 * source region), AWS/SQS ApproximateNumberOfMessagesVisible of each region's relay failure queue, and the handlers' embedded-metric-format lines (the relay's). CloudWatch (services/cloudwatch/)
 * stores them every tick.
 */
import { names } from '../core/names.js';
import { METRIC_DIMENSION } from '../core/observability.js';
import type { Route } from '../core/protocol.js';
import type { Topology } from '../core/topology.js';
import type { EmfValue } from './emf-metrics.js';
import type { RouteSample } from './lanes.js';
import type { ReplicationPairSample } from './replication/replicator.js';
import type { MetricSample } from './services/service.js';

export interface MetricRegion {
  readonly key: string;
  readonly awsRegion: string;
  readonly apiId: string;
  readonly stage: string;
}

export interface MetricSources {
  topology(): Topology;
  regions(): readonly MetricRegion[];
  /** A region's handler figures since the previous sample (LaneCounters.sample). */
  routes(key: string): readonly RouteSample[];
  replication(): readonly ReplicationPairSample[];
  /** The handlers' embedded-metric-format values since the previous sample (emf-metrics.ts). */
  emf?(): readonly EmfValue[];
  /** The queued relays into a region that Lambda gave up on: what its relay's failure queue holds. */
  failedRelays?(key: string): number;
}

/** Routes that are WebSocket messages (MessageCount); connect and disconnect are counted apart. */
const NOT_MESSAGES = new Set(['connect', 'disconnect', 'relay', 'health', 'stream']);

const count = (n: number) => ({ values: [n], unit: 'Count' });

export function sampleSandboxMetrics(sources: MetricSources): MetricSample[] {
  const topology = sources.topology();
  const out: MetricSample[] = [];
  const byKey = new Map(sources.regions().map((r) => [r.key, r]));
  for (const region of byKey.values()) {
    const routes = sources.routes(region.key);
    const lambda = (route: string, name: string, values: Pick<MetricSample, 'values' | 'unit'>) => {
      const functionName = names.function(topology, region.key, route as Route);
      out.push({
        awsRegion: region.awsRegion,
        namespace: 'AWS/Lambda',
        name,
        dimensions: [{ Name: 'FunctionName', Value: functionName }],
        ...values,
      });
    };
    let connects = 0;
    let messages = 0;
    let integrationErrors = 0;
    for (const r of routes) {
      const active = r.invocations > 0 || r.throttles > 0 || r.inFlight > 0;
      if (!active) continue;
      lambda(r.route, 'Invocations', count(r.invocations));
      lambda(r.route, 'Errors', count(r.errors));
      lambda(r.route, 'Throttles', count(r.throttles));
      lambda(r.route, 'ConcurrentExecutions', count(r.peak));
      if (r.durations.length > 0) lambda(r.route, 'Duration', { values: r.durations, unit: 'Milliseconds' });
      if (r.route === 'connect') connects += r.invocations + r.throttles;
      else if (!NOT_MESSAGES.has(r.route)) messages += r.invocations + r.throttles;
      if (!NOT_MESSAGES.has(r.route) || r.route === 'connect') integrationErrors += r.errors + r.throttles;
    }
    const api = (name: string, n: number) =>
      out.push({
        awsRegion: region.awsRegion,
        namespace: 'AWS/ApiGateway',
        name,
        dimensions: [
          { Name: 'ApiId', Value: region.apiId },
          { Name: 'Stage', Value: region.stage },
        ],
        ...count(n),
      });
    // The relay's on-failure queue (nothing reads it in the sandbox: what arrived stays visible).
    if (sources.failedRelays) {
      out.push({
        awsRegion: region.awsRegion,
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: [{ Name: 'QueueName', Value: names.relayFailureQueue(topology, region.key) }],
        ...count(sources.failedRelays(region.key)),
      });
    }
    api('ConnectCount', connects);
    api('MessageCount', messages);
    api('IntegrationError', integrationErrors);
    // The sandbox calls its handlers in process: no call fails to be made (a full lane is a throttle, above).
    api('ExecutionError', 0);
  }
  for (const pair of sources.replication()) {
    const from = byKey.get(pair.from);
    const to = byKey.get(pair.to);
    if (!from || !to) continue;
    const dimensions = [
      { Name: 'TableName', Value: names.table(topology) },
      { Name: 'ReceivingRegion', Value: to.awsRegion },
    ];
    const base = { awsRegion: from.awsRegion, namespace: 'AWS/DynamoDB', dimensions };
    out.push({ ...base, name: 'PendingReplicationCount', ...count(pair.pending) });
    if (pair.latenciesMs.length > 0) {
      out.push({ ...base, name: 'ReplicationLatency', values: pair.latenciesMs, unit: 'Milliseconds' });
    }
  }
  // One sample per metric per tick, its values the lines' values (as CloudWatch Logs extracts them).
  const emf = new Map<string, MetricSample & { values: number[] }>();
  for (const v of sources.emf?.() ?? []) {
    const region = byKey.get(v.regionKey);
    if (!region) continue;
    const id = JSON.stringify([v.namespace, v.regionKey, v.name]);
    const sample = emf.get(id) ?? {
      awsRegion: region.awsRegion,
      namespace: v.namespace,
      name: v.name,
      dimensions: [{ Name: METRIC_DIMENSION, Value: v.regionKey }],
      values: [],
      unit: v.unit,
    };
    sample.values.push(v.value);
    emf.set(id, sample);
  }
  out.push(...emf.values());
  return out;
}
