/**
 * Over 400 lines because the traffic model, the per-region sums, the lanes and the cost all read one Traffic;
 * split, they would hand it back and forth.
 *
 * The planner: from a peak (input.ts) and the measured per-route costs (costs.ts) to each region's load at
 * the peak, a verdict per quota (quotas.ts), the lanes to reserve, and the month's cost (prices.ts).
 * Traffic model: each region originates its share of the messages; a cross-region room has half its members
 * (rounded up, the sender's side) in the sender's region and the rest in one other region, chosen in
 * proportion to the other regions' shares. Every new connection joins one room; as many disconnect.
 */
import { LIMITS, type Route } from '../../../core/protocol.js';
import type { RegionSpec, Topology } from '../../../core/topology.js';
import { networkMs, roundTripMs } from '../../../sandbox/latency.js';
import { LAMBDA_MIN_UNRESERVED } from '../deploy/preflight.js';
import {
  connectCost,
  disconnectCost,
  historyCost,
  joinCost,
  joinMs,
  joinRelayCost,
  MEASURED_MS,
  MEASURED_WITH,
  type RegionCost,
  relayMs,
  type SendCost,
  sendCost,
  sendMs,
} from './costs.js';
import type { CapacityInput } from './input.js';
import { pricesFor, websocketMessageCost } from './prices.js';
import { QUOTAS, type QuotaKey, type QuotaVerdict, requestValue, verdict } from './quotas.js';

const MONTH_SECONDS = 730 * 3600;
const MONTH_MINUTES = 730 * 60;
const FRAME_BYTES = 32 * 1024;
/** Function memory as the region stack sets it (send and relay 512 MiB, the others 256 MiB). */
const MEMORY_GB: Partial<Record<Route, number>> = { send: 0.5, relay: 0.5 };
/** Lanes get this headroom over the concurrency the peak needs. */
export const LANE_HEADROOM = 1.25;

export interface RouteLoad {
  readonly route: Route;
  readonly invocationsPerSec: number;
  readonly durationMs: number;
  /** Invocations per second times duration: the executions running at once. */
  readonly concurrency: number;
  readonly currentLane?: number;
  readonly recommendedLane: number;
  /** The lane in chatctl.json throttles this route at the peak. */
  readonly laneVerdict: QuotaVerdict | 'none';
}

export interface RegionLoad {
  readonly key: string;
  readonly awsRegion: string;
  readonly share: number;
  readonly connectsPerSec: number;
  readonly connections: number;
  readonly messagesInPerSec: number;
  readonly postsPerSec: number;
  /** Requests counted by API Gateway's account throttle: messages in, connects and @connections posts. */
  readonly apiRequestsPerSec: number;
  readonly routes: readonly RouteLoad[];
  readonly lambdaConcurrency: number;
  readonly writeUnitsPerSec: number;
  readonly readUnitsPerSec: number;
  /** Writes replicated into this region's replica from the others (one per item written elsewhere). */
  readonly replicatedWritesPerSec: number;
  readonly relayInvokesPerSec: number;
  /** Bytes per second this region sends other regions (relay payloads and replication). */
  readonly interRegionBytesPerSec: number;
}

export interface QuotaCheck {
  readonly region: string;
  readonly quota: QuotaKey;
  readonly name: string;
  readonly code: string;
  readonly service: string;
  readonly need: number;
  readonly limit: number;
  /** Where the limit comes from: the default, or the account (GetAccountSettings). */
  readonly limitFrom: 'default' | 'account';
  readonly verdict: QuotaVerdict;
  /** What to request when the verdict is not ok. */
  readonly request?: number;
}

export interface RegionCostLine {
  readonly key: string;
  readonly awsRegion: string;
  /** USD a month per service (undefined: no prices for this region in the table). */
  readonly apiGateway?: number;
  readonly lambda?: number;
  readonly dynamodb?: number;
  /** The same throughput provisioned at the peak for the whole month, for comparison. */
  readonly dynamodbProvisioned?: number;
  readonly dataTransfer?: number;
  readonly total?: number;
  /** Provisioned capacity the peak needs: WCU, RCU, replicated WCU. */
  readonly provisioned: { readonly wcu: number; readonly rcu: number; readonly rwcu: number };
}

export interface CapacityPlan {
  readonly input: CapacityInput;
  readonly regions: readonly RegionLoad[];
  readonly quotas: readonly QuotaCheck[];
  readonly costs: readonly RegionCostLine[];
  readonly totalMonthlyUsd: number;
  readonly unpricedRegions: readonly string[];
  readonly costsFrom: typeof MEASURED_WITH;
  readonly excluded: readonly string[];
}

