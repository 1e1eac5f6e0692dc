/** The cross-region relay: what one region sends another (Lambda Invoke, InvocationType Event). */
import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { ChatMessage, ServerFrame } from '../../core/protocol.js';
import type { RelayTarget } from '../config.js';
import { errorName, SDK_LOGGER } from '../util.js';

/** A join recorded in another region, relayed so this region reaches the new member at once. */
export interface RelayedJoin {
  readonly connectionId: string;
  readonly userId: string;
  readonly endpoint?: string;
  readonly joinedAt: number;
  readonly expiresAt: number;
}

/**
 * A room broadcast from another region (message, reaction or notice frames), or a join (`join`): the
 * receiving region records the presence before it answers, with its newest messages.
 */
export interface RelayPayload {
  /** Unique per relayed frame: the receiving region posts a frame once however often it is invoked. */
  readonly relayId?: string;
  readonly roomId?: string;
  readonly originRegion?: string;
  /** When the origin broadcast it (epoch ms): a relay older than the relay's age limit is dropped. */
  readonly sentAt?: number;
  readonly frame?: ServerFrame;
  /** Several message frames of one sender, posted in this order (a sender's queued sends). */
  readonly frames?: readonly ServerFrame[];
  /** The message, when the frame is a message (the relay never writes it: replication brings the item). */
  readonly message?: ChatMessage;
  /** Health probe: validate and answer without delivering anything. */
  readonly dryRun?: boolean;
  readonly join?: RelayedJoin;
  /** Does this region's replica hold message `messageId` of the room (a reply or reaction elsewhere)? */
  readonly lookup?: { readonly messageId: string };
}

export interface RelayResult {
  readonly ok: boolean;
  readonly region: string;
  readonly dryRun?: boolean;
  /** True when this frame was already relayed here (nothing posted again). */
  readonly duplicate?: boolean;
  readonly delivered?: number;
  readonly gone?: number;
  readonly failed?: number;
  readonly error?: string;
  /** For a lookup: whether the receiving region's replica holds the message. */
  readonly found?: boolean;
  /** A frame older than the relay's age limit, dropped (clients recover it by gap fill). */
  readonly dropped?: boolean;
  /** For a join: the receiving region's newest messages (one history page), oldest first. */
  readonly messages?: ChatMessage[];
}

