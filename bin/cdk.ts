/**
 * The CDK app for the plain CDK CLI (`npx cdk synth`, `npx cdk deploy`): chatctl.json -> stacks. chatctl's own
 * synth/diff/deploy build the same app (stacks/app.ts) through toolkit-lib.
 *
 * Context: `-c chatctl:bundle=false` synthesizes with placeholder code (no esbuild), to check the infrastructure.
 * Environment: CHATCTL_CONFIG (topology path), CHATCTL_DEV_TOKEN_SECRET (auth mode "dev").
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { loadTopology, resolveTopologyPath } from '../core/topology.js';
import { addChatStacks } from '../stacks/app.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = new App();
const topology = await loadTopology(resolveTopologyPath(), { allowMissing: true });
const bundle = String(app.node.tryGetContext('chatctl:bundle') ?? 'true') !== 'false';
addChatStacks(app, topology, {
  code: bundle ? { kind: 'bundle', projectRoot } : { kind: 'placeholder' },
  devTokenSecret: process.env.CHATCTL_DEV_TOKEN_SECRET || undefined,
});
app.synth();