export interface PlanOptions {
  /** Lambda's concurrent executions per AWS region read from the account (GetAccountSettings). */
  readonly accountConcurrency?: Readonly<Record<string, number>>;
}

/** Adds `cost` times `rate` into the running totals. */
function accumulate(into: Totals, cost: RegionCost, rate: number): void {
  into.writeUnits += cost.writeUnits * rate;
  into.readUnits += cost.readUnits * rate;
  into.itemsWritten += cost.itemsWritten * rate;
  into.itemBytes += cost.itemBytes * rate;
  into.invokes += (cost.calls['lambda:Invoke'] ?? 0) * rate;
  into.invokeBytes += cost.invokeBytes * rate;
  const posts = cost.calls['apigateway:PostToConnection'] ?? 0;
  into.posts += posts * rate;
  if (posts > 0) into.billedPosts += posts * Math.ceil(cost.postBytes / posts / FRAME_BYTES) * rate;
}

interface Totals {
  writeUnits: number;
  readUnits: number;
  itemsWritten: number;
  itemBytes: number;
  invokes: number;
  invokeBytes: number;
  posts: number;
  billedPosts: number;
}

const zeroTotals = (): Totals => ({
  writeUnits: 0,
  readUnits: 0,
  itemsWritten: 0,
  itemBytes: 0,
  invokes: 0,
  invokeBytes: 0,
  posts: 0,
  billedPosts: 0,
});

