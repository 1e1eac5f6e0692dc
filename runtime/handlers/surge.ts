/** Lambda entry for the surge controller (schedule and alarms via SNS): runtime/surge/lambda.ts. */
import { createSurgeHandler, type SurgeEvent, surgeConfigFromEnv } from '../surge/lambda.js';

let run: ReturnType<typeof createSurgeHandler> | undefined;

export const handler = (event: SurgeEvent) => {
  run ??= createSurgeHandler(surgeConfigFromEnv());
  return run(event);
};
