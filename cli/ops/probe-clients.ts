/**
 * AWS SDK clients for the on-call checks, imported lazily (so `chatctl --help` never loads the SDK) and
 * cached per region for one run. `close()` destroys them so the process can exit at once.
 */
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { AwsClientConfig, Target } from './target.js';

type DynamoModule = typeof import('@aws-sdk/client-dynamodb');
type LambdaModule = typeof import('@aws-sdk/client-lambda');
type Route53Module = typeof import('@aws-sdk/client-route-53');
type CloudFrontModule = typeof import('@aws-sdk/client-cloudfront');
type CloudWatchModule = typeof import('@aws-sdk/client-cloudwatch');

export interface ProbeClients {
  readonly target: Target;
  dynamo(awsRegion: string): Promise<{ client: DynamoDBClient; sdk: DynamoModule }>;
  lambda(awsRegion: string): Promise<{ client: LambdaClient; sdk: LambdaModule }>;
  route53(): Promise<{ client: Route53Client; sdk: Route53Module }>;
  cloudfront(): Promise<{ client: CloudFrontClient; sdk: CloudFrontModule }>;
  cloudwatch(awsRegion: string): Promise<{ client: CloudWatchClient; sdk: CloudWatchModule }>;
  close(): void;
}

/** Few attempts: a check reports what it sees now; its timeout bounds the rest. */
function config(base: AwsClientConfig): AwsClientConfig {
  return { ...base, maxAttempts: Math.min(base.maxAttempts ?? 2, 2) };
}

export function probeClients(target: Target): ProbeClients {
  const made: { destroy(): void }[] = [];
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    let value = cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make();
      cache.set(key, value);
    }
    return value;
  };
  return {
    target,
    dynamo: (awsRegion) =>
      once(`dynamo:${awsRegion}`, async () => {
        const sdk = await import('@aws-sdk/client-dynamodb');
        const client = new sdk.DynamoDBClient(config(target.clientConfig(awsRegion)));
        made.push(client);
        return { client, sdk };
      }),
    lambda: (awsRegion) =>
      once(`lambda:${awsRegion}`, async () => {
        const sdk = await import('@aws-sdk/client-lambda');
        const client = new sdk.LambdaClient(config(target.clientConfig(awsRegion)));
        made.push(client);
        return { client, sdk };
      }),
    route53: () =>
      once('route53', async () => {
        const sdk = await import('@aws-sdk/client-route-53');
        const client = new sdk.Route53Client(config(target.globalClientConfig()));
        made.push(client);
        return { client, sdk };
      }),
    cloudfront: () =>
      once('cloudfront', async () => {
        const sdk = await import('@aws-sdk/client-cloudfront');
        const client = new sdk.CloudFrontClient(config(target.globalClientConfig()));
        made.push(client);
        return { client, sdk };
      }),
    cloudwatch: (awsRegion) =>
      once(`cloudwatch:${awsRegion}`, async () => {
        const sdk = await import('@aws-sdk/client-cloudwatch');
        const client = new sdk.CloudWatchClient(config(target.clientConfig(awsRegion)));
        made.push(client);
        return { client, sdk };
      }),
    close() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}

/** A short sentence for an error a check caught (SDK errors carry their name; timeouts say so). */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (!e || typeof e !== 'object') return String(error);
  const message = (e.message ?? String(error)).split('\n')[0];
  if (e.name && e.name !== 'Error' && !message.startsWith(e.name)) {
    return e.name === 'TimeoutError' ? message : `${e.name}: ${message}`;
  }
  return message;
}

const CREDENTIALS = /CredentialsProviderError|Could not load credentials|ExpiredToken|TokenRefreshRequired/i;

/**
 * When a check failed because there are no (or expired) AWS credentials, the whole run is moot: throw the
 * sentence that says how to sign in, instead of a table in which every region looks down.
 */
export async function assertCredentials(details: readonly string[], doing: string): Promise<void> {
  const detail = details.find((d) => CREDENTIALS.test(d));
  if (!detail) return;
  const { explainAwsError } = await import('./aws-errors.js');
  const name = /^(\w+):/.exec(detail)?.[1] ?? 'CredentialsProviderError';
  throw explainAwsError({ name, message: detail }, doing);
}
