/** Cognito user pools. */
import { defineService } from '../definition.js';
import type { CognitoIdpService } from './index.js';

export const COGNITO_IDP = defineService<CognitoIdpService>({
  name: 'cognito-idp',
  protocol: 'json',
  needs: {},
  load: async () => (await import('./index.js')).createService,
});
