/**
 * The canary's probe user in a Cognito pool, made at deploy time by a CloudFormation custom resource (the auth
 * stack's, auth mode "cognito"): Create and Update make sure the user exists (AdminCreateUser with
 * MessageAction SUPPRESS, so no invitation is sent; an existing user is kept) and set its password from the
 * Secrets Manager secret as permanent (AdminSetUserPassword), so it signs in without a challenge; Delete
 * removes the user. Doing this at deploy keeps AdminCreateUser and AdminSetUserPassword, which Cognito cannot
 * scope to one username, off the canary's every-minute role: the canary may only sign in.
 *
 * The response goes to CloudFormation's presigned ResponseURL; it never carries the password.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

export interface ProbeUser {
  readonly userPoolId: string;
  readonly username: string;
}

/** Creates the user unless it exists, then sets `password` as its permanent password. Idempotent. */
export async function ensureProbeUser(
  client: CognitoIdentityProviderClient,
  user: ProbeUser,
  password: string,
): Promise<'created' | 'existed'> {
  const { AdminCreateUserCommand, AdminSetUserPasswordCommand } = await import(
    '@aws-sdk/client-cognito-identity-provider'
  );
  let outcome: 'created' | 'existed' = 'created';
  try {
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: user.userPoolId,
        Username: user.username,
        MessageAction: 'SUPPRESS',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'UsernameExistsException') throw error;
    outcome = 'existed';
  }
  await client.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: user.userPoolId,
      Username: user.username,
      Password: password,
      Permanent: true,
    }),
  );
  return outcome;
}

/** Deletes the user; one already gone is fine. */
export async function removeProbeUser(client: CognitoIdentityProviderClient, user: ProbeUser): Promise<void> {
  const { AdminDeleteUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  try {
    await client.send(new AdminDeleteUserCommand({ UserPoolId: user.userPoolId, Username: user.username }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'UserNotFoundException' && name !== 'ResourceNotFoundException') throw error;
  }
}

/** The custom resource's event, as CloudFormation sends it (the fields this resource reads). */
export interface ProbeUserEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: {
    readonly UserPoolId: string;
    readonly Username: string;
    /** The secret (name or ARN) holding the password; never the value. */
    readonly PasswordSecretId: string;
  };
}

export interface ProbeUserDeps {
  readonly cognito: CognitoIdentityProviderClient;
  /** The secret's value. */
  readonly password: (secretId: string) => Promise<string>;
}

/** Handles one event and reports to CloudFormation; a failure is reported (with its reason), never thrown. */
export async function handleProbeUserEvent(event: ProbeUserEvent, deps: ProbeUserDeps): Promise<void> {
  const props = event.ResourceProperties;
  const user = { userPoolId: props.UserPoolId, username: props.Username };
  const physicalId = `${user.userPoolId}/${user.username}`;
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  try {
    if (!user.userPoolId || !user.username || !props.PasswordSecretId) {
      throw new Error('UserPoolId, Username and PasswordSecretId are required');
    }
    if (event.RequestType === 'Delete') {
      // A resource whose Create failed has no user of its own to remove.
      if (event.PhysicalResourceId === physicalId) await removeProbeUser(deps.cognito, user);
      reason = `probe user ${user.username} removed`;
    } else {
      const outcome = await ensureProbeUser(deps.cognito, user, await deps.password(props.PasswordSecretId));
      reason = `probe user ${user.username} ${outcome === 'created' ? 'created' : 'existed'}; password set`;
    }
  } catch (error) {
    status = 'FAILED';
    reason = `${(error as Error).name}: ${(error as Error).message}`;
  }
  console.log(JSON.stringify({ probeUser: event.RequestType, status, reason }));
  await respond(event.ResponseURL, {
    Status: status,
    Reason: reason || status,
    // A failed Create has no user: its id must not be the one a later Delete would remove.
    PhysicalResourceId:
      status === 'FAILED' && event.RequestType === 'Create'
        ? `failed-${event.RequestId}`
        : event.RequestType === 'Delete'
          ? (event.PhysicalResourceId ?? physicalId)
          : physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
}

/** PUT to the presigned URL, with the empty content type its signature expects. */
function respond(url: string, body: Record<string, string>): Promise<void> {
  const payload = JSON.stringify(body);
  const target = new URL(url);
  const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(payload) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode && res.statusCode < 300
            ? resolve()
            : reject(new Error(`the response URL answered HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('the response URL did not answer within 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
