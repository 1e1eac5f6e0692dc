/**
 * The typed result of `chatctl health` and the pure rules that turn checks into region statuses, a verdict,
 * problems with actions, and an exit code. No I/O here, so the rules are tested on their own.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export const REGION_CHECKS = [
  'websocket',
  'health',
  'route53',
  'replica',
  'replication',
  'relay',
  'load',
  'alarms',
  'canary',
] as const;
export type RegionCheckName = (typeof REGION_CHECKS)[number];

export const CHINA_CHECKS = ['distribution', 'proxy'] as const;
export type ChinaCheckName = (typeof CHINA_CHECKS)[number];

export type CheckName = RegionCheckName | ChinaCheckName | 'engine';

/** A region that sheds new connections (HTTP 429) answered no ping: what the websocket and proxy checks say. */
export interface SheddingData {
  readonly shedding: true;
}

/** The pair figures of one region's replication check. */
export interface ReplicationPairData {
  readonly from: string;
  readonly to: string;
  readonly lagMs?: number;
  readonly status: CheckStatus;
}

/** What each check found, machine-readable (`health --json`'s `data`), by the check's name. */
export interface CheckDataByName {
  websocket: SheddingData | { pongRegion: string } | { rttMs: number; connectMs: number };
  health: { httpStatus: number; body: unknown };
  route53:
    | { recordPresent: boolean }
    | {
        healthCheckId: string;
        inverted: boolean;
        disabled: boolean;
        drained: boolean;
        healthy: boolean;
        recordPresent: boolean;
        /** When an unhealthy region judged by its canaries is back in DNS once its chat works (ISO time). */
        returnsToDnsBy?: string;
      };
  replica: {
    tableStatus: string;
    replicaStatus: string;
    /** The AWS regions this region's DescribeTable lists as replicas, and each one's status. */
    replicas: (string | undefined)[];
    statuses: Record<string, string | undefined>;
  };
  replication: { pairs: ReplicationPairData[] };
  relay: { functionError: string };
  load: { level: number; setBy: 'operator' | 'auto' | null; auto: boolean };
  alarms: { alarms: { name: string; reason: string; since?: string; advice: string }[] };
  canary: { success: number; at?: string; latencyMs?: number };
  distribution: {
    id?: string;
    status?: string;
    origin?: string;
    followsDns: boolean;
    originDomain?: string;
  };
  proxy: SheddingData | { pongRegion: string };
  engine: { pid: number; restarts: number; state: string };
}

export type CheckData<Name extends string> = Name extends CheckName ? CheckDataByName[Name] : never;

export interface CheckResult<Name extends string = CheckName> {
  name: Name;
  status: CheckStatus;
  /** Time the check took (or the figure it measured, e.g. the WebSocket round trip); absent when skipped. */
  latencyMs?: number;
  detail: string;
  /** What to do about it, for warn and fail. */
  action?: string;
  /** Machine-readable facts the check found (e.g. { drained: true }, { level: 2 }), typed by the check's name. */
  data?: CheckData<Name>;
}

/** One of the named checks: a union on `name`, so `check.name === 'load'` types `check.data`. */
export type AnyCheck<Names extends CheckName = CheckName> = { [N in Names]: CheckResult<N> }[Names];
export type RegionCheck = AnyCheck<RegionCheckName>;
export type ChinaCheck = AnyCheck<ChinaCheckName>;

/** The check of that name among `checks`, typed as that check. */
export function findCheck<N extends CheckName>(
  checks: readonly AnyCheck[],
  name: N,
): CheckResult<N> | undefined {
  return checks.find((c): c is CheckResult<N> & AnyCheck => c.name === name);
}

export type RegionStatus = 'ok' | 'degraded' | 'down';

export interface RegionHealth {
  key: string;
  awsRegion: string;
  status: RegionStatus;
  checks: RegionCheck[];
}

