// Small apps, one construct at a time: the Global Table for 3 and 4 regions, the props each construct refuses,
// and one route bundled for real with the local esbuild (no Docker), as `chatctl synth` does for every route.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { ChatFunction } from '../../stacks/chat-function.js';
import { ChinaProxyStack } from '../../stacks/china-proxy-stack.js';
import { GlobalDataStack } from '../../stacks/global-data-stack.js';
import { bundleHandlers } from '../../stacks/handler-bundles.js';
import { RegionStack } from '../../stacks/region-stack.js';
import { insecureAwsSynthProblems } from '../../stacks/secure-synth.js';

const base = (): Topology => ({ ...defaultTopology({ target: 'aws' }), account: '123456789012' });
const auth = { mode: 'dev', secretName: 'chat/chat/dev-token-secret' } as const;
const code = { kind: 'placeholder' } as const;

function replicasOf(
  topology: Topology,
  options: { replicaRegions?: string[]; unprotectedReplicas?: string[] } = {},
): string[] {
  const stack = new GlobalDataStack(new App(), 'data', { topology, code, ...options });
  const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable')) as {
    Properties: { Replicas: { Region: string; DeletionProtectionEnabled: boolean }[] };
  }[];
  return table.Properties.Replicas.map(
    (r) => `${r.Region}${r.DeletionProtectionEnabled ? '' : ' (unprotected)'}`,
  );
}

