/**
 * The custom metrics the runtime publishes (CloudWatch embedded metric format) and the stacks alarm on, so
 * that both sides agree on one namespace, one dimension and one name per figure. See docs/observability.md.
 */

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
export const OPS_HANDLERS = ['canary', 'surge', 'probe-user'] as const;
export type OpsHandler = (typeof OPS_HANDLERS)[number];

/** The namespace of the app's custom metrics: one per app, so two apps in one account never mix. */
export function metricsNamespace(app: string): string {
  return `chatctl/${app}`;
}

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
