/**
 * The account's Lambda concurrency quota per region (`GetAccountSettings`), read when `--target aws`.
 * The one place this module creates an AWS client, so that it can move with the other clients.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Topology } from '../../../core/topology.js';
import { explainAwsError } from '../aws-errors.js';
import type { AwsClientConfig } from '../target.js';

async function lambdaClient(config: AwsClientConfig): Promise<LambdaClient> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return new LambdaClient(config);
}

/** Concurrent executions the account may run, per AWS region of the topology. */
export async function readAccountConcurrency(
  topology: Topology,
  clientConfig: (awsRegion: string) => AwsClientConfig,
): Promise<Record<string, number>> {
  const { GetAccountSettingsCommand } = await import('@aws-sdk/client-lambda');
  const entries = await Promise.all(
    topology.regions.map(async (region): Promise<[string, number]> => {
      const client = await lambdaClient(clientConfig(region.awsRegion));
      try {
        const settings = await client.send(new GetAccountSettingsCommand({}));
        const limit = settings.AccountLimit?.ConcurrentExecutions;
        if (limit === undefined) throw new Error('GetAccountSettings returned no AccountLimit');
        return [region.awsRegion, limit];
      } catch (error) {
        throw explainAwsError(error, `reading Lambda's account settings in ${region.awsRegion}`);
      } finally {
        client.destroy();
      }
    }),
  );
  return Object.fromEntries(entries);
}