export interface ChinaHealth {
  enabled: boolean;
  status: 'ok' | 'degraded' | 'down' | 'skip';
  /** The region key the distribution's origin is pinned to, when known. */
  origin?: string;
  /** The origin is the global name chat.<domain> (the proxy reaches the region latency DNS gives its edge). */
  followsDns?: boolean;
  distributionId?: string;
  domain?: string;
  checks: ChinaCheck[];
}

export type Verdict = 'healthy' | 'degraded' | 'critical';

export interface Problem {
  /** A region key, or "china". */
  scope: string;
  check: string;
  status: 'warn' | 'fail';
  message: string;
  action: string;
}

export interface HealthResult {
  target: 'sandbox' | 'aws';
  verdict: Verdict;
  elapsedMs: number;
  /** Milliseconds from process start to the first probe being sent (the command's start-up cost). */
  startupMs: number;
  /** Milliseconds from the first probe sent to the last check done (the parallel phase). */
  checksMs: number;
  timeoutMs: number;
  regions: RegionHealth[];
  china: ChinaHealth;
  /** The sandbox's DynamoDB Local (sandbox target only). */
  engine?: CheckResult<'engine'>;
  problems: Problem[];
}

/** Checks whose failure means the region does not serve chat. */
const SERVES_CHAT: readonly RegionCheckName[] = ['websocket'];

export function regionStatus(checks: readonly RegionCheck[]): RegionStatus {
  if (checks.some((c) => SERVES_CHAT.includes(c.name) && c.status === 'fail')) return 'down';
  if (checks.some((c) => c.status === 'fail' || c.status === 'warn')) return 'degraded';
  return 'ok';
}

export function chinaStatus(china: Pick<ChinaHealth, 'enabled' | 'checks'>): ChinaHealth['status'] {
  if (!china.enabled) return 'skip';
  if (china.checks.some((c) => c.name === 'proxy' && c.status === 'fail')) return 'down';
  if (china.checks.some((c) => c.status === 'fail' || c.status === 'warn')) return 'degraded';
  return 'ok';
}

/**
 * healthy: every check ok. degraded: something failed or is flagged, but every region serves chat.
 * critical: a region does not serve chat (or none does).
 */
export function verdictOf(
  regions: readonly Pick<RegionHealth, 'status'>[],
  china: Pick<ChinaHealth, 'status'>,
): Verdict {
  if (regions.length === 0 || regions.some((r) => r.status === 'down')) return 'critical';
  if (regions.some((r) => r.status === 'degraded')) return 'degraded';
  if (china.status === 'degraded' || china.status === 'down') return 'degraded';
  return 'healthy';
}

export function exitCodeOf(verdict: Verdict): number {
  return verdict === 'healthy' ? 0 : verdict === 'degraded' ? 1 : 2;
}

const DEFAULT_ACTIONS: Record<string, string> = {
  websocket:
    'the region does not serve chat: check its gateway/API and Lambda errors; drain it if it stays down: chatctl drain KEY',
  health:
    'its /health fails (watched; Route 53 routes by the canary judges, see route53): look at the health function logs',
  route53: 'check the health check and the latency record: chatctl deploy recreates them',
  replica: 'see: chatctl replication check',
  replication: 'see: chatctl replication check',
  relay: 'cross-region rooms miss messages: check the relay function; then run chatctl relay test',
  load: 'the region sheds work; when the surge is over: chatctl traffic level 0 --region KEY',
  alarms: 'see each alarm in CloudWatch',
  canary: 'the chat path is broken and Route 53 takes the region out of DNS: chatctl health --region KEY',
  distribution: 'check the CloudFront distribution: chatctl china status',
  proxy: 'users in China cannot chat: chatctl china test',
};

/** What the actions may name besides the checks: the China proxy's origin, and the sandbox's active faults. */
export interface ProblemContext {
  readonly target?: 'sandbox' | 'aws';
  /** The region key the China proxy's distribution is pinned to. */
  readonly chinaOrigin?: string;
  /** The proxy's origin is chat.<domain>: China's users follow latency DNS, nothing is to be moved. */
  readonly chinaFollowsDns?: boolean;
  /** In the sandbox: the faults injected now (`sandbox fault`), which explain most failures there. */
  readonly sandboxFaults?: readonly { readonly region: string; readonly fault: string }[];
}

