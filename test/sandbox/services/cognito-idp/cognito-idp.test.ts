// The sandbox's Cognito user pools through the unmodified AWS client: a probe user's life (created without an
// invitation, a challenge while its password is temporary, tokens once it is permanent), Cognito's errors, and
// ID tokens that aws-jwt-verify accepts with the pool's JWKS and refuses with another pool's.
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CognitoTestbed, standUpPool, startCognitoTestbed } from '../../../support/cognito.js';

let bed: CognitoTestbed;
let pool: Awaited<ReturnType<typeof standUpPool>>;
const USER = 'chat-canary@probe.invalid';
const PASSWORD = 'Pr0be-password-of-enough-length!';

beforeAll(async () => {
  bed = await startCognitoTestbed();
  pool = await standUpPool(bed.client);
});
afterAll(() => bed?.stop());

const signIn = (password: string, clientId = pool.canaryClientId, username = USER) =>
  bed.client.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool.userPoolId,
      ClientId: clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );

describe('sandbox cognito-idp', () => {
  it('cognito-idp: a user made with MessageAction SUPPRESS is challenged until its password is set permanent, then gets tokens', async () => {
    const created = await bed.client.send(
      new AdminCreateUserCommand({
        UserPoolId: pool.userPoolId,
        Username: USER,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: 'Temporary-passw0rd!',
      }),
    );
    expect(created.User?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    // The pool's usernames are email addresses: the address is an attribute, the username the sub.
    expect(created.User?.Attributes).toContainEqual({ Name: 'email', Value: USER });
    await expect(
      bed.client.send(
        new AdminCreateUserCommand({
          UserPoolId: pool.userPoolId,
          Username: USER,
          MessageAction: 'SUPPRESS',
        }),
      ),
    ).rejects.toMatchObject({ name: 'UsernameExistsException' });

    const challenged = await signIn('Temporary-passw0rd!');
    expect(challenged.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(challenged.AuthenticationResult).toBeUndefined();

    await expect(
      bed.client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool.userPoolId,
          Username: USER,
          Password: 'short',
          Permanent: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPasswordException' });
    await bed.client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool.userPoolId,
        Username: USER,
        Password: PASSWORD,
        Permanent: true,
      }),
    );
    const user = await bed.client.send(
      new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: USER }),
    );
    expect(user.UserStatus).toBe('CONFIRMED');

    const answer = await signIn(PASSWORD);
    expect(answer.ChallengeName).toBeUndefined();
    expect(answer.AuthenticationResult).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    expect(answer.AuthenticationResult?.IdToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('cognito-idp: its ID and access tokens verify with aws-jwt-verify and the pool JWKS, and not with another pool', async () => {
    const result = (await signIn(PASSWORD)).AuthenticationResult!;
    const verifier = CognitoJwtVerifier.create({
      userPoolId: pool.userPoolId,
      clientId: pool.canaryClientId,
      tokenUse: 'id',
    });
    verifier.cacheJwks(bed.service.jwks(pool.userPoolId) as never);
    const claims = await verifier.verify(result.IdToken!);
    expect(claims).toMatchObject({ token_use: 'id', aud: pool.canaryClientId, email: USER });
    expect(claims.exp - claims.iat).toBe(3600);
    const access = CognitoJwtVerifier.create({
      userPoolId: pool.userPoolId,
      clientId: pool.canaryClientId,
      tokenUse: 'access',
    });
    access.cacheJwks(bed.service.jwks(pool.userPoolId) as never);
    expect((await access.verify(result.AccessToken!)).client_id).toBe(pool.canaryClientId);

    const other = await standUpPool(bed.client);
    const stranger = CognitoJwtVerifier.create({
      userPoolId: other.userPoolId,
      clientId: pool.canaryClientId,
      tokenUse: 'id',
    });
    stranger.cacheJwks(bed.service.jwks(other.userPoolId) as never);
    await expect(stranger.verify(result.IdToken!)).rejects.toThrow(/[Ii]ssuer|kid|JWK/);
  });

  it("cognito-idp: Cognito's errors: a wrong password, a client without the flow, an unknown user, another region's pool", async () => {
    await expect(signIn('Wrong-passw0rd-entirely!')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    await expect(signIn(PASSWORD, pool.chatClientId)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Auth flow not enabled for this client',
    });
    // The canary client prevents user-existence errors; the chat client's would say UserNotFound.
    await expect(signIn(PASSWORD, pool.canaryClientId, 'nobody@probe.invalid')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    await expect(
      bed.client.send(
        new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: 'nobody@probe.invalid' }),
      ),
    ).rejects.toMatchObject({ name: 'UserNotFoundException' });
    const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
    const tokyo = new CognitoIdentityProviderClient({ ...bed.clientConfig, region: 'ap-northeast-1' });
    await expect(
      tokyo.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: USER })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    tokyo.destroy();
  });

  it('cognito-idp: a deleted user can no longer sign in', async () => {
    const name = 'gone@probe.invalid';
    await bed.client.send(
      new AdminCreateUserCommand({ UserPoolId: pool.userPoolId, Username: name, MessageAction: 'SUPPRESS' }),
    );
    await bed.client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool.userPoolId,
        Username: name,
        Password: PASSWORD,
        Permanent: true,
      }),
    );
    expect((await signIn(PASSWORD, pool.canaryClientId, name)).AuthenticationResult).toBeDefined();
    await bed.client.send(new AdminDeleteUserCommand({ UserPoolId: pool.userPoolId, Username: name }));
    await expect(signIn(PASSWORD, pool.canaryClientId, name)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });
});
