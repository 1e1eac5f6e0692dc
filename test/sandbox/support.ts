/** Starting a sandbox for a test file: the shared DynamoDB Local, a unique instance id, any free ports. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { type Sandbox, type SandboxOptions, start } from '../../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../sandbox/state.js';

export const TEST_CREDENTIALS = { ...SANDBOX_CREDENTIALS };

export function uniqueInstanceId(prefix = 't'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

export async function startTestSandbox(
  options: SandboxOptions = {},
  topology: Topology = defaultTopology(),
): Promise<Sandbox> {
  return start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: uniqueInstanceId(),
    globalServices: false,
    lag: 30,
    ...options,
  });
}

/** SDK client options against a sandbox's edge, signed with whatever credentials a client has. */
export function clientConfig(
  sandbox: Sandbox,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS,
) {
  return { region, endpoint: sandbox.edge, credentials, maxAttempts: 1 };
}