/** The checks each sandbox fault makes fail, so that the action names the fault and its heal. */
const FAULT_EXPLAINS: Record<string, readonly string[]> = {
  'gateway-down': ['websocket', 'health', 'route53', 'proxy'],
  'replication-pause': ['replication', 'replica'],
  'relay-error': ['relay'],
  throttle: ['relay'],
  latency: ['websocket', 'health', 'route53', 'replication', 'relay', 'proxy'],
};

function explainingFault(context: ProblemContext, region: string | undefined, check: string) {
  if (!region) return undefined;
  return context.sandboxFaults?.find(
    (f) => f.region === region && (FAULT_EXPLAINS[f.fault.split('=')[0]] ?? []).includes(check),
  )?.fault;
}

/**
 * The action for one problem, right where it runs: the China proxy is moved to a region that serves (never to
 * "china"), the China origin is not offered to `drain` (which refuses it) before its origin moves, and in the
 * sandbox a failure its fault explains names the fault and `chatctl sandbox heal`.
 */
function actionFor(
  scope: string,
  check: CheckResult,
  regions: readonly RegionHealth[],
  context: ProblemContext,
): string {
  const origin = context.chinaOrigin;
  const serving = regions.find((r) => r.status === 'ok' && r.key !== origin)?.key;
  const region = scope === 'china' ? origin : scope;
  const fault = explainingFault(context, region, check.name);
  const heal =
    fault && region
      ? `in this sandbox it is the fault ${fault} on ${region}: chatctl sandbox heal ${region}`
      : undefined;
  let action: string;
  if (check.name === 'health' && context.target === 'sandbox') {
    // The sandbox has no health function logs; it has the fault, or its own log of the handlers.
    return (
      heal ??
      `its /health fails (watched; Route 53 routes by the canary judges, see route53): see what its handlers did: chatctl sandbox logs --region ${scope}`
    );
  } else if (check.action) {
    action = check.action;
  } else if (check.name === 'websocket' && scope === origin && serving) {
    action = `the region does not serve chat; it is the China proxy's origin, so move that first (chatctl china origin ${serving}), then drain it if it stays down: chatctl drain ${scope}`;
  } else if (check.name === 'proxy' && context.chinaFollowsDns) {
    action =
      "users in China reach the region latency DNS gives CloudFront's edge: once a failing region leaves DNS (its health check, or chatctl drain KEY) new connections go to a serving one; nothing to move: chatctl china status";
  } else if (
    check.name === 'proxy' &&
    origin &&
    serving &&
    regions.find((r) => r.key === origin)?.status !== 'ok'
  ) {
    action = `users in China cannot chat: the origin ${origin} is down; move it to a serving region: chatctl china origin ${serving}`;
  } else {
    action = (DEFAULT_ACTIONS[check.name] ?? 'investigate').replaceAll('KEY', scope);
  }
  return heal ? `${action}; ${heal}` : action;
}

/** Every warn or fail, with the action to take (the check's own, else the default for its kind). */
export function problemsOf(
  regions: readonly RegionHealth[],
  china: ChinaHealth,
  context: ProblemContext = {},
): Problem[] {
  const followsDns = context.chinaFollowsDns ?? china.followsDns === true;
  const effective = {
    ...context,
    chinaFollowsDns: followsDns,
    chinaOrigin: followsDns ? undefined : (context.chinaOrigin ?? china.origin),
  };
  const problems: Problem[] = [];
  const add = (scope: string, check: CheckResult) => {
    if (check.status !== 'warn' && check.status !== 'fail') return;
    const action = actionFor(scope, check, regions, effective);
    problems.push({ scope, check: check.name, status: check.status, message: check.detail, action });
  };
  for (const region of regions) for (const check of region.checks) add(region.key, check);
  for (const check of china.checks) add('china', check);
  // Fails first, then warnings, keeping region order within each.
  return problems.sort((a, b) => (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1));
}
