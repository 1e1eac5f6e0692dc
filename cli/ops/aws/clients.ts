/**
 * The one client factory of the ops code: every AWS SDK client in `cli/` is built here, from the Target
 * (endpoint, credentials, attempts), and `scripts/check-layers.mjs` keeps it so. Each service's SDK is
 * imported lazily, so `chatctl --help` never loads it. `openClients` caches clients per region for one run
 * (the on-call checks share them); `close()` destroys them so the process can exit at once.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsClientConfig, Target } from '../target.js';

export interface ClientOptions {
  /** Fewer attempts for a check that reports what it sees now (its timeout bounds the rest). */
  readonly maxAttempts?: number;
}

/** SDK options for a regional service, or for Route 53 and CloudFront (global, signed in us-east-1). */
export function clientConfig(target: Target, awsRegion: string | 'global', options: ClientOptions = {}) {
  const base: AwsClientConfig =
    awsRegion === 'global' ? target.globalClientConfig() : target.clientConfig(awsRegion);
  if (options.maxAttempts === undefined) return base;
  return { ...base, maxAttempts: Math.min(base.maxAttempts ?? options.maxAttempts, options.maxAttempts) };
}

export async function route53Client(target: Target, options?: ClientOptions): Promise<Route53Client> {
  const { Route53Client } = await import('@aws-sdk/client-route-53');
  return new Route53Client(clientConfig(target, 'global', options));
}

export async function cloudfrontClient(target: Target, options?: ClientOptions): Promise<CloudFrontClient> {
  const { CloudFrontClient } = await import('@aws-sdk/client-cloudfront');
  return new CloudFrontClient(clientConfig(target, 'global', options));
}

export async function dynamodbClient(
  target: Target,
  awsRegion: string,
  options?: ClientOptions,
): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  return new DynamoDBClient(clientConfig(target, awsRegion, options));
}

export async function lambdaClient(
  target: Target,
  awsRegion: string,
  options?: ClientOptions,
): Promise<LambdaClient> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return new LambdaClient(clientConfig(target, awsRegion, options));
}

export async function cloudwatchClient(
  target: Target,
  awsRegion: string,
  options?: ClientOptions,
): Promise<CloudWatchClient> {
  const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
  return new CloudWatchClient(clientConfig(target, awsRegion, options));
}

export async function athenaClient(target: Target, awsRegion: string): Promise<AthenaClient> {
  const { AthenaClient } = await import('@aws-sdk/client-athena');
  return new AthenaClient(clientConfig(target, awsRegion));
}

/** STS (deploys check who the credentials belong to) with the deploy's client settings; {} for the default chain. */
export async function stsClient(config: Partial<AwsClientConfig>): Promise<STSClient> {
  const { STSClient } = await import('@aws-sdk/client-sts');
  return new STSClient(config);
}

// The deploy path reads what is deployed with settings of its own (a region, the sandbox's endpoint).
export async function lambdaClientWith(config: AwsClientConfig): Promise<LambdaClient> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return new LambdaClient(config);
}

export async function dynamodbClientWith(config: AwsClientConfig): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  return new DynamoDBClient(config);
}

export async function ssmClient(config: AwsClientConfig): Promise<SSMClient> {
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return new SSMClient(config);
}

export async function cloudformationClient(config: AwsClientConfig): Promise<CloudFormationClient> {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  return new CloudFormationClient(config);
}

/** Runs `work` with a client and destroys the client afterwards, whatever happens. */
export async function withClient<C extends { destroy(): void }, T>(
  client: C | Promise<C>,
  work: (client: C) => Promise<T>,
): Promise<T> {
  const made = await client;
  try {
    return await work(made);
  } finally {
    made.destroy();
  }
}

/** Clients shared by the checks of one run, made on first use. */
export interface AwsClients {
  readonly target: Target;
  dynamodb(awsRegion: string): Promise<DynamoDBClient>;
  lambda(awsRegion: string): Promise<LambdaClient>;
  route53(): Promise<Route53Client>;
  cloudfront(): Promise<CloudFrontClient>;
  cloudwatch(awsRegion: string): Promise<CloudWatchClient>;
  close(): void;
}

export function openClients(target: Target): AwsClients {
  const made: { destroy(): void }[] = [];
  const cache = new Map<string, Promise<{ destroy(): void }>>();
  const once = <T extends { destroy(): void }>(key: string, make: () => Promise<T>): Promise<T> => {
    let value = cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make().then((client) => {
        made.push(client);
        return client;
      });
      cache.set(key, value);
    }
    return value;
  };
  const check = { maxAttempts: 2 };
  return {
    target,
    dynamodb: (awsRegion) => once(`dynamodb:${awsRegion}`, () => dynamodbClient(target, awsRegion, check)),
    lambda: (awsRegion) => once(`lambda:${awsRegion}`, () => lambdaClient(target, awsRegion, check)),
    route53: () => once('route53', () => route53Client(target, check)),
    cloudfront: () => once('cloudfront', () => cloudfrontClient(target, check)),
    cloudwatch: (awsRegion) =>
      once(`cloudwatch:${awsRegion}`, () => cloudwatchClient(target, awsRegion, check)),
    close() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}
