/** Cognito user pools. */
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import type { CognitoIdpNeeds, CognitoIdpService } from './index.js';

export const COGNITO_IDP = defineService<CognitoIdpService, CognitoIdpNeeds>({
  name: 'cognito-idp',
  protocol: 'json',
  needs: { faults: PARTS.faults },
  load: async () => (await import('./index.js')).createService,
});
