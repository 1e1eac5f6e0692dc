/** Lambda as the ops code uses it: a dry-run Invoke of a region's relay function. */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { names } from '../../../core/names.js';
import type { Target } from '../target.js';

export interface RelayDryRun {
  readonly functionName: string;
  /** Set when the function threw (Lambda's FunctionError: Unhandled or Handled). */
  readonly functionError?: string;
  readonly statusCode?: number;
  /** The response payload as text. */
  readonly payload: string;
}

/** Invokes the region's relay with `{ dryRun: true }` and waits for its answer (RequestResponse). */
export async function invokeRelayDryRun(
  target: Target,
  client: LambdaClient,
  key: string,
  signal?: AbortSignal,
): Promise<RelayDryRun> {
  const functionName = names.relayFunction(target.topology, key);
  const out = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify({ dryRun: true })),
    }),
    signal ? { abortSignal: signal } : undefined,
  );
  return {
    functionName,
    functionError: out.FunctionError,
    statusCode: out.StatusCode,
    payload: out.Payload ? new TextDecoder().decode(out.Payload) : '',
  };
}
