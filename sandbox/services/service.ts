/**
 * The one shape every service on the sandbox's edge has (DynamoDB, Lambda, STS, CloudWatch, Route 53,
 * CloudFront):
 * a SigV4 signing name, request handling, and the lifecycle hooks the Sandbox calls (start, add and remove
 * region, stop). Services are listed in ./registry.ts; the Sandbox builds each from a ServiceContext and
 * never wires one by hand.
 */
import type { Topology } from '../../core/topology.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../contracts.js';
import type { SandboxLogEvent } from '../log.js';
import type { LambdaAsyncSettings } from '../options.js';
import type { StreamTap } from '../replication/replicator.js';
import type { HostedChatApp } from '../runtime-host.js';
import type { SandboxState } from '../state.js';

/** What a service may add to sandbox.json (the CLI finds its endpoints there). */
export type ServiceStateFields = Partial<Pick<SandboxState, 'china' | 'hostedZoneId' | 'dns'>>;

export interface SandboxService {
  /** The SigV4 signing name the edge routes on (the service in the request's credential scope). */
  readonly name: string;
  /** Its answers on the edge (a service with a listener of its own only, such as DNS, has none). */
  handle?(request: EdgeRequest): Promise<EdgeResponse>;
  /** Called once before the edge routes to it (a listener of its own, say), with every region running. */
  start?(): Promise<void>;
  /** A region started (at start-up, every region is added before start). */
  addRegion?(region: RegionRuntimeInfo): Promise<void> | void;
  removeRegion?(key: string): Promise<void> | void;
  /** Fields this service adds to sandbox.json. */
  stateFields?(): ServiceStateFields;
  stop?(): Promise<void>;
  /** CloudWatch: an alarm's state (Route 53's CLOUDWATCH_METRIC checks follow it). */
  alarmState?(awsRegion: string, alarmName: string): AlarmStateValue | undefined;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One datapoint of the sandbox's own figures, as CloudWatch stores it (raw values or a statistic set). */
export interface MetricSample {
  readonly awsRegion: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly { readonly Name: string; readonly Value: string }[];
  readonly values?: readonly number[];
  readonly stats?: StatisticSet;
  readonly unit?: string;
}

/** PutMetricData's StatisticValues: what a datapoint carries instead of its raw values. */
export interface StatisticSet {
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

/** The running region as the services see it: its endpoints and its handlers. */
export interface ServiceRegion extends RegionRuntimeInfo {
  readonly app: HostedChatApp;
}

/** What the Sandbox gives each service: read-only views of its state, and the few ways to act on it. */
export interface ServiceContext {
  /** The topology as it runs now (regions come and go). */
  topology(): Topology;
  readonly account: string;
  readonly tableName: string;
  /** DynamoDB Local and the access key every DynamoDB request is rewritten to. */
  readonly engine: { readonly endpoint: string; readonly instanceId: string };
  /** The running regions, in start order. */
  regions(): readonly ServiceRegion[];
  /** Faults a service honours: relay-error and throttle (Lambda), cognito-down (Cognito), latency (cross-region calls). */
  faultActive(region: string, kind: 'relay-error' | 'throttle' | 'cognito-down'): boolean;
  latencyFaultMs(region: string): number;
  /** The one-way replication lag between two region keys, ms (the configured lag, else the default). */
  lagMs(from: string, to: string): number;
  /**
   * The one-way network time between two running regions' keys, ms: what a cross-region call (an Invoke)
   * crosses, half the round trip between their AWS regions (sandbox/latency.ts); 0 for a key not running.
   */
  networkMs(from: string, to: string): number;
  /**
   * Every record of every region's stream from now on, in stream order (local writes and replicated copies
   * alike, as on AWS); returns the function that stops it. Replication reads the streams: this costs no read.
   */
  streamRecords(tap: StreamTap): () => void;
  /** The sandbox's own folder for files a service keeps (the analytics bucket); undefined: none (tests). */
  readonly filesDir?: string;
  /** A write succeeded in this AWS region (replication reads that region's stream at once). */
  noteWrite(awsRegion: string): void;
  /** Work that outlives its request (an Event invoke): the Sandbox awaits it on stop. */
  track(work: Promise<unknown>): void;
  /** Route 53's probing in the sandbox (short, so a drill takes seconds). */
  readonly healthCheckIntervalMs: number;
  readonly failureThreshold: number;
  /** The TTL of the records the sandbox creates in the hosted zone. */
  readonly dnsTtlSeconds: number;
  /** The account's Lambda concurrency quota in each region (GetAccountSettings); default 1000. */
  readonly lambdaConcurrency?: number;
  /** The address a service's own listener binds, and the port each takes (0: any free port; ports.ts). */
  readonly host: string;
  readonly ports: { readonly china: number; readonly dns: number };
  /**
   * The sandbox's own figures since the previous call (Lambda, API Gateway, replication, the canary),
   * which CloudWatch stores as AWS publishes its metrics.
   */
  sampleMetrics(now: number): readonly MetricSample[];
  /** How often CloudWatch samples those figures and evaluates its alarms. */
  readonly metricsIntervalMs: number;
  /** The chat canary runs in the sandbox: CloudWatch seeds each region's canary alarm, Route 53 its checks. */
  readonly canary: boolean;
  /** A line in the sandbox's log (`chatctl sandbox logs`), when it keeps one. */
  log(event: SandboxLogEvent): void;
  /** Lambda's waits for queued invocations, and the relay's maximum event age (tests shorten them). */
  readonly lambdaAsync: LambdaAsyncSettings;
  onError(error: Error, where: string): void;
}
