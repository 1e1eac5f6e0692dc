/**
 * The parts of the Sandbox a service may need besides other services: each is named in a definition's `needs`
 * (`needs: { faults: PARTS.faults }`) and handed to its factory typed, always present. What every service
 * uses (the topology, the account, the regions, the log) is the shared ServiceContext instead (./service.ts);
 * a part is what only a few use, so each service's definition says which of them it reaches.
 */
import type { Topology } from '../../core/topology.js';
import type { AwsRequestHandler } from '../../runtime/app.js';
import type { LaneCounters } from '../lanes.js';
import type { StreamTap } from '../replication/replicator.js';
import type { MetricSample } from './service.js';

export interface SandboxParts {
  /** DynamoDB Local, the access key every DynamoDB request is rewritten to, and replication's ear for writes. */
  readonly engine: {
    readonly endpoint: string;
    readonly instanceId: string;
    /** A write succeeded in this AWS region (replication reads that region's stream at once). */
    noteWrite(awsRegion: string): void;
  };
  /** Faults a service honours: relay-error and throttle (Lambda), cognito-down (Cognito), latency. */
  readonly faults: {
    active(region: string, kind: 'relay-error' | 'throttle' | 'cognito-down'): boolean;
    latencyMs(region: string): number;
  };
  /**
   * The one-way network time between two running regions' keys, ms: what a cross-region call (an Invoke)
   * crosses, half the round trip between their AWS regions (sandbox/latency.ts); 0 for a key not running.
   */
  readonly network: { ms(from: string, to: string): number };
  /**
   * Every record of every region's stream from now on, in stream order (local writes and replicated copies
   * alike, as on AWS); returns the function that stops it. Replication reads the streams: this costs no read.
   */
  readonly streams: { tap(tap: StreamTap): () => void };
  /** Work that outlives its request (an Event invoke): the Sandbox awaits it on stop. */
  readonly background: { track(work: Promise<unknown>): void };
  /** The address a service's own listener binds, and the port each takes (0: any free port; ../ports.ts). */
  readonly listeners: {
    readonly host: string;
    readonly ports: { readonly china: number; readonly dns: number };
  };
  /**
   * The sandbox's own figures since the previous call (Lambda, API Gateway, replication, the handlers'
   * metric lines), which CloudWatch stores as AWS publishes its metrics (../metric-sources.ts).
   */
  readonly figures: { sample(now: number): readonly MetricSample[] };
  /**
   * The replication lag into a region now, ms (the replicator's measure: on AWS, ReplicationLatency from
   * CloudWatch); each reading starts its next window. The surge controller stores it on the level item.
   */
  readonly replication: { inboundLagMs(regionKey: string, now: number): number | undefined };
  /** Each region's handler counters and lanes (../lanes.ts), which the surge controller reads. */
  readonly lanes: {
    counters(regionKey: string): LaneCounters;
    /** The lanes a region runs with now (rehearsal lanes, else the topology's). */
    lanes(regionKey: string): Topology['lanes'];
  };
  /** The edge, and the request handler that reaches it in-process as the handlers' clients do. */
  readonly edge: { readonly url: string; readonly requestHandler?: AwsRequestHandler };
}

export type PartName = keyof SandboxParts;

/** A need of a part, by its name. */
export interface PartNeed<K extends PartName = PartName> {
  readonly part: K;
}

export const PARTS: { readonly [K in PartName]: PartNeed<K> } = {
  engine: { part: 'engine' },
  faults: { part: 'faults' },
  network: { part: 'network' },
  streams: { part: 'streams' },
  background: { part: 'background' },
  listeners: { part: 'listeners' },
  figures: { part: 'figures' },
  replication: { part: 'replication' },
  lanes: { part: 'lanes' },
  edge: { part: 'edge' },
};

export function isPartNeed(need: object): need is PartNeed {
  return 'part' in need;
}