function roundTo(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Where a cross-region room's other members are: another region, weighted by its share. */
function otherRegionWeights(
  regions: readonly RegionSpec[],
  from: string,
  share: Readonly<Record<string, number>>,
) {
  const others = regions.filter((r) => r.key !== from);
  const total = others.reduce((n, r) => n + (share[r.key] ?? 0), 0);
  return others.map((r) => ({
    region: r,
    weight: total > 0 ? (share[r.key] ?? 0) / total : 1 / others.length,
  }));
}

/** What every region's load is made of: the send shapes, each region's sends, and the relays between them. */
interface Traffic {
  readonly cross: number;
  readonly localInCross: number;
  readonly remoteInCross: number;
  readonly local: SendCost;
  readonly relayed: SendCost;
  readonly sends: Readonly<Record<string, number>>;
  readonly relaysIn: Readonly<Record<string, number>>;
  /** The average Invoke network time of each region's cross-region sends. */
  readonly crossNetworkMs: Readonly<Record<string, number>>;
  /** The slowest round trip from each region to another (a join waits for its relay to every region). */
  readonly farthestMs: Readonly<Record<string, number>>;
  /** New connections per second per region (each joins a room, relayed to every other region). */
  readonly connects: Readonly<Record<string, number>>;
}

function trafficOf(topology: Topology, input: CapacityInput): Traffic {
  const regions = topology.regions;
  const cross = regions.length > 1 ? input.crossRegionShare : 0;
  const members = input.avgRoom;
  const localInCross = Math.ceil(members / 2);
  const remoteInCross = Math.max(0, members - localInCross);
  const textBytes = input.textBytes;
  const local = sendCost({ localMembers: members, remoteRegions: 0, membersPerRemoteRegion: 0, textBytes });
  const relayed = sendCost({
    localMembers: localInCross,
    remoteRegions: 1,
    membersPerRemoteRegion: remoteInCross,
    textBytes,
  });
  const sends = Object.fromEntries(
    regions.map((r) => [r.key, input.peakMsgs * (input.regionShare[r.key] ?? 0)]),
  );
  const relaysIn: Record<string, number> = Object.fromEntries(regions.map((r) => [r.key, 0]));
  const crossNetworkMs: Record<string, number> = {};
  for (const r of regions) {
    let ms = 0;
    for (const { region, weight } of otherRegionWeights(regions, r.key, input.regionShare)) {
      relaysIn[region.key] += sends[r.key] * cross * weight;
      ms += weight * networkMs(r.awsRegion, region.awsRegion);
    }
    crossNetworkMs[r.key] = ms;
  }
  const farthestMs = Object.fromEntries(
    regions.map((r) => [
      r.key,
      Math.max(
        0,
        ...regions.filter((q) => q.key !== r.key).map((q) => roundTripMs(r.awsRegion, q.awsRegion)),
      ),
    ]),
  );
  const connects = Object.fromEntries(
    regions.map((r) => {
      const share = input.regionShare[r.key] ?? 0;
      return [r.key, Math.max(input.connectRate * share, (input.connections * share) / 7200)];
    }),
  );
  return {
    cross,
    localInCross,
    remoteInCross,
    local,
    relayed,
    sends,
    relaysIn,
    crossNetworkMs,
    farthestMs,
    connects,
  };
}

/** Invocations per second of each route times its duration, against the lane in chatctl.json. */
function routeLoads(topology: Topology, rates: readonly (readonly [Route, number, number])[]): RouteLoad[] {
  return rates.map(([route, rate, durationMs]): RouteLoad => {
    const concurrency = (rate * durationMs) / 1000;
    const currentLane = topology.lanes[route];
    return {
      route,
      invocationsPerSec: roundTo(rate),
      durationMs: roundTo(durationMs),
      concurrency: roundTo(concurrency),
      ...(currentLane !== undefined ? { currentLane } : {}),
      recommendedLane: Math.max(1, Math.ceil(concurrency * LANE_HEADROOM)),
      laneVerdict: currentLane === undefined ? 'none' : verdict(concurrency, currentLane),
    };
  });
}

/** One region at the peak (replicated writes in are filled in once every region's writes are known). */
function regionLoad(
  topology: Topology,
  input: CapacityInput,
  traffic: Traffic,
  r: RegionSpec,
): { load: RegionLoad; totals: Totals } {
  const { cross, local, relayed } = traffic;
  const sends = traffic.sends[r.key];
  const relaysIn = traffic.relaysIn[r.key];
  const share = input.regionShare[r.key] ?? 0;
  const connectsPerSec = traffic.connects[r.key];
  const joinRelaysIn = Object.entries(traffic.connects).reduce((n, [k, v]) => (k === r.key ? n : n + v), 0);
  const historyPerSec = sends * input.historyReadsPerMsg;
  const t = zeroTotals();
  accumulate(t, local.origin, sends * (1 - cross));
  accumulate(t, relayed.origin, sends * cross);
  accumulate(t, relayed.perRemoteRegion, relaysIn);
  accumulate(t, connectCost(), connectsPerSec);
  accumulate(t, joinCost(LIMITS.joinHistory, input.textBytes, topology.regions.length), connectsPerSec);
  accumulate(t, joinRelayCost(), joinRelaysIn);
  accumulate(t, disconnectCost(1), connectsPerSec);
  accumulate(t, historyCost(), historyPerSec);
  const localPosts = 1 + input.avgRoom * (1 - cross) + traffic.localInCross * cross;
  const ms = (route: Route, measured: number) => input.routeMs[route] ?? measured;
  const routes = routeLoads(topology, [
    // An ordered send waits for the relay's answer: the round trip to the other region.
    ['send', sends, ms('send', sendMs(localPosts, cross * 2 * traffic.crossNetworkMs[r.key]))],
    ['relay', relaysIn + joinRelaysIn, ms('relay', relayMs(traffic.remoteInCross))],
    ['connect', connectsPerSec, ms('connect', MEASURED_MS.connect)],
    ['join', connectsPerSec, ms('join', joinMs(traffic.farthestMs[r.key]))],
    ['disconnect', connectsPerSec, ms('disconnect', MEASURED_MS.disconnect)],
    ['history', historyPerSec, ms('history', MEASURED_MS.history)],
  ]);
  // Frames clients send: messages, one join per new connection, history pages ($connect is not a message).
  const messagesInPerSec = sends + connectsPerSec + historyPerSec;
  const load: RegionLoad = {
    key: r.key,
    awsRegion: r.awsRegion,
    share,
    connectsPerSec: roundTo(connectsPerSec),
    connections: Math.round(input.connections * share),
    messagesInPerSec: roundTo(messagesInPerSec),
    postsPerSec: roundTo(t.posts),
    apiRequestsPerSec: roundTo(messagesInPerSec + connectsPerSec + t.posts),
    routes,
    lambdaConcurrency: roundTo(routes.reduce((n, x) => n + x.concurrency, 0)),
    writeUnitsPerSec: roundTo(t.writeUnits),
    readUnitsPerSec: roundTo(t.readUnits),
    replicatedWritesPerSec: 0,
    relayInvokesPerSec: roundTo(t.invokes),
    interRegionBytesPerSec: roundTo(t.invokeBytes + t.itemBytes * (topology.regions.length - 1)),
  };
  return { load, totals: t };
}

export function planCapacity(
  topology: Topology,
  input: CapacityInput,
  options: PlanOptions = {},
): CapacityPlan {
  const traffic = trafficOf(topology, input);
  const perRegion = topology.regions.map((r) => regionLoad(topology, input, traffic, r));
  // Every item written in one region is one replicated write in each of the others.
  const allItems = perRegion.reduce((n, x) => n + x.totals.itemsWritten, 0);
  const loads = perRegion.map(({ load, totals }) => ({
    ...load,
    replicatedWritesPerSec: roundTo(allItems - totals.itemsWritten),
  }));
  const quotas = loads.flatMap((l) => quotaChecks(l, options.accountConcurrency?.[l.awsRegion]));
  const costs = loads.map((l, i) => monthlyCost(l, perRegion[i].totals, input));
  return {
    input,
    regions: loads,
    quotas,
    costs,
    totalMonthlyUsd: roundTo(costs.reduce((n, c) => n + (c.total ?? 0), 0)),
    unpricedRegions: costs.filter((c) => c.total === undefined).map((c) => `${c.key} (${c.awsRegion})`),
    costsFrom: MEASURED_WITH,
    excluded: [
      'DynamoDB storage, backups and Streams reads',
      'CloudWatch logs, metrics, alarms and dashboards, the canary and the surge controller',
      'Route 53 health checks and queries, CloudFront (the China proxy), WAF, Cognito',
      'TTL expiry of idempotency and relay markers (the deletes replicate to every other replica)',
      'the load-level read each handler instance makes every 5 s',
    ],
  };
}

function quotaChecks(load: RegionLoad, accountConcurrency: number | undefined): QuotaCheck[] {
  const check = (quota: QuotaKey, need: number, limit?: number): QuotaCheck => {
    const spec = QUOTAS[quota];
    const value = limit ?? spec.defaultValue;
    const v = verdict(need, value);
    return {
      region: load.key,
      quota,
      name: spec.name,
      code: spec.code,
      service: spec.service,
      need: roundTo(need),
      limit: value,
      limitFrom: limit === undefined ? 'default' : 'account',
      verdict: v,
      ...(v === 'ok' ? {} : { request: requestValue(need) }),
    };
  };
  const lanes = load.routes.reduce((n, r) => n + r.recommendedLane, 0);
  return [
    check('wsConnectRate', load.connectsPerSec),
    check('apiThrottle', load.apiRequestsPerSec),
    // The recommended lanes are reserved, and 100 must stay unreserved.
    check(
      'lambdaConcurrency',
      Math.max(load.lambdaConcurrency, lanes + LAMBDA_MIN_UNRESERVED),
      accountConcurrency,
    ),
    check('tableWrites', load.writeUnitsPerSec + load.replicatedWritesPerSec),
    check('tableReads', load.readUnitsPerSec),
  ];
}

function monthlyCost(load: RegionLoad, t: Totals, input: CapacityInput): RegionCostLine {
  const peakToMonth = input.avgToPeak * MONTH_SECONDS;
  const provisioned = {
    wcu: Math.ceil(load.writeUnitsPerSec),
    rcu: Math.ceil(load.readUnitsPerSec),
    rwcu: Math.ceil(load.replicatedWritesPerSec),
  };
  const prices = pricesFor(load.awsRegion);
  if (!prices) return { key: load.key, awsRegion: load.awsRegion, provisioned };
  const messages = (load.messagesInPerSec + t.billedPosts) * peakToMonth;
  const apiGateway =
    websocketMessageCost(prices, messages) +
    (load.connections * input.avgToPeak * MONTH_MINUTES * prices.wsConnectionMinutes.usd) / 1e6;
  const invocations = load.routes.reduce((n, r) => n + r.invocationsPerSec, 0) * peakToMonth;
  const gbSeconds =
    load.routes.reduce(
      (n, r) => n + (r.invocationsPerSec * r.durationMs * (MEMORY_GB[r.route] ?? 0.25)) / 1000,
      0,
    ) * peakToMonth;
  const lambda = (invocations * prices.lambdaRequests.usd) / 1e6 + gbSeconds * prices.lambdaGbSecond.usd;
  const dynamodb =
    (load.writeUnitsPerSec * prices.dynamoWriteRequestUnits.usd +
      load.readUnitsPerSec * prices.dynamoReadRequestUnits.usd +
      load.replicatedWritesPerSec * prices.dynamoReplicatedWriteRequestUnits.usd) *
    (peakToMonth / 1e6);
  const dynamodbProvisioned =
    730 *
    (provisioned.wcu * prices.dynamoWcuHour.usd +
      provisioned.rcu * prices.dynamoRcuHour.usd +
      provisioned.rwcu * prices.dynamoReplicatedWcuHour.usd);
  const dataTransfer = ((load.interRegionBytesPerSec * peakToMonth) / 2 ** 30) * prices.interRegionPerGb.usd;
  return {
    key: load.key,
    awsRegion: load.awsRegion,
    apiGateway: roundTo(apiGateway),
    lambda: roundTo(lambda),
    dynamodb: roundTo(dynamodb),
    dynamodbProvisioned: roundTo(dynamodbProvisioned),
    dataTransfer: roundTo(dataTransfer),
    total: roundTo(apiGateway + lambda + dynamodb + dataTransfer),
    provisioned,
  };
}
