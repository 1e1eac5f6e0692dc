/**
 * The canary's token in auth mode "cognito": an ID token of the probe user, from AdminInitiateAuth with
 * ADMIN_USER_PASSWORD_AUTH through the canary's own app client (no client secret; IAM authorizes the call).
 * The password is read from Secrets Manager (cached, never logged). The token is kept until shortly before it
 * expires, so a warm canary signs in about once an hour rather than every minute; concurrent callers share one
 * sign-in. A refused password is re-read once (the secret changed) before the run fails.
 */
import type {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderClientConfig,
} from '@aws-sdk/client-cognito-identity-provider';
import { userPoolRegion } from '../../core/user-pool.js';
import type { SecretSource } from '../auth/secret-source.js';

export interface CognitoTokenSourceOptions {
  readonly userPoolId: string;
  /** The canary's app client (ALLOW_ADMIN_USER_PASSWORD_AUTH). */
  readonly clientId: string;
  readonly username: string;
  readonly password: SecretSource;
  /** In tests the endpoint and credentials (the region comes from `regions`). */
  readonly clientConfig?: CognitoIdentityProviderClientConfig;
  /**
   * The AWS regions whose Cognito serves the pool, in the order to try them (core/user-pool.ts signInRegions:
   * the canary's own region first when it holds the pool or its replica); default the pool id's region. A
   * failure there other than a refused password moves on to the next.
   */
  readonly regions?: readonly string[];
  /** Sign in again this long before the token expires (default 5 minutes). */
  readonly renewBeforeMs?: number;
  readonly now?: () => number;
}

export const TOKEN_RENEW_BEFORE_MS = 5 * 60_000;

/** Explains a Cognito error in a sentence that says what to do. */
function explain(error: unknown, options: CognitoTokenSourceOptions): Error {
  const name = (error as { name?: string }).name ?? 'Error';
  const what = `the canary's sign-in of ${options.username} in user pool ${options.userPoolId}`;
  const advice: Record<string, string> = {
    NotAuthorizedException:
      "the password in the canary secret is not the probe user's, or the user is disabled: redeploy the auth stack (its probe-user resource sets the password from the secret)",
    UserNotFoundException:
      'the probe user does not exist: redeploy the auth stack (its probe-user resource creates it)',
    InvalidParameterException:
      'the canary app client must allow ADMIN_USER_PASSWORD_AUTH: redeploy the auth stack',
    ResourceNotFoundException:
      'the user pool or the canary app client does not exist: check auth in chatctl.json and redeploy',
    AccessDeniedException:
      "the canary's role may not call cognito-idp:AdminInitiateAuth on this pool: redeploy the region stack",
    TooManyRequestsException: 'Cognito throttled it: the next run retries',
  };
  return new Error(
    `${what} failed (${name}: ${(error as Error).message}); ${advice[name] ?? "see the canary's log"}`,
    {
      cause: error,
    },
  );
}

export function cognitoTokenSource(options: CognitoTokenSourceOptions): () => Promise<string> {
  const now = options.now ?? Date.now;
  const renewBeforeMs = options.renewBeforeMs ?? TOKEN_RENEW_BEFORE_MS;
  const clients = new Map<string, CognitoIdentityProviderClient>();
  const regions = options.regions?.length ? options.regions : [userPoolRegion(options.userPoolId)];
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const signInAt = async (region: string, password: string) => {
    const { CognitoIdentityProviderClient, AdminInitiateAuthCommand } = await import(
      '@aws-sdk/client-cognito-identity-provider'
    );
    let client = clients.get(region);
    if (!client) {
      client = new CognitoIdentityProviderClient({ ...options.clientConfig, region });
      clients.set(region, client);
    }
    return client.send(
      new AdminInitiateAuthCommand({
        UserPoolId: options.userPoolId,
        ClientId: options.clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: options.username, PASSWORD: password },
      }),
    );
  };
  /** The first region that answers; a refused password is an answer (every region holds the same users). */
  const signIn = async (password: string) => {
    for (const [i, region] of regions.entries()) {
      try {
        return await signInAt(region, password);
      } catch (error) {
        const last = i === regions.length - 1;
        if (last || (error as { name?: string }).name === 'NotAuthorizedException') throw error;
        console.warn(
          `the canary's sign-in in ${region} failed (${(error as Error).name}: ${(error as Error).message}); trying ${regions[i + 1]}`,
        );
      }
    }
    throw new Error('no region to sign in');
  };

  const fetchToken = async (): Promise<string> => {
    const started = now();
    let answer: Awaited<ReturnType<typeof signIn>>;
    try {
      answer = await signIn(await options.password.get());
    } catch (error) {
      if ((error as { name?: string }).name !== 'NotAuthorizedException') throw explain(error, options);
      // The secret may have changed since it was cached: read it again once (unless it was just read).
      const fresh = await options.password.refresh(60_000);
      if (fresh === undefined) throw explain(error, options);
      try {
        answer = await signIn(fresh);
      } catch (again) {
        throw explain(again, options);
      }
    }
    if (answer.ChallengeName) {
      throw new Error(
        `the canary's sign-in of ${options.username} was answered with the challenge ${answer.ChallengeName}, not tokens: the probe user's password must be permanent and it must need no MFA; redeploy the auth stack`,
      );
    }
    const result = answer.AuthenticationResult;
    if (!result?.IdToken || !result.ExpiresIn) {
      throw new Error("the canary's sign-in returned no ID token: see the canary's log");
    }
    cached = { token: result.IdToken, expiresAt: started + result.ExpiresIn * 1000 };
    return result.IdToken;
  };

  return async () => {
    if (cached && now() < cached.expiresAt - renewBeforeMs) return cached.token;
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
