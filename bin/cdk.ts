/**
 * The CDK app for the plain CDK CLI (`npx cdk synth`, `npx cdk deploy`): chatctl.json -> stacks. chatctl's own
 * synth/diff/deploy build the same app (stacks/app.ts) through toolkit-lib.
 *
 * Context: `-c chatctl:bundle=false` synthesizes with placeholder code (no esbuild), to check the infrastructure.
 * Environment: CHATCTL_CONFIG (topology path). No secret is read here: in auth mode "dev" the stacks create the
 * token secret in Secrets Manager and the handlers read it at run time. An AWS target whose templates would
 * carry a secret (or that still names the sandbox's account) is refused before anything is written.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { loadTopology, resolveTopologyPath } from '../core/topology.js';
import { addChatStacks } from '../stacks/app.js';
import { bundleHandlers } from '../stacks/handler-bundles.js';
import { insecureAwsSynthProblems } from '../stacks/secure-synth.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = new App();
const topology = await loadTopology(resolveTopologyPath(), { allowMissing: true });
const bundle = String(app.node.tryGetContext('chatctl:bundle') ?? 'true') !== 'false';
addChatStacks(app, topology, {
  code: bundle ? { kind: 'bundle', bundles: await bundleHandlers(projectRoot) } : { kind: 'placeholder' },
});
if (topology.target === 'aws') {
  const problems = insecureAwsSynthProblems(app, topology, [process.env.CHATCTL_DEV_TOKEN_SECRET ?? '']);
  if (problems.length > 0) {
    console.error(`refusing to synthesize for AWS:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    process.exit(1);
  }
}
app.synth();
