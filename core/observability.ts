/**
 * The custom metrics the runtime publishes (CloudWatch embedded metric format) and the stacks alarm on, so
 * that both sides agree on one namespace, one dimension and one name per figure. See docs/observability.md.
 */

import type { Route } from './protocol.js';
import type { Topology } from './topology.js';

/** Every custom metric carries this one dimension: the region key of the topology (`seoul`, not ap-northeast-2). */
export const METRIC_DIMENSION = 'Region';

export const CUSTOM_METRICS = {
  /** 1 when a canary run connected, joined, sent and received its own message; 0 otherwise. */
  canarySuccess: 'CanarySuccess',
  /** Milliseconds from the canary's send to its own message coming back (only on success). */
  canaryLatency: 'CanaryLatency',
  /** 1 per relay invocation that failed (threw, or could not post to any connection it should have). */
  relayErrors: 'RelayErrors',
  /** 1 per relay invocation (the denominator of the relay error rate). */
  relayInvocations: 'RelayInvocations',
  /** The load level the surge controller left the region at after each run. */
  loadLevel: 'LoadLevel',
} as const;

/** The operations functions that are not chat routes; their entries are runtime/handlers/<name>.ts too. */
export const OPS_HANDLERS = ['canary', 'surge', 'probe-user', 'events'] as const;
export type OpsHandler = (typeof OPS_HANDLERS)[number];

/** The namespace of the app's custom metrics: one per app, so two apps in one account never mix. */
export function metricsNamespace(app: string): string {
  return `chatctl/${app}`;
}

/** The User-Agent the canary connects with, so logs (API Gateway's, the sandbox's) can tell its traffic apart. */
export const CANARY_USER_AGENT = 'chatctl-canary';

/** The User-Agent of Route 53's health checkers (as AWS sends it). */
export const ROUTE53_HEALTH_CHECK_USER_AGENT = 'Amazon-Route53-Health-Check-Service';

/** The room the canary joins in every region (one per region, so canaries never see each other). */
export function canaryRoom(regionKey: string): string {
  return `canary-${regionKey}`;
}

/**
 * The canary's identity in a region's chat (it never owns anything but its canary room's messages). Dev mode
 * signs it into the token; in Cognito mode $connect gives it to any token of the canary's app client.
 */
export function canaryUser(regionKey: string): string {
  return `canary-${regionKey}`;
}

/** How long a canary's message is kept: the room would otherwise grow by 1,440 messages a day per region. */
export const CANARY_MESSAGE_TTL_SECONDS = 60 * 60;

/** A message the canary wrote: its own user in its own room (a user's message in that room is kept). */
export function isCanaryMessage(roomId: string, userId: string): boolean {
  const key = roomId.startsWith('canary-') ? roomId.slice('canary-'.length) : undefined;
  return key !== undefined && canaryRoom(key) === roomId && canaryUser(key) === userId;
}

/**
 * Cognito mode: the probe user's username in the pool (one for every region). An address under the reserved
 * .invalid domain, so that it is accepted by pools whose usernames are email addresses and by those with
 * free-form usernames alike, and no mail can ever reach anyone.
 */
export function canaryProbeUsername(app: string): string {
  return `${app}-canary@probe.invalid`;
}

/** API Gateway's default quota of new WebSocket connections per second, per account and region. */
export const WEBSOCKET_CONNECTS_PER_SECOND_QUOTA = 500;

/** Every threshold in one place; docs/observability.md explains each. */
export const ALARM_THRESHOLDS = {
  /** Integration 4XX/5XX (the handlers failing) per 5 minutes. */
  integrationErrors: 10,
  /** Errors calling the integration (Lambda unreachable, timeouts) per 5 minutes. */
  executionErrors: 5,
  /** Percent of messages that API Gateway refused with a 4XX before the integration, over 5 minutes. */
  clientErrorPercent: 10,
  /** Share of the 500/s new-connection quota. */
  connectQuotaShare: 0.8,
  /** A function's errors per 5 minutes. */
  functionErrors: 10,
  /** A lane's throttles per minute, two minutes running. */
  laneThrottles: 1,
  /** A lane's peak concurrency against its reservation. */
  laneConcurrencyShare: 0.8,
  /** Duration p99 in ms: a chat route should answer well under a second; the relay posts to many. */
  durationP99Ms: { route: 3000, relay: 5000 },
  /** Average ms from this replica to another, three minutes running (the topology's lag threshold). */
  replicationMinutes: 3,
  /** Throttled table requests per 5 minutes. */
  tableThrottles: 10,
  /** Failed relay invocations per 5 minutes. */
  relayErrors: 5,
  /** Queued relays Lambda gave up on (their on-failure queue holds any). */
  relayFailures: 1,
} as const;

