/**
 * `chatctl sandbox env`: the environment that points any AWS tool (AWS CLI v2, boto3, the SDKs, Terraform)
 * at the running sandbox's edge: the endpoint, a region, and test keys (the sandbox accepts any keys).
 */
import type { Topology } from '../../../core/topology.js';
import { findRegion } from '../../../core/topology.js';
import { SANDBOX_CREDENTIALS, type SandboxState } from '../../../sandbox/state.js';

export type EnvShell = 'sh' | 'fish' | 'powershell';

export interface SandboxEnvResult {
  readonly region: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** The variables for the region `key` (default: the home region) of the running sandbox. */
export function sandboxEnv(
  topology: Topology,
  state: SandboxState,
  key = topology.homeRegion,
): SandboxEnvResult {
  const awsRegion = state.regions[key]?.awsRegion ?? findRegion(topology, key).awsRegion;
  return {
    region: key,
    variables: {
      AWS_ENDPOINT_URL: state.edge,
      AWS_REGION: awsRegion,
      AWS_DEFAULT_REGION: awsRegion,
      AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
    },
  };
}

function quote(value: string, shell: EnvShell): string {
  if (shell === 'powershell') return `"${value.replace(/[`"$]/g, '`$&')}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Lines a shell evaluates: `eval "$(chatctl sandbox env)"`, `chatctl sandbox env --shell fish | source`. */
export function formatEnv(variables: Readonly<Record<string, string>>, shell: EnvShell = 'sh'): string {
  const lines = Object.entries(variables).map(([name, value]) => {
    if (shell === 'fish') return `set -gx ${name} ${quote(value, shell)}`;
    if (shell === 'powershell') return `$env:${name} = ${quote(value, shell)}`;
    return `export ${name}=${quote(value, shell)}`;
  });
  return lines.join('\n');
}
