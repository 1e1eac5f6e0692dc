/**
 * Names derived from the topology, so stacks, runtime, sandbox and CLI agree without passing strings around.
 */
import type { OpsHandler } from './observability.js';
import type { Route } from './protocol.js';
import type { Topology } from './topology.js';

type Named = Pick<Topology, 'app'>;

export const WEBSOCKET_STAGE = 'prod';

export const names = {
  table: (t: Named) => `${t.app}-chat`,
  /** One Lambda function per route and region (per-route reserved concurrency lanes need separate functions). */
  function: (t: Named, regionKey: string, route: Route) => `${t.app}-${regionKey}-${route}`,
  relayFunction: (t: Named, regionKey: string) => `${t.app}-${regionKey}-relay`,
  /** The relay's on-failure destination: queued relays Lambda gave up on (too old, or failed on every retry). */
  relayFailureQueue: (t: Named, regionKey: string) => `${t.app}-${regionKey}-relay-failed`,
  globalDataStack: (t: Named) => `${t.app}-global-data`,
  regionStack: (t: Named, regionKey: string) => `${t.app}-region-${regionKey}`,
  chinaProxyStack: (t: Named) => `${t.app}-china-proxy`,
  authStack: (t: Named) => `${t.app}-auth`,
  /** The latency-routed name users connect to. */
  chatRecord: (t: Pick<Topology, 'domain'>) => `chat.${t.domain}`,
  /** Each region's own API domain, the target of its latency record and of the China proxy. */
  regionalDomain: (t: Pick<Topology, 'domain'>, regionKey: string) => `${regionKey}.chat.${t.domain}`,
  /** Each region's HTTP API for GET /health (a custom domain cannot map a WebSocket and an HTTP API together). */
  regionalHealthDomain: (t: Pick<Topology, 'domain'>, regionKey: string) =>
    `${regionKey}-health.chat.${t.domain}`,
  /** Route 53 health checks are found by this caller reference (unique per region). */
  healthCheckReference: (t: Named, regionKey: string) => `${t.app}-${regionKey}-health`,
  /** The China proxy's own name (a custom domain, so that the viewer TLS policy can be TLS 1.2 or newer). */
  chinaProxyDomain: (t: Pick<Topology, 'domain'>) => `cn.chat.${t.domain}`,
  /**
   * The China proxy's origin: the global name chat.<domain> (latency DNS from CloudFront's edge picks the
   * region, so a drain moves China's users too), or a pinned region's own name.
   */
  chinaOriginDomain: (t: Pick<Topology, 'domain' | 'china'>) =>
    t.china.originRegion ? `${t.china.originRegion}.chat.${t.domain}` : `chat.${t.domain}`,
  /** The China proxy's distribution is found by this comment. */
  chinaDistributionComment: (t: Named) => `${t.app} China proxy`,
  firehoseStream: (t: Named) => `${t.app}-chat-analytics`,
  /** The region's operations functions: the chat canary and the surge controller (not chat routes, no lane). */
  opsFunction: (t: Named, regionKey: string, kind: OpsHandler) => `${t.app}-${regionKey}-${kind}`,
  /** Every alarm of a region starts with this, so `chatctl health` can list the app's alarms by prefix. */
  alarmPrefix: (t: Named, regionKey: string) => `${t.app}-${regionKey}-`,
  alarmTopic: (t: Named, regionKey: string) => `${t.app}-${regionKey}-alarms`,
  regionDashboard: (t: Named, regionKey: string) => `${t.app}-${regionKey}`,
  globalDashboard: (t: Named) => `${t.app}-global`,
  /** Auth mode "dev" on AWS: the Secrets Manager secret the dev tokens are signed with (home region + replicas). */
  devTokenSecret: (t: Named) => `${t.app}/chat/dev-token-secret`,
  /** Auth mode "cognito": the canary probe user's password (generated; the auth stack's region + replicas). */
  canaryProbeSecret: (t: Named) => `${t.app}/chat/canary-probe-password`,
  /** Auth mode "cognito": the deploy-time function that creates the probe user and sets its password. */
  probeUserFunction: (t: Named) => `${t.app}-canary-probe-user`,
  /** Auth mode "cognito": the app client the canary signs in through (ADMIN_USER_PASSWORD_AUTH only). */
  canaryClient: (t: Named) => `${t.app}-chat-canary`,
  /** Analytics: the Glue database of the events table (Glue names take underscores, not dashes). */
  analyticsDatabase: (t: Named) => `${t.app.replaceAll('-', '_')}_chat_analytics`,
  /** Analytics: the Athena workgroup queries run in (its result location is the analytics bucket). */
  athenaWorkgroup: (t: Named) => `${t.app}-chat-analytics`,
  /** Analytics: the daily job's state machine and its schedule. */
  analyticsDaily: (t: Named) => `${t.app}-chat-analytics-daily`,
  /** Events: each region's event bus, its archive, its pipe and the pipe's dead-letter queue. */
  eventBus: (t: Named, regionKey: string) => `${t.app}-${regionKey}-chat-events`,
  eventPipe: (t: Named, regionKey: string) => `${t.app}-${regionKey}-chat-events`,
  eventDeadLetters: (t: Named, regionKey: string) => `${t.app}-${regionKey}-chat-events-failed`,
  /** Events: the `source` of every chat event on the bus (consumers' rules match on it). */
  eventSource: (t: Named) => `${t.app}.chat`,
  /** Events: the Kinesis stream of the log target (topology events.kinesisShards). */
  eventStream: (t: Named, regionKey: string) => `${t.app}-${regionKey}-chat-events`,
  /** Analytics: the SQS queue that keeps the stream records the flattener could not deliver. */
  analyticsDeadLetters: (t: Named) => `${t.app}-chat-analytics-failed`,
} as const;
