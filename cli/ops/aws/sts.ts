/** STS as the deploy path uses it: whether credentials resolve, and whose they are. */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClientConfig } from '../target.js';
import { stsClient, withClient } from './clients.js';

export interface Identity {
  readonly account?: string;
  readonly arn?: string;
}

/**
 * Resolves the credentials (the default chain, or the config's own), then asks whose they are. `noCredentials` receives the
 * error when none resolve (the caller turns it into its own sentence); errors of the call itself propagate.
 */
export function callerIdentity(
  config: AwsClientConfig,
  noCredentials: (error: unknown) => Error,
): Promise<Identity> {
  return withClient(stsClient(config), async (client) => {
    try {
      await client.config.credentials();
    } catch (error) {
      throw noCredentials(error);
    }
    const identity = await client.send(new GetCallerIdentityCommand({}));
    return { account: identity.Account, arn: identity.Arn };
  });
}

/** The region the default chain resolves (AWS_REGION, the profile's), or undefined when none is set. */
export function defaultRegion(): Promise<string | undefined> {
  return withClient(stsClient({}), (client) => client.config.region().catch(() => undefined));
}
