/**
 * The AWS checks of `chatctl doctor --target aws`: credentials for the topology's account, a default region,
 * the CDK bootstrap of every region, and each region's Lambda concurrency against the lanes chatctl.json
 * reserves. Each AWS client is imported where it is used.
 */
import type { Topology } from '../../../core/topology.js';
import { explainAwsError } from '../aws-errors.js';
import { requireAwsCredentials } from '../deploy/credentials.js';
import { check, type DoctorCheck, guarded } from './checks.js';

/** Lambda keeps 100 of a region's concurrency unreserved; the lanes are reserved on top of that. */
const UNRESERVED_MINIMUM = 100;
/** The SSM parameter `cdk bootstrap` writes (default qualifier); CDK reads it to check the bootstrap. */
const BOOTSTRAP_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

/** The two reads the checks make, per region; the default uses the AWS SDK with the standard chain. */
export interface AwsReads {
  bootstrapVersion(awsRegion: string): Promise<number | undefined>;
  concurrencyLimit(awsRegion: string): Promise<number | undefined>;
  defaultRegion(): Promise<string | undefined>;
}

export const sdkReads: AwsReads = {
  async bootstrapVersion(awsRegion) {
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const client = new SSMClient({ region: awsRegion, maxAttempts: 2 });
    try {
      const out = await client.send(new GetParameterCommand({ Name: BOOTSTRAP_PARAMETER }));
      return Number(out.Parameter?.Value);
    } catch (error) {
      if ((error as Error).name === 'ParameterNotFound') return undefined;
      throw error;
    } finally {
      client.destroy();
    }
  },
  async concurrencyLimit(awsRegion) {
    const { LambdaClient, GetAccountSettingsCommand } = await import('@aws-sdk/client-lambda');
    const client = new LambdaClient({ region: awsRegion, maxAttempts: 2 });
    try {
      return (await client.send(new GetAccountSettingsCommand({}))).AccountLimit?.ConcurrentExecutions;
    } finally {
      client.destroy();
    }
  },
  async defaultRegion() {
    const { STSClient } = await import('@aws-sdk/client-sts');
    const client = new STSClient({});
    try {
      return await client.config.region();
    } catch {
      return undefined;
    } finally {
      client.destroy();
    }
  },
};

export function reservedByLanes(topology: Topology): number {
  return Object.values(topology.lanes).reduce<number>((sum, n) => sum + (n ?? 0), 0);
}

export async function awsChecks(topology: Topology, reads: AwsReads = sdkReads): Promise<DoctorCheck[]> {
  const credentials = await guarded('aws-credentials', 'AWS credentials', async () => {
    const identity = await requireAwsCredentials(topology, 'doctor');
    return check('aws-credentials', 'AWS credentials', 'ok', `account ${identity.account} (${identity.arn})`);
  });
  const region = await guarded('aws-region', 'Default region', async () => {
    const found = await reads.defaultRegion();
    const home = topology.regions.find((r) => r.key === topology.homeRegion)?.awsRegion ?? 'us-east-1';
    return found
      ? check(
          'aws-region',
          'Default region',
          'ok',
          `${found} (chatctl itself uses the regions of chatctl.json)`,
        )
      : check(
          'aws-region',
          'Default region',
          'warn',
          'none set: chatctl names each region itself, but the AWS CLI and cdk need one',
          `export AWS_REGION=${home} (or: aws configure set region ${home})`,
        );
  });
  if (credentials.status !== 'ok') {
    const skipped = (id: string, title: string) =>
      check(id, title, 'skip', 'skipped: needs working credentials (above)');
    return [
      credentials,
      region,
      skipped('cdk-bootstrap', 'CDK bootstrap'),
      skipped('lambda-concurrency', 'Lambda concurrency'),
    ];
  }
  const needed = reservedByLanes(topology) + UNRESERVED_MINIMUM;
  const perRegion = await Promise.all(
    topology.regions.map(async (spec) => [
      await guarded(`cdk-bootstrap`, `CDK bootstrap ${spec.key}`, async () => {
        const version = await reads.bootstrapVersion(spec.awsRegion).catch((error) => {
          throw explainAwsError(error, `reading ${BOOTSTRAP_PARAMETER} in ${spec.awsRegion}`);
        });
        return version === undefined || Number.isNaN(version)
          ? check(
              'cdk-bootstrap',
              `CDK bootstrap ${spec.key}`,
              'fail',
              `${spec.awsRegion} is not bootstrapped for CDK`,
              `npx cdk bootstrap aws://${topology.account}/${spec.awsRegion}`,
            )
          : check(
              'cdk-bootstrap',
              `CDK bootstrap ${spec.key}`,
              'ok',
              `${spec.awsRegion}: bootstrap version ${version}`,
            );
      }),
      await guarded('lambda-concurrency', `Lambda concurrency ${spec.key}`, async () => {
        const limit = await reads.concurrencyLimit(spec.awsRegion).catch((error) => {
          throw explainAwsError(error, `reading the Lambda account settings of ${spec.awsRegion}`);
        });
        const detail = `${spec.awsRegion}: limit ${limit ?? 'unknown'}; the lanes reserve ${needed - UNRESERVED_MINIMUM} + ${UNRESERVED_MINIMUM} unreserved = ${needed}`;
        if (limit === undefined)
          return check(
            'lambda-concurrency',
            `Lambda concurrency ${spec.key}`,
            'warn',
            detail,
            'check it: aws lambda get-account-settings',
          );
        return limit >= needed
          ? check('lambda-concurrency', `Lambda concurrency ${spec.key}`, 'ok', detail)
          : check(
              'lambda-concurrency',
              `Lambda concurrency ${spec.key}`,
              'fail',
              detail,
              `ask for more in ${spec.awsRegion} (Service Quotas: Lambda "Concurrent executions"), or lower "lanes" in chatctl.json`,
            );
      }),
    ]),
  );
  return [credentials, region, ...perRegion.flat()];
}
