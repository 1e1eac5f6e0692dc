/**
 * Lambda entry of the auth stack's probe-user custom resource (auth mode "cognito"): runtime/canary/
 * probe-user.ts. The pool, the username and the password's secret come in the event's properties.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { userPoolRegion } from '../../core/user-pool.js';
import { secretsManagerSecret } from '../auth/secret-source.js';
import { handleProbeUserEvent, type ProbeUserEvent } from '../canary/probe-user.js';

export const handler = (event: ProbeUserEvent) =>
  handleProbeUserEvent(event, {
    cognito: new CognitoIdentityProviderClient({
      region: userPoolRegion(event.ResourceProperties.UserPoolId),
    }),
    password: (secretId) => secretsManagerSecret(secretId, { region: process.env.AWS_REGION }).get(),
  });