/**
 * The stacks' metric math alarms (slug after the region's alarm prefix, expression over its query ids, why
 * it pages), which the sandbox seeds too: one text on both sides. The connect rate divides a period's
 * ConnectCount Sum by the period's seconds.
 */
export const MATH_ALARMS = {
  clientErrorRate: {
    slug: 'ws-client-error-rate',
    expression: 'IF(m > 0, 100 * c / m, 0)',
    description: 'API Gateway refuses many requests before the handlers (bad tokens, throttling)',
  },
  connectRate: {
    slug: 'ws-connect-rate',
    expression: (periodSeconds: number) => `c / ${periodSeconds}`,
    description: `new connections near the ${WEBSOCKET_CONNECTS_PER_SECOND_QUOTA}/s quota: a login surge; raise the load level or the quota`,
  },
  tableThrottles: {
    slug: 'table-throttles',
    expression: 'FILL(r, 0) + FILL(w, 0)',
    description: "the table's replica here throttles requests (a hot room partition)",
  },
} as const;

/** Where a single-metric alarm's dimensions come from; each side fills in its own values. */
export type AlarmMetricSource =
  /** AWS/ApiGateway, dimensions ApiId and Stage of the region's WebSocket API. */
  | { readonly kind: 'api' }
  /** AWS/Lambda, dimension FunctionName of the route's function in the region (core/names.ts). */
  | { readonly kind: 'function'; readonly route: Route }
  /** AWS/DynamoDB, TableName and ReceivingRegion (this region key's AWS region), published in the source. */
  | { readonly kind: 'replication'; readonly to: string }
  /** The app's custom namespace (metricsNamespace), dimension Region = the region key. */
  | { readonly kind: 'custom' }
  /** AWS/SQS, dimension QueueName of the region's relay on-failure queue (names.relayFailureQueue). */
  | { readonly kind: 'relay-failure-queue' };

/** One of the stacks' single-metric alarms, as the stacks create it and the sandbox seeds it. */
export interface MetricAlarmSpec {
  /** After the region's alarm prefix (names.alarmPrefix). */
  readonly slug: string;
  readonly metricName: string;
  readonly statistic: 'Sum' | 'Maximum' | 'Average' | 'p99';
  readonly source: AlarmMetricSource;
  /** On AWS; the sandbox uses its own short period instead. */
  readonly periodMinutes: 1 | 5;
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold';
  readonly evaluationPeriods: number;
  readonly description: string;
}

const spec = (
  s: Omit<MetricAlarmSpec, 'comparison' | 'evaluationPeriods' | 'periodMinutes'> &
    Partial<Pick<MetricAlarmSpec, 'evaluationPeriods' | 'periodMinutes'>>,
): MetricAlarmSpec => ({
  comparison: 'GreaterThanOrEqualToThreshold',
  evaluationPeriods: 1,
  periodMinutes: 1,
  ...s,
});

/** The WebSocket API's single-metric alarms. */
export function apiAlarmSpecs(): MetricAlarmSpec[] {
  const t = ALARM_THRESHOLDS;
  return [
    spec({
      slug: 'ws-integration-errors',
      metricName: 'IntegrationError',
      statistic: 'Sum',
      source: { kind: 'api' },
      periodMinutes: 5,
      threshold: t.integrationErrors,
      description: 'handlers answered 4XX/5XX to API Gateway: look at the functions with errors',
    }),
    spec({
      slug: 'ws-execution-errors',
      metricName: 'ExecutionError',
      statistic: 'Sum',
      source: { kind: 'api' },
      periodMinutes: 5,
      threshold: t.executionErrors,
      description: 'API Gateway could not call a handler (throttled lane, timeout, permission)',
    }),
  ];
}

