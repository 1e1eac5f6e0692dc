/**
 * The AWS checks of `chatctl doctor --target aws`: credentials for the topology's account, a default region,
 * and in every region the CDK bootstrap and the Lambda concurrency the lanes need. The rules are the deploy
 * preflight's own (cli/ops/deploy/preflight.ts); doctor runs them without a synth, against the baseline
 * bootstrap version (`deploy --dry-run` checks the exact one the stacks need).
 */
import type { Topology } from '../../../core/topology.js';
import { defaultRegion } from '../aws/sts.js';
import { requireAwsCredentials } from '../deploy/credentials.js';
import {
  BASELINE_BOOTSTRAP_VERSION,
  bootstrapCheck,
  concurrencyCheck,
  type PreflightCheck,
  readBootstrapVersion,
  readDeployedReplicas,
  readLambdaConcurrencyQuota,
} from '../deploy/preflight.js';
import { awsTarget } from '../target.js';
import { check, type DoctorCheck, guarded } from './checks.js';

function fromPreflight(id: string, title: string, result: PreflightCheck): DoctorCheck {
  return check(id, title, result.ok ? 'ok' : 'fail', `${result.awsRegion}: ${result.detail}`, result.action);
}

export async function awsChecks(topology: Topology): Promise<DoctorCheck[]> {
  const target = awsTarget(topology);
  const credentials = await guarded('aws-credentials', 'AWS credentials', async () => {
    const identity = await requireAwsCredentials(topology, 'doctor');
    return check('aws-credentials', 'AWS credentials', 'ok', `account ${identity.account} (${identity.arn})`);
  });
  const home = topology.regions.find((r) => r.key === topology.homeRegion)?.awsRegion ?? 'us-east-1';
  const region = await guarded('aws-region', 'Default region', async () => {
    const found = await defaultRegion();
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
  // A region where the chat is deployed already counts its own reservations as its (deploy does the same).
  const deployed = await readDeployedReplicas(topology, target.clientConfig(home)).catch(() => undefined);
  const perRegion = await Promise.all(
    topology.regions.map(async (spec) => {
      const config = target.clientConfig(spec.awsRegion);
      return [
        await guarded('cdk-bootstrap', `CDK bootstrap ${spec.key}`, async () =>
          fromPreflight(
            'cdk-bootstrap',
            `CDK bootstrap ${spec.key}`,
            bootstrapCheck(
              topology,
              spec.awsRegion,
              await readBootstrapVersion(config),
              BASELINE_BOOTSTRAP_VERSION,
            ),
          ),
        ),
        await guarded('lambda-concurrency', `Lambda concurrency ${spec.key}`, async () =>
          fromPreflight(
            'lambda-concurrency',
            `Lambda concurrency ${spec.key}`,
            concurrencyCheck(topology, await readLambdaConcurrencyQuota(config), {
              deployedHere: deployed?.includes(spec.awsRegion) ?? false,
            }),
          ),
        ),
      ];
    }),
  );
  return [credentials, region, ...perRegion.flat()];
}
