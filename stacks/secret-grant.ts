/**
 * Read access to this region's copy of a replicated Secrets Manager secret, by name: the region stacks know
 * the name only (the secret lives in another stack), and Secrets Manager appends six random characters to
 * the ARN, which the grant matches and cdk-nag is told about.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';

export function grantSecretReplicaRead(role: Role, secretName: string): void {
  const stack = Stack.of(role);
  const secretArn = stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPolicy(
    new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
  );
  // The partition is a literal ("aws") where the stack's region names it (feature flag enablePartitionLiterals).
  for (const partition of ['<AWS::Partition>', 'aws']) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:secretsmanager:${stack.region}:${stack.account}:secret:${secretName}-??????]`,
      reason:
        "the six characters are the suffix Secrets Manager gives the secret's ARN; the grant is this one secret, read only",
    });
  }
}