/** A function's errors alarm and, when the route has a lane (reserved concurrency), the lane's three. */
export function routeAlarmSpecs(topology: Topology, route: Route): MetricAlarmSpec[] {
  const t = ALARM_THRESHOLDS;
  const source = { kind: 'function', route } as const;
  const out = [
    spec({
      slug: `fn-${route}-errors`,
      metricName: 'Errors',
      statistic: 'Sum',
      source,
      periodMinutes: 5,
      threshold: t.functionErrors,
      description: `the ${route} function fails`,
    }),
  ];
  const reserved = topology.lanes[route];
  if (reserved === undefined) return out;
  out.push(
    spec({
      slug: `lane-${route}-throttles`,
      metricName: 'Throttles',
      statistic: 'Sum',
      source,
      threshold: t.laneThrottles,
      evaluationPeriods: 2,
      description: `the ${route} lane is full (reserved ${reserved}): its requests fail fast`,
    }),
    spec({
      slug: `lane-${route}-concurrency`,
      metricName: 'ConcurrentExecutions',
      statistic: 'Maximum',
      source,
      threshold: Math.max(1, Math.floor(reserved * t.laneConcurrencyShare)),
      evaluationPeriods: 2,
      description: `the ${route} lane runs above ${t.laneConcurrencyShare * 100}% of its ${reserved} reserved`,
    }),
    spec({
      slug: `lane-${route}-duration-p99`,
      metricName: 'Duration',
      statistic: 'p99',
      source,
      periodMinutes: 5,
      threshold: route === 'relay' ? t.durationP99Ms.relay : t.durationP99Ms.route,
      description: `the ${route} lane's p99 duration is high: a slow dependency holds its concurrency`,
    }),
  );
  return out;
}

/**
 * ReplicationLatency from this region's replica to every other. (PendingReplicationCount exists only for the
 * legacy 2017.11.29 global tables; this table is 2019.11.21.)
 */
export function replicationAlarmSpecs(topology: Topology, regionKey: string): MetricAlarmSpec[] {
  return topology.regions
    .filter((r) => r.key !== regionKey)
    .map((other) =>
      spec({
        slug: `replication-to-${other.key}`,
        metricName: 'ReplicationLatency',
        statistic: 'Average',
        source: { kind: 'replication', to: other.key },
        threshold: topology.replication.lagThresholdMs,
        evaluationPeriods: ALARM_THRESHOLDS.replicationMinutes,
        description: `replication ${regionKey} -> ${other.key} lags: ${other.key} reads stale rooms`,
      }),
    );
}

/** The relay's errors (custom metric, embedded metric format from the relay handler). */
export function relayAlarmSpec(): MetricAlarmSpec {
  return spec({
    slug: 'relay-errors',
    metricName: CUSTOM_METRICS.relayErrors,
    statistic: 'Sum',
    source: { kind: 'custom' },
    periodMinutes: 5,
    threshold: ALARM_THRESHOLDS.relayErrors,
    description: "relays into this region fail: cross-region rooms miss this region's members",
  });
}

/**
 * The relay's on-failure queue holds a queued relay Lambda gave up on (older than its age limit, or failed on
 * every retry, core/relay-async.ts): that region's members missed a push, which gap fill brings them.
 */
export function relayFailuresAlarmSpec(): MetricAlarmSpec {
  return spec({
    slug: 'relay-failed-events',
    metricName: 'ApproximateNumberOfMessagesVisible',
    statistic: 'Maximum',
    source: { kind: 'relay-failure-queue' },
    periodMinutes: 5,
    threshold: ALARM_THRESHOLDS.relayFailures,
    description:
      "queued relays into this region were given up (too old or failing): read the relay's failure queue",
  });
}

/** Every single-metric alarm of a region whose functions serve `routes`. */
export function singleMetricAlarmSpecs(
  topology: Topology,
  regionKey: string,
  routes: readonly Route[],
): MetricAlarmSpec[] {
  return [
    ...apiAlarmSpecs(),
    ...routes.flatMap((route) => routeAlarmSpecs(topology, route)),
    ...replicationAlarmSpecs(topology, regionKey),
    relayAlarmSpec(),
    relayFailuresAlarmSpec(),
  ];
}