describe('stacks: constructs one at a time', { timeout: 180_000 }, () => {
  it('global data: a 3-region topology gets 3 replicas, the home region last', () => {
    expect(replicasOf(base())).toEqual(['ap-northeast-1', 'us-west-2', 'ap-northeast-2']);
  });

  it('global data: a 4th region adds its replica and nothing else changes', () => {
    const topology = base();
    topology.regions.push({ key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' });
    expect(replicasOf(topology)).toEqual(['ap-northeast-1', 'us-west-2', 'ap-southeast-2', 'ap-northeast-2']);
  });

  it('global data: a replica step names its replicas by AWS region code, and one can go unprotected before removal', () => {
    expect(
      replicasOf(base(), {
        replicaRegions: ['ap-northeast-2', 'ap-northeast-1', 'eu-west-3'],
        unprotectedReplicas: ['eu-west-3'],
      }),
    ).toEqual(['ap-northeast-1', 'eu-west-3 (unprotected)', 'ap-northeast-2']);
    expect(() => replicasOf(base(), { replicaRegions: ['ap-northeast-1'] })).toThrow(
      /must include the home region/,
    );
    expect(() => replicasOf(base(), { replicaRegions: ['ap-northeast-2', 'mars-1'] })).toThrow(
      /not an AWS region/,
    );
  });

  it('global data: lives in the home region and has no analytics resources when analytics is off', () => {
    const topology = { ...base(), homeRegion: 'na' };
    const stack = new GlobalDataStack(new App(), 'data', { topology, code });
    expect(stack.region).toBe('us-west-2');
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    t.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('region stack: dev auth passes the secret name only (never a value), $connect alone may read it, a 1-region app has no relay targets', () => {
    const one: Topology = {
      ...base(),
      regions: [base().regions[0]],
      china: { enabled: false, originRegion: 'seoul' },
    };
    const stack = new RegionStack(new App(), 'r', { topology: one, regionKey: 'seoul', code, auth });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-seoul-send',
      Environment: {
        Variables: Match.objectLike({
          [RUNTIME_ENV.authMode]: 'dev',
          [RUNTIME_ENV.devTokenSecretId]: auth.secretName,
          [RUNTIME_ENV.relayTargets]: '{}',
        }),
      },
    });
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(json).not.toContain(RUNTIME_ENV.firehoseStream);
    expect(json).not.toContain(`"${RUNTIME_ENV.devTokenSecret}"`);
    const readers = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'))
      .map(([id]) => id);
    // $connect verifies tokens; the canary signs its own.
    expect(readers.map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'FnconnectRoleDefaultPolicy',
      'CanaryFnRoleDefaultPolicy',
    ]);
  });

  it('secure synth: a secret in a function environment, or the sandbox account on an AWS target, is named', () => {
    const app = new App();
    const stack = new Stack(app, 'leaky', { env: { account: '123456789012', region: 'ap-northeast-2' } });
    new ChatFunction(stack, 'Leaky', {
      functionName: 'chat-seoul-leaky',
      route: 'connect',
      code,
      environment: { [RUNTIME_ENV.devTokenSecret]: 'a-secret-value-of-some-length' },
      timeout: Duration.seconds(29),
      description: 'a function that carries its secret',
    });
    new ChatFunction(stack, 'Echo', {
      functionName: 'chat-seoul-echo',
      route: 'ping',
      code,
      environment: { SOMETHING: 'prefix-another-known-secret' },
      timeout: Duration.seconds(29),
      description: 'a function whose environment holds a known secret value',
    });
    expect(insecureAwsSynthProblems(app, base(), ['another-known-secret'])).toEqual([
      `leaky/Leaky/Function/Resource: ${RUNTIME_ENV.devTokenSecret} puts the token secret in the template`,
      'leaky/Echo/Function/Resource: its environment holds a dev-token secret value',
    ]);
    expect(insecureAwsSynthProblems(new App(), { ...base(), account: '000000000000' })).toEqual([
      'chatctl.json "account" is 000000000000, the sandbox\'s: set the 12-digit account to deploy to',
    ]);
    expect(insecureAwsSynthProblems(new App(), base())).toEqual([]);
  });

  it('props: a region key that is not in the topology is refused with the known keys', () => {
    expect(
      () => new RegionStack(new App(), 'r', { topology: base(), regionKey: 'paris', code, auth }),
    ).toThrow(/RegionStack: region "paris" is not in the topology \(regions: seoul, tokyo, na\)/);
  });

  it('props: an invalid topology is refused with the field at fault, before anything is built', () => {
    const bad = { ...base(), account: '12' };
    expect(() => new GlobalDataStack(new App(), 'd', { topology: bad, code })).toThrow(/account/);
  });

  it('china proxy: a pinned origin region makes the origin that region’s own name', () => {
    const pinned = { ...base(), china: { enabled: true, originRegion: 'tokyo' } };
    const stack = new ChinaProxyStack(new App(), 'c', { topology: pinned });
    expect(stack.originDomain).toBe('tokyo.chat.example.com');
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ DomainName: 'tokyo.chat.example.com' })],
      }),
    });
  });

  it('props: the China proxy refuses a disabled proxy and any region but us-east-1', () => {
    const off = { ...base(), china: { enabled: false, originRegion: 'seoul' } };
    expect(() => new ChinaProxyStack(new App(), 'c', { topology: off })).toThrow(/china.enabled is false/);
    expect(
      () => new ChinaProxyStack(new App(), 'c', { topology: base(), env: { region: 'eu-west-1' } }),
    ).toThrow(/must be in us-east-1/);
  });

  it('chat function: runs the handler bundle of its route, an ESM bundle that loads in Node and exports handler; the same code gives the same asset wherever it is bundled', async () => {
    const root = mkdtempSync(join(tmpdir(), 'chatctl-bundle-'));
    const synthWith = async (cacheDir: string) => {
      const bundles = await bundleHandlers(resolve('.'), { cacheDir });
      const app = new App({ outdir: join(root, 'out', String(Math.random())) });
      const stack = new Stack(app, 'bundle-test', {
        env: { account: '123456789012', region: 'ap-northeast-2' },
      });
      new ChatFunction(stack, 'Ping', {
        functionName: 'chat-seoul-ping',
        route: 'ping',
        code: { kind: 'bundle', bundles },
        environment: {},
        timeout: Duration.seconds(29),
        description: 'bundling test',
      });
      return { stack, assembly: app.synth() };
    };
    const { stack, assembly } = await synthWith(join(root, 'a'));
    // esbuild writes source-map paths relative to its output folder: another folder must not change the asset.
    const elsewhere = await synthWith(join(root, 'deeper', 'and', 'elsewhere'));
    const assetsOf = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('asset.'));
    expect(assetsOf(elsewhere.assembly.directory)).toEqual(assetsOf(assembly.directory));
    const map = JSON.parse(
      readFileSync(join(assembly.directory, assetsOf(assembly.directory)[0], 'index.mjs.map'), 'utf8'),
    ) as { sources: string[] };
    expect(map.sources).toContain('runtime/handlers/ping.ts');
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
    rmSync(root, { recursive: true, force: true });
    // Bundles every handler twice (two cache folders): minutes on a loaded machine.
  }, 600_000);
});
