/**
 * What a synthesized AWS target must never carry: a token secret in a function's environment. The stacks pass
 * only the Secrets Manager secret's name (auth mode "dev") or the Cognito pool's ids, so this finds nothing
 * unless a change regresses; bin/cdk.ts and `chatctl synth/deploy` refuse to synthesize when it does.
 */
import { Stack } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { RUNTIME_ENV, SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import type { Topology } from '../core/topology.js';

/** The sandbox's account: an AWS target that still says it cannot be deployed. */
export const SANDBOX_ACCOUNT_ID = '000000000000';

/**
 * Sentences naming each problem: a function whose environment holds a dev-token secret (by variable, or a
 * known secret value anywhere in it), and an AWS target still on the sandbox's account.
 */
export function insecureAwsSynthProblems(
  scope: IConstruct,
  topology: Topology,
  knownSecrets: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  if (topology.target === 'aws' && topology.account === SANDBOX_ACCOUNT_ID) {
    problems.push(
      `chatctl.json "account" is ${SANDBOX_ACCOUNT_ID}, the sandbox's: set the 12-digit account to deploy to`,
    );
  }
  const secrets = [SANDBOX_DEV_TOKEN_SECRET, ...knownSecrets.filter((s) => s.length >= 8)];
  for (const node of scope.node.findAll()) {
    if (!(node instanceof CfnFunction)) continue;
    const resolved = Stack.of(node).resolve(node.environment) as { variables?: Record<string, unknown> };
    const variables = resolved?.variables ?? {};
    const name = node.node.path;
    if (RUNTIME_ENV.devTokenSecret in variables) {
      problems.push(`${name}: ${RUNTIME_ENV.devTokenSecret} puts the token secret in the template`);
    }
    const text = JSON.stringify(variables);
    if (secrets.some((secret) => text.includes(secret))) {
      problems.push(`${name}: its environment holds a dev-token secret value`);
    }
  }
  return problems;
}
