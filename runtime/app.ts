/**
 * The chat app: one object per region whose methods are the Lambda handlers of every route
 * (runtime/handlers/<route>.ts export them one by one). The sandbox calls the same methods in-process.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayProxyWebsocketEventV2,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { canaryUser } from '../core/observability.js';
import { LOAD_LEVEL_CACHE_MS, type ServerFrame } from '../core/protocol.js';
import { connectToken } from './auth/connect-token.js';
import { secretsManagerSecret } from './auth/secret-source.js';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier.js';
import { ChatService } from './chat/service.js';
import type { RuntimeConfig } from './config.js';
import { defaultMetricSink, type MetricSink } from './metrics/emf.js';
import { withRelayMetrics } from './metrics/relay.js';
import { ConnectionPoster, type PosterOptions } from './notify/connections.js';
import {
  defaultLambdaFactory,
  type LambdaClientFactory,
  type RelayPayload,
  type RelayResult,
} from './notify/relay.js';
import { ChatStore } from './store/chat-store.js';
import {
  getLoadLevelRecord,
  getLoadReading,
  LoadLevelCache,
  retryAfterMs,
  SHEDDING,
} from './store/load-level.js';
import { SDK_LOGGER } from './util.js';

export type { RelayPayload, RelayResult } from './notify/relay.js';

/** API Gateway's WebSocket event; $connect events also carry the query string and headers. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  headers?: Record<string, string | undefined>;
  multiValueHeaders?: Record<string, string[] | undefined>;
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    identity?: { sourceIp?: string; userAgent?: string };
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
};

export interface WebSocketResult {
  statusCode: number;
  body?: string;
  /** $connect only: response headers API Gateway puts on the upgrade's answer (the chosen subprotocol). */
  headers?: Record<string, string>;
}

