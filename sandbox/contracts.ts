/**
 * Contracts between the sandbox's parts: the requests the edge and the gateways answer (from a port or
 * in-process), the request the edge hands a service (services/service.ts), and a running region's endpoints.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface EdgeRequest {
  readonly method: string;
  /** Path without the query string, as received (still percent-encoded). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** From the SigV4 credential scope: e.g. dynamodb, lambda, sts, route53, cloudfront. */
  readonly service: string;
  /** From the SigV4 credential scope: e.g. ap-northeast-2 (us-east-1 for Route 53 and CloudFront). */
  readonly region: string;
  /**
   * The sandbox region key of the caller when the request came from a region's handlers (their endpoint is
   * the edge URL + /_from/<key>, a prefix the edge strips), so cross-region calls can take that pair's lag.
   */
  readonly caller?: string;
}

/** An HTTP request as the edge and gateways answer it, whether it came through their port or in-process. */
export interface LocalRequest {
  readonly method: string;
  /** Path and query string, as on the request line. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The peer's address (127.0.0.1 in-process). */
  readonly remoteAddress?: string;
  readonly httpVersion?: string;
}

export interface EdgeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** What the services need to know of each running region. */
export interface RegionRuntimeInfo {
  readonly key: string;
  readonly awsRegion: string;
  /** ws://127.0.0.1:PORT/prod */
  readonly websocketUrl: string;
  /** http://127.0.0.1:PORT/health */
  readonly healthUrl: string;
  readonly gatewayPort: number;
  /** The WebSocket API's id (its AWS/ApiGateway metrics' ApiId dimension; its stage is `prod`). */
  readonly apiId: string;
}
