/**
 * What a deploy checks in every target region before anything is deployed, each with the AWS call that answers
 * it (the sandbox answers them too, so `deploy --dry-run --target sandbox` runs this code):
 * - Lambda concurrency (GetAccountSettings): the lanes reserve concurrency and Lambda keeps 100 unreserved; a
 *   new account's reduced quota would roll the first region stack back.
 * - CDK bootstrap (SSM GetParameter /cdk-bootstrap/<qualifier>/version): the assets need the bootstrap stack.
 * - The Global Table's replicas as deployed (DescribeTable), to plan replica changes one per update.
 * `readLambdaConcurrencyQuota` is the one reader of the account's concurrency quota (capacity planning uses it).
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import type { Route } from '../../../core/protocol.js';
import type { Topology } from '../../../core/topology.js';
import { dynamodbClientWith, lambdaClientWith, ssmClient } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import type { AwsClientConfig } from '../target.js';

/** Lambda keeps this much of a region's concurrency unreserved; reservations cannot take it. */
export const LAMBDA_MIN_UNRESERVED = 100;
/** The Service Quotas code of Lambda's "Concurrent executions" quota. */
export const LAMBDA_CONCURRENCY_QUOTA_CODE = 'L-B99A9384';
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** The bootstrap version every CDK v2 stack needs; a synthesized assembly may require a newer one. */
export const BASELINE_BOOTSTRAP_VERSION = 6;

export interface LambdaConcurrencyQuota {
  readonly awsRegion: string;
  /** The account's concurrency quota in the region (AccountLimit.ConcurrentExecutions). */
  readonly concurrentExecutions: number;
  /** What reservations leave (AccountLimit.UnreservedConcurrentExecutions). */
  readonly unreservedConcurrentExecutions: number;
}

/** GetAccountSettings in one region: the account's Lambda concurrency quota and what is left unreserved. */
export async function readLambdaConcurrencyQuota(config: AwsClientConfig): Promise<LambdaConcurrencyQuota> {
  const { GetAccountSettingsCommand } = await import('@aws-sdk/client-lambda');
  const client = await lambdaClientWith(config);
  try {
    const answer = await client.send(new GetAccountSettingsCommand({}));
    const limit = answer.AccountLimit;
    if (limit?.ConcurrentExecutions === undefined) {
      throw new Error(`GetAccountSettings in ${config.region} answered no ConcurrentExecutions`);
    }
    return {
      awsRegion: config.region,
      concurrentExecutions: limit.ConcurrentExecutions,
      unreservedConcurrentExecutions: limit.UnreservedConcurrentExecutions ?? limit.ConcurrentExecutions,
    };
  } catch (error) {
    throw explainAwsError(error, `reading the Lambda concurrency quota in ${config.region}`);
  } finally {
    client.destroy();
  }
}

/** The routes whose functions a region stack creates (the stream flattener lives in the global data stack). */
const REGION_ROUTES = (
  [
    'connect',
    'disconnect',
    'default',
    'join',
    'leave',
    'send',
    'history',
    'react',
    'notice',
    'ping',
  ] as Route[]
).concat(['relay', 'health']);

/** The concurrency the chat's functions reserve in one AWS region (the lanes of every stack there). */
export function reservedConcurrency(topology: Topology, awsRegion: string): number {
  let total = 0;
  for (const region of topology.regions.filter((r) => r.awsRegion === awsRegion)) {
    for (const route of REGION_ROUTES) total += topology.lanes[route] ?? 0;
    if (region.key === topology.homeRegion && topology.analytics.enabled) total += topology.lanes.stream ?? 0;
  }
  return total;
}

export interface PreflightCheck {
  readonly name: 'credentials' | 'bootstrap' | 'concurrency' | 'replicas';
  readonly awsRegion?: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to do when not ok. */
  readonly action?: string;
}

/**
 * The concurrency check of one region: the lanes plus Lambda's 100 must fit the quota; in a region where the
 * chat is not deployed yet, they must also fit what other functions of the account leave unreserved.
 */
