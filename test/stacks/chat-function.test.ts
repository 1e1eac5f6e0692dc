// One function bundled for real with the local esbuild (no Docker), as `chatctl synth` does for every route.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ChatFunction } from '../../stacks/chat-function.js';

describe('stacks chat function', { timeout: 180_000 }, () => {
  it('chat function: bundles runtime/handlers/<route>.ts into an ESM bundle that loads in Node and exports handler', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'chatctl-bundle-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'bundle-test', {
      env: { account: '123456789012', region: 'ap-northeast-2' },
    });
    new ChatFunction(stack, 'Ping', {
      functionName: 'chat-seoul-ping',
      route: 'ping',
      code: { kind: 'bundle', projectRoot: resolve('.') },
      environment: {},
      timeout: Duration.seconds(29),
      description: 'bundling test',
    });
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const bundle = join(assembly.directory, assets[0], 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(readFileSync(bundle, 'utf8')).toMatch(/createRequire/);
    const loaded = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
    expect(typeof loaded.handler).toBe('function');
    rmSync(outdir, { recursive: true, force: true });
  });
});
