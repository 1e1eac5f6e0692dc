/**
 * The account's Lambda concurrency quota per region, read when `--target aws` through the one reader of it
 * (readLambdaConcurrencyQuota, GetAccountSettings, in the deploy preflight).
 */
import type { Topology } from '../../../core/topology.js';
import { readLambdaConcurrencyQuota } from '../deploy/preflight.js';
import type { AwsClientConfig } from '../target.js';

/** Concurrent executions the account may run, per AWS region of the topology. */
export async function readAccountConcurrency(
  topology: Topology,
  clientConfig: (awsRegion: string) => AwsClientConfig,
): Promise<Record<string, number>> {
  const quotas = await Promise.all(
    topology.regions.map((region) => readLambdaConcurrencyQuota(clientConfig(region.awsRegion))),
  );
  return Object.fromEntries(quotas.map((q) => [q.awsRegion, q.concurrentExecutions]));
}
