/**
 * The one shape every service of the sandbox has (DynamoDB, Lambda, STS, CloudWatch, Route 53, CloudFront,
 * the canary, the surge controller...): a name (the SigV4 signing name the edge routes on), request handling,
 * and the lifecycle hooks the Sandbox calls (start, add and remove region, stop). Services are listed in
 * ./registry.ts; the Sandbox builds each from the ServiceContext, its needs and its options, and never wires
 * one by hand.
 */
import type { Topology } from '../../core/topology.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../contracts.js';
import type { SandboxLogEvent } from '../log.js';
import type { HostedChatApp } from '../runtime-host.js';
import type { SandboxState } from '../state.js';

/** What a service may add to sandbox.json (the CLI finds its endpoints there). */
export type ServiceStateFields = Partial<Pick<SandboxState, 'china' | 'hostedZoneId' | 'dns' | 'canary'>>;

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

/**
 * What the Sandbox gives every service: read-only views of what they all use. What only some use are parts
 * (./parts.ts) or other services, each named in the definition's needs, and options, each service's slice.
 */
export interface ServiceContext {
  /** The topology as it runs now (regions come and go). */
  topology(): Topology;
  readonly account: string;
  /** The running regions, in start order. */
  regions(): readonly ServiceRegion[];
  /** A line in the sandbox's log (`chatctl sandbox logs`), when it keeps one. */
  log(event: SandboxLogEvent): void;
  onError(error: Error, where: string): void;
}
