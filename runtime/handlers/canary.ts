/** Lambda entry for the chat canary (every minute, in every region): runtime/canary/lambda.ts. */
import { type CanaryConfig, canaryConfigFromEnv, runCanary } from '../canary/lambda.js';

let config: CanaryConfig | undefined;

export const handler = () => {
  config ??= canaryConfigFromEnv();
  return runCanary(config);
};
