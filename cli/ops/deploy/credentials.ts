/**
 * Deploy and diff need AWS credentials from the standard chain (env, profile, SSO, instance role). They are
 * checked first, so that a missing login fails in a second with a sentence instead of after a synth.
 */
import { UserError } from '../../../core/errors.js';
import type { Topology } from '../../../core/topology.js';
import { explainAwsError } from '../aws/errors.js';
import { callerIdentity, type Identity } from '../aws/sts.js';
import type { AwsClientConfig } from '../target.js';

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

const NO_CREDENTIALS_HINT =
  'sign in (aws sso login, or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then run again';

/**
 * Resolves credentials with the default chain (or the target's client settings, e.g. the sandbox's) and checks
 * they belong to the topology's account.
 */
export async function requireAwsCredentials(
  topology: Topology,
  doing: string,
  config: AwsClientConfig = { region: 'us-east-1', maxAttempts: 2 },
): Promise<CallerIdentity> {
  let identity: Identity;
  try {
    identity = await callerIdentity(
      config,
      (error) =>
        new UserError(`${doing}: no AWS credentials found`, { hint: NO_CREDENTIALS_HINT, cause: error }),
    );
  } catch (error) {
    throw explainAwsError(error, `${doing}: checking who the credentials belong to`);
  }
  if (identity.account !== topology.account) {
    throw new UserError(
      `${doing}: the credentials are for account ${identity.account}, but chatctl.json says ${topology.account}`,
      { hint: 'sign in to the right account (AWS_PROFILE), or fix "account" in chatctl.json' },
    );
  }
  return { account: identity.account, arn: identity.arn ?? '' };
}
