/**
 * Posting frames to WebSocket connections through the @connections management API (PostToConnection),
 * with bounded concurrency and retries. A 410 GoneException marks the connection stale; the caller cleans it.
 */
import type {
  ApiGatewayManagementApiClient,
  ApiGatewayManagementApiClientConfig,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { backoffMs, errorName, mapLimit, SDK_LOGGER, sleep } from '../util.js';

export type PostOutcome = 'ok' | 'gone' | 'failed';

export interface PostTarget {
  readonly connectionId: string;
  /** @connections endpoint of the connection's API stage. */
  readonly endpoint: string;
}

export interface FanOutResult {
  readonly delivered: number;
  readonly gone: readonly string[];
  readonly failed: readonly string[];
}

export interface PosterOptions {
  readonly clientConfig?: {
    region: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  /** Posts in flight at once per fan-out. */
  readonly concurrency?: number;
  /** Attempts per post for errors other than GoneException. */
  readonly attempts?: number;
  readonly retryBaseMs?: number;
  /** The SDK's HTTP transport (the sandbox's in-process one); the SDK's default otherwise. */
  readonly requestHandler?: ApiGatewayManagementApiClientConfig['requestHandler'];
}

// Loaded on first post: $connect, $disconnect, health and stream never pay for it at cold start.
let sdk: Promise<typeof import('@aws-sdk/client-apigatewaymanagementapi')> | undefined;
const loadSdk = () => {
  sdk ??= import('@aws-sdk/client-apigatewaymanagementapi');
  return sdk;
};

/** Errors that another attempt will not fix. */
const FINAL = new Set([
  'GoneException',
  'ForbiddenException',
  'PayloadTooLargeException',
  'BadRequestException',
]);

export class ConnectionPoster {
  private readonly clients = new Map<string, ApiGatewayManagementApiClient>();
  readonly concurrency: number;
  private readonly attempts: number;
  private readonly retryBaseMs: number;

  constructor(private readonly options: PosterOptions = {}) {
    this.concurrency = options.concurrency ?? 16;
    this.attempts = options.attempts ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 50;
  }

  async client(endpoint: string): Promise<ApiGatewayManagementApiClient> {
    let client = this.clients.get(endpoint);
    if (!client) {
      const { ApiGatewayManagementApiClient } = await loadSdk();
      client = new ApiGatewayManagementApiClient({
        region: this.options.clientConfig?.region ?? 'us-east-1',
        endpoint,
        // The retries are ours (below), so that a throttled post never holds up the others for long.
        maxAttempts: 1,
        // One resolved middleware stack per command class instead of one per call: nothing adds middleware
        // to this client after its first send, and the per-post SDK overhead drops by about a third.
        cacheMiddleware: true,
        logger: SDK_LOGGER,
        ...(this.options.clientConfig?.credentials
          ? { credentials: this.options.clientConfig.credentials }
          : {}),
        ...(this.options.requestHandler ? { requestHandler: this.options.requestHandler } : {}),
      });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  /** Posts one frame; `data` already encoded when the caller posts it to many (fanOut encodes it once). */
  async post(target: PostTarget, data: string | Uint8Array): Promise<PostOutcome> {
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    const { PostToConnectionCommand } = await loadSdk();
    for (let attempt = 0; ; attempt++) {
      try {
        await (await this.client(target.endpoint)).send(
          new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: body }),
        );
        return 'ok';
      } catch (error) {
        const name = errorName(error);
        if (name === 'GoneException') return 'gone';
        if (FINAL.has(name) || attempt + 1 >= this.attempts) {
          console.warn(`post to ${target.connectionId} failed (${name}): ${String(error)}`);
          return 'failed';
        }
        await sleep(backoffMs(attempt, this.retryBaseMs));
      }
    }
  }

  /** Posts `data` to every target; `onGone` runs for each stale one (its errors never stop the fan-out). */
  async fanOut(
    targets: readonly PostTarget[],
    data: string,
    onGone: (target: PostTarget) => Promise<void>,
  ): Promise<FanOutResult> {
    const gone: string[] = [];
    const failed: string[] = [];
    let delivered = 0;
    // One encoding of the frame for every member (the SDK sends the bytes as they are).
    const body = Buffer.from(data);
    await mapLimit(targets, this.concurrency, async (target) => {
      const outcome = await this.post(target, body);
      if (outcome === 'ok') delivered++;
      else if (outcome === 'failed') failed.push(target.connectionId);
      else {
        gone.push(target.connectionId);
        await onGone(target).catch((error) =>
          console.warn(`cleaning stale connection ${target.connectionId} failed: ${String(error)}`),
        );
      }
    });
    return { delivered, gone, failed };
  }
}