export function concurrencyCheck(
  topology: Topology,
  quota: LambdaConcurrencyQuota,
  options: { deployedHere: boolean },
): PreflightCheck {
  const reserved = reservedConcurrency(topology, quota.awsRegion);
  const needed = reserved + LAMBDA_MIN_UNRESERVED;
  const available = options.deployedHere
    ? quota.concurrentExecutions
    : Math.min(quota.concurrentExecutions, quota.unreservedConcurrentExecutions);
  const base = { name: 'concurrency' as const, awsRegion: quota.awsRegion };
  if (needed <= available) {
    return {
      ...base,
      ok: true,
      detail: `lanes reserve ${reserved} + ${LAMBDA_MIN_UNRESERVED} unreserved = ${needed} of ${available} available (quota ${quota.concurrentExecutions})`,
    };
  }
  const fit = Math.max(0, available - LAMBDA_MIN_UNRESERVED);
  return {
    ...base,
    ok: false,
    detail: `the lanes reserve ${reserved} and Lambda keeps ${LAMBDA_MIN_UNRESERVED} unreserved, so ${quota.awsRegion} needs ${needed} concurrent executions; the account has ${available} available there (quota ${quota.concurrentExecutions})`,
    action: `request a quota increase to at least ${needed} (aws service-quotas request-service-quota-increase --service-code lambda --quota-code ${LAMBDA_CONCURRENCY_QUOTA_CODE} --desired-value ${Math.max(needed, 1000)} --region ${quota.awsRegion}), or lower "lanes" in chatctl.json to ${fit} in all`,
  };
}

/** The bootstrap stack's version in one region (SSM), or undefined when the region is not bootstrapped. */
export async function readBootstrapVersion(
  config: AwsClientConfig,
  parameterName = `/cdk-bootstrap/${DEFAULT_BOOTSTRAP_QUALIFIER}/version`,
): Promise<number | undefined> {
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = await ssmClient(config);
  try {
    const answer = await client.send(new GetParameterCommand({ Name: parameterName }));
    const version = Number(answer.Parameter?.Value);
    return Number.isFinite(version) ? version : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
    throw explainAwsError(error, `reading the CDK bootstrap version in ${config.region}`);
  } finally {
    client.destroy();
  }
}

export function bootstrapCheck(
  topology: Topology,
  awsRegion: string,
  version: number | undefined,
  required: number,
): PreflightCheck {
  const how = `bootstrap it: npx cdk bootstrap aws://${topology.account}/${awsRegion}`;
  if (version === undefined) {
    return {
      name: 'bootstrap',
      awsRegion,
      ok: false,
      detail: `${awsRegion} is not CDK-bootstrapped (no bootstrap version parameter)`,
      action: how,
    };
  }
  if (version < required) {
    return {
      name: 'bootstrap',
      awsRegion,
      ok: false,
      detail: `${awsRegion} has CDK bootstrap version ${version}; the stacks need ${required} or newer`,
      action: `re-${how}`,
    };
  }
  return {
    name: 'bootstrap',
    awsRegion,
    ok: true,
    detail: `CDK bootstrap version ${version} (needs ${required})`,
  };
}

/**
 * The AWS regions holding a replica of the chat table as deployed, read in the home region; undefined when the
 * table does not exist yet (a fresh account).
 */
export async function readDeployedReplicas(
  topology: Topology,
  config: AwsClientConfig,
): Promise<string[] | undefined> {
  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const client = await dynamodbClientWith(config);
  try {
    const answer = await client.send(new DescribeTableCommand({ TableName: names.table(topology) }));
    const regions = (answer.Table?.Replicas ?? [])
      .filter((r) => r.ReplicaStatus !== 'DELETING')
      .map((r) => r.RegionName)
      .filter((r): r is string => r !== undefined);
    // The table answers in the region asked: that region holds a replica whether or not it is listed.
    return [...new Set([config.region, ...regions])];
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw explainAwsError(error, `describing table ${names.table(topology)} in ${config.region}`);
  } finally {
    client.destroy();
  }
}

/** Throws one UserError listing every failed check with what to do. */
export function requirePreflight(checks: readonly PreflightCheck[]): void {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return;
  throw new UserError(
    `deploy preflight failed, nothing was deployed:\n${failed.map((c) => `  ${c.name}${c.awsRegion ? ` (${c.awsRegion})` : ''}: ${c.detail}`).join('\n')}`,
    { hint: [...new Set(failed.map((c) => c.action).filter(Boolean))].join('; ') },
  );
}