export interface RelayInvokeResult {
  readonly region: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * What a call to another region may cost (docs/protocol.md, Budgets): no region waits on another beyond
 * these. The whole call, retries included, is bounded by an abort signal; each attempt by a request timeout;
 * a connection by the connect timeout. What misses its budget is delivered later (the relay's async retry,
 * or gap fill), never lost, never posted twice (the receiving region's relay marker).
 */
export const RELAY_BUDGET = {
  /** A TCP connect to another region's Lambda endpoint: a round trip across the Pacific with slack. */
  connectMs: 600,
  /** A send's push to each other region: its ack waits at most this long on a remote region. */
  pushMs: 1000,
  /** An async relay (reactions, notices, a push that missed its budget): Lambda's 202, not the delivery. */
  eventMs: 1000,
  /** A join's relay to each other region (they run at once: a join waits at most this long on them). */
  joinMs: 3000,
  /** Attempts per Invoke: one retry, for a throttle or a refused connection, still within the budget. */
  maxAttempts: 2,
} as const;

export type LambdaClientFactory = (awsRegion: string) => LambdaClient | Promise<LambdaClient>;

// Loaded on the first relay: most sends have no remote members and never pay for the Lambda client.
let sdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;
const loadSdk = () => {
  sdk ??= import('@aws-sdk/client-lambda');
  return sdk;
};

export function defaultLambdaFactory(clientConfig: {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestHandler?: LambdaClientConfig['requestHandler'];
}): LambdaClientFactory {
  const clients = new Map<string, LambdaClient>();
  return async (awsRegion) => {
    let client = clients.get(awsRegion);
    if (!client) {
      const { LambdaClient } = await loadSdk();
      client = new LambdaClient({
        region: awsRegion,
        cacheMiddleware: true,
        logger: SDK_LOGGER,
        maxAttempts: RELAY_BUDGET.maxAttempts,
        // The SDK's defaults are no connect timeout and a request timeout that only warns.
        requestHandler: clientConfig.requestHandler ?? {
          connectionTimeout: RELAY_BUDGET.connectMs,
          requestTimeout: RELAY_BUDGET.joinMs,
          throwOnRequestTimeout: true,
        },
        ...(clientConfig.endpoint ? { endpoint: clientConfig.endpoint } : {}),
        ...(clientConfig.credentials ? { credentials: clientConfig.credentials } : {}),
      });
      clients.set(awsRegion, client);
    }
    return client;
  };
}

/** The send options of an Invoke within `budgetMs`: the whole call and each attempt are bounded. */
const within = (budgetMs: number) => ({
  abortSignal: AbortSignal.timeout(budgetMs),
  requestTimeout: budgetMs,
});

/**
 * Invokes each region's relay once, asynchronously (InvocationType Event), or with `wait` until it has
 * posted (RequestResponse): a frame that must not be overtaken by the sender's next. Either within
 * `budgetMs` (RELAY_BUDGET). A failure is reported, never thrown.
 */
export async function invokeRelays(
  lambda: LambdaClientFactory,
  targets: Readonly<Record<string, RelayTarget>>,
  regions: readonly string[],
  payload: RelayPayload,
  options: { wait?: boolean; budgetMs?: number } = {},
): Promise<RelayInvokeResult[]> {
  const body = Buffer.from(JSON.stringify(payload));
  const { InvokeCommand } = await loadSdk();
  return Promise.all(
    regions.map(async (region): Promise<RelayInvokeResult> => {
      const target = targets[region];
      if (!target) {
        console.warn(
          `no relay target for region ${region}; its members miss this frame until they page history`,
        );
        return { region, ok: false, error: 'no relay target configured' };
      }
      try {
        const answer = await (await lambda(target.awsRegion)).send(
          new InvokeCommand({
            FunctionName: target.functionName,
            InvocationType: options.wait ? 'RequestResponse' : 'Event',
            Payload: body,
          }),
          within(options.budgetMs ?? (options.wait ? RELAY_BUDGET.pushMs : RELAY_BUDGET.eventMs)),
        );
        if (answer.FunctionError) throw new Error(`the relay failed (${answer.FunctionError})`);
        return { region, ok: true };
      } catch (error) {
        console.warn(`relay to ${region} failed (${errorName(error)}): ${String(error)}`);
        return { region, ok: false, error: `${errorName(error)}: ${(error as Error).message}` };
      }
    }),
  );
}

/** A relayed join answered by one region: its newest messages, or why it could not be told. */
export interface JoinRelayResult {
  readonly region: string;
  readonly ok: boolean;
  readonly messages: readonly ChatMessage[];
  readonly error?: string;
}

/**
 * Tells each region of a join and waits for its answer (InvocationType RequestResponse), at most `timeoutMs`
 * each: a region that cannot be told is reported, and learns of the member through replication instead.
 */
export async function invokeJoinRelays(
  lambda: LambdaClientFactory,
  targets: Readonly<Record<string, RelayTarget>>,
  payload: RelayPayload,
  timeoutMs: number,
): Promise<JoinRelayResult[]> {
  const body = Buffer.from(JSON.stringify(payload));
  const { InvokeCommand } = await loadSdk();
  return Promise.all(
    Object.entries(targets).map(async ([region, target]): Promise<JoinRelayResult> => {
      const failed = (error: string): JoinRelayResult => {
        console.warn(`telling ${region} of a join in ${payload.roomId} failed: ${error}`);
        return { region, ok: false, messages: [], error };
      };
      try {
        const answer = await (await lambda(target.awsRegion)).send(
          new InvokeCommand({
            FunctionName: target.functionName,
            InvocationType: 'RequestResponse',
            Payload: body,
          }),
          within(timeoutMs),
        );
        if (answer.FunctionError) return failed(`the relay failed (${answer.FunctionError})`);
        const result = JSON.parse(Buffer.from(answer.Payload ?? []).toString('utf8') || '{}') as RelayResult;
        if (!result.ok) return failed(result.error ?? 'the relay refused the join');
        return { region, ok: true, messages: Array.isArray(result.messages) ? result.messages : [] };
      } catch (error) {
        return failed(`${errorName(error)}: ${(error as Error).message}`);
      }
    }),
  );
}

/**
 * Asks every other region whether its replica holds a message of the room (InvocationType RequestResponse,
 * within `budgetMs`): true at the first that does, false when none did in time.
 */
export async function invokeLookups(
  lambda: LambdaClientFactory,
  targets: Readonly<Record<string, RelayTarget>>,
  payload: RelayPayload,
  budgetMs: number,
): Promise<boolean> {
  const body = Buffer.from(JSON.stringify(payload));
  const { InvokeCommand } = await loadSdk();
  const asks = Object.entries(targets).map(async ([region, target]) => {
    try {
      const answer = await (await lambda(target.awsRegion)).send(
        new InvokeCommand({ FunctionName: target.functionName, Payload: body }),
        within(budgetMs),
      );
      if (answer.FunctionError) throw new Error(`the relay failed (${answer.FunctionError})`);
      const result = JSON.parse(Buffer.from(answer.Payload ?? []).toString('utf8') || '{}') as RelayResult;
      return result.ok === true && result.found === true;
    } catch (error) {
      console.warn(`asking ${region} for a message of ${payload.roomId} failed: ${String(error)}`);
      return false;
    }
  });
  if (asks.length === 0) return false;
  return new Promise<boolean>((resolve) => {
    let left = asks.length;
    for (const ask of asks) {
      void ask.then((found) => {
        left--;
        if (found || left === 0) resolve(found);
      });
    }
  });
}