export interface StreamResult {
  /** Rows flattened from the batch (records with a NewImage). */
  readonly rows: number;
  /** Rows Firehose accepted (0 when no delivery stream is configured). */
  readonly sent: number;
  /**
   * With ReportBatchItemFailures: the first record not delivered (Lambda retries it and every later one, then
   * sends them to the on-failure queue). Empty when everything was delivered.
   */
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export interface ChatApp {
  connect(event: WebSocketEvent): Promise<WebSocketResult>;
  disconnect(event: WebSocketEvent): Promise<{ statusCode: number }>;
  /** Every MESSAGE route ($default and each action): routes by body.action itself. */
  message(event: WebSocketEvent): Promise<WebSocketResult>;
  /** Lambda Invoke payload from another region; `{ dryRun: true }` answers without delivering. */
  relay(payload: RelayPayload): Promise<RelayResult>;
  /** GET /health (HTTP API, payload 2.0). */
  health(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /** DynamoDB Streams -> flattened rows -> Firehose. */
  stream(event: DynamoDBStreamEvent): Promise<StreamResult>;
}

/** What tests, benchmarks and the sandbox may replace; everything else comes from the config. */
export interface ChatAppDeps {
  readonly dynamodb?: DynamoDBClient;
  readonly lambda?: LambdaClientFactory;
  readonly firehose?: FirehoseClient;
  readonly verifier?: TokenVerifier;
  /** Cognito mode: how the JWKS is fetched from Cognito when the region's stored copy lacks a key (tests). */
  readonly jwksFetcher?: import('aws-jwt-verify/https').Fetcher;
  readonly now?: () => number;
  /** How long a read load level is trusted (default LOAD_LEVEL_CACHE_MS, 5 s). */
  readonly loadCacheMs?: number;
  readonly poster?: Omit<PosterOptions, 'clientConfig'>;
  /**
   * The HTTP transport of every AWS client the app makes (the SDK's `requestHandler` option). The sandbox
   * passes one that hands each signed request to its own router in-process instead of through a socket.
   */
  readonly requestHandler?: AwsRequestHandler;
  /** Where embedded-metric lines go (default: stdout on Lambda, nowhere elsewhere). */
  readonly metrics?: MetricSink;
}

/** What the SDK clients accept as `requestHandler`. */
export type AwsRequestHandler = NonNullable<DynamoDBClientConfig['requestHandler']>;

/** The @connections endpoint: the override (sandbox) or the API's own, built from the event. */
export function managementEndpoint(config: RuntimeConfig, context: WebSocketEvent['requestContext']): string {
  if (config.managementEndpoint) return config.managementEndpoint;
  const { domainName, stage, apiId } = context;
  // Behind a custom domain (or the China proxy) the execute-api host is the one @connections answers on.
  if (apiId && domainName && !domainName.includes('.execute-api.')) {
    return `https://${apiId}.execute-api.${config.awsRegion}.amazonaws.com/${stage}`;
  }
  return `https://${domainName}/${stage}`;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

export function createChatApp(config: RuntimeConfig, deps: ChatAppDeps = {}): ChatApp {
  const now = deps.now ?? Date.now;
  const awsClientConfig = {
    // Resolve each command's middleware stack once, not on every call (no middleware is added later).
    cacheMiddleware: true,
    logger: SDK_LOGGER,
    ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    ...(deps.requestHandler ? { requestHandler: deps.requestHandler } : {}),
  };
  const dynamodb = deps.dynamodb ?? new DynamoDBClient({ region: config.awsRegion, ...awsClientConfig });
  const store = new ChatStore(dynamodb, config.tableName, now, config.regionKey);
  const loadLevel = new LoadLevelCache(
    () => getLoadReading(dynamodb, config.tableName, config.regionKey, now()),
    deps.loadCacheMs ?? LOAD_LEVEL_CACHE_MS,
    now,
  );
  const poster = new ConnectionPoster({
    ...deps.poster,
    clientConfig: {
      region: config.awsRegion,
      ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    },
    ...(deps.requestHandler ? { requestHandler: deps.requestHandler } : {}),
  });
  const service = new ChatService({
    config,
    store,
    poster,
    lambda: deps.lambda ?? defaultLambdaFactory(awsClientConfig),
    loadLevel,
    now,
  });
  const metrics = deps.metrics ?? defaultMetricSink();
  let verifier = deps.verifier;
  let firehose = deps.firehose;

  const caller = (event: WebSocketEvent) => ({
    connectionId: event.requestContext.connectionId,
    endpoint: managementEndpoint(config, event.requestContext),
  });

  return {
    async connect(event) {
      const token = connectToken(event, config.tokenInQuery === true);
      if ('refused' in token) return { statusCode: 401, body: token.refused };
      verifier ??= await createTokenVerifier(
        config.auth,
        now,
        (secretId) => secretsManagerSecret(secretId, { region: config.awsRegion, ...awsClientConfig }),
        canaryUser(config.regionKey),
        // Cognito's keys from this region's copy in the table first (auth/jwks-store.ts).
        async () => {
          const { regionalJwksCache, tableJwksStore } = await import('./auth/jwks-store.js');
          return regionalJwksCache(tableJwksStore(dynamodb, config.tableName), deps.jwksFetcher);
        },
      );
      let userId: string;
      try {
        ({ userId } = await verifier.verify(token.token));
      } catch (error) {
        return { statusCode: 401, body: `invalid token: ${(error as Error).message}` };
      }
      const level = await loadLevel.get();
      if (SHEDDING.newConnections(level)) {
        const frame: ServerFrame = {
          type: 'error',
          code: 'OVERLOADED',
          message: `the region is shedding load (level ${level}): new connections are paused; retry later`,
          retryAfterMs: retryAfterMs(level),
        };
        return { statusCode: 429, body: JSON.stringify(frame) };
      }
      await store.presence.putConnection({
        region: config.regionKey,
        connectionId: event.requestContext.connectionId,
        userId,
        connectedAt: now(),
        endpoint: managementEndpoint(config, event.requestContext),
      });
      // API Gateway answers the upgrade with the headers $connect returns: a client that asked for subprotocols
      // refuses a handshake that names none, so the chat's is echoed (never the token).
      return token.protocol
        ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': token.protocol } }
        : { statusCode: 200 };
    },

    async disconnect(event) {
      try {
        await store.presence.deleteConnection(config.regionKey, event.requestContext.connectionId);
      } catch (error) {
        // Best effort: TTL and the 410 clean-up on the next post remove what is left.
        console.warn(`disconnect clean-up of ${event.requestContext.connectionId} failed: ${String(error)}`);
      }
      return { statusCode: 200 };
    },

    async message(event) {
      const body =
        event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const result = await service.handle(caller(event), body);
      return { statusCode: result.ok ? 200 : 500 };
    },

    relay: (payload) => withRelayMetrics(config, metrics, () => service.relay(payload)),

    async health(event) {
      const method = event?.requestContext?.http?.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'GET /health only' });
      const timed = async <T>(fn: () => Promise<T>) => {
        const start = performance.now();
        try {
          const value = await fn();
          return { ok: true as const, ms: Math.round(performance.now() - start), value };
        } catch (error) {
          return { ok: false as const, ms: Math.round(performance.now() - start), error: String(error) };
        }
      };
      const [read, write] = await Promise.all([
        timed(() => getLoadLevelRecord(dynamodb, config.tableName, config.regionKey)),
        timed(() => store.probeWrite(config.regionKey)),
      ]);
      const healthy = read.ok && write.ok;
      return json(healthy ? 200 : 503, {
        region: config.regionKey,
        awsRegion: config.awsRegion,
        healthy,
        loadLevel: read.ok ? read.value.level : null,
        checks: {
          read: read.ok ? { ok: true, ms: read.ms } : { ok: false, ms: read.ms, error: read.error },
          write: write.ok ? { ok: true, ms: write.ms } : { ok: false, ms: write.ms, error: write.error },
        },
        relayTargets: Object.keys(config.relayTargets).sort(),
        time: new Date(now()).toISOString(),
      });
    },

    async stream(event) {
      const { flattenWithSources, sendToFirehose, FirehoseDeliveryError } = await import(
        './analytics/stream.js'
      );
      const { rows, sources } = flattenWithSources(event.Records ?? []);
      if (!config.firehoseStream || rows.length === 0) {
        return { rows: rows.length, sent: 0, batchItemFailures: [] };
      }
      if (!firehose) {
        const { FirehoseClient } = await import('@aws-sdk/client-firehose');
        firehose = new FirehoseClient({ region: config.awsRegion, ...awsClientConfig });
      }
      try {
        const { sent } = await sendToFirehose(firehose, config.firehoseStream, rows);
        return { rows: rows.length, sent, batchItemFailures: [] };
      } catch (error) {
        if (!(error instanceof FirehoseDeliveryError)) throw error;
        // Lambda checkpoints before the first failure reported: that record and all later ones come again.
        const record = sources[error.undeliveredFrom];
        const itemIdentifier = record?.dynamodb?.SequenceNumber;
        if (!itemIdentifier) throw error;
        console.warn(`analytics: ${error.message}; retrying from record ${itemIdentifier}`);
        return { rows: rows.length, sent: error.sent, batchItemFailures: [{ itemIdentifier }] };
      }
    },
  };
}
