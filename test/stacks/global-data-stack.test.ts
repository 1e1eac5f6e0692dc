// Small, cheap apps: the Global Table for 3 and 4 regions, and the props each construct refuses.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { ChinaProxyStack } from '../../stacks/china-proxy-stack.js';
import { GlobalDataStack } from '../../stacks/global-data-stack.js';
import { RegionStack } from '../../stacks/region-stack.js';

const base = (): Topology => ({ ...defaultTopology({ target: 'aws' }), account: '123456789012' });
const auth = { mode: 'dev', devTokenSecret: 'a-test-secret-of-enough-length' } as const;
const code = { kind: 'placeholder' } as const;

function replicasOf(topology: Topology): string[] {
  const stack = new GlobalDataStack(new App(), 'data', { topology, code, auth });
  const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable')) as {
    Properties: { Replicas: { Region: string }[] };
  }[];
  return table.Properties.Replicas.map((r) => r.Region);
}

describe('stacks: global data and props validation', { timeout: 180_000 }, () => {
  it('global data: a 3-region topology gets 3 replicas, the home region last', () => {
    expect(replicasOf(base())).toEqual(['ap-northeast-1', 'us-west-2', 'ap-northeast-2']);
  });

  it('global data: a 4th region adds its replica and nothing else changes', () => {
    const topology = base();
    topology.regions.push({ key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' });
    expect(replicasOf(topology)).toEqual(['ap-northeast-1', 'us-west-2', 'ap-southeast-2', 'ap-northeast-2']);
  });

  it('global data: lives in the home region and has no analytics resources when analytics is off', () => {
    const topology = { ...base(), homeRegion: 'na' };
    const stack = new GlobalDataStack(new App(), 'data', { topology, code, auth });
    expect(stack.region).toBe('us-west-2');
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    t.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('region stack: dev auth puts the secret in the environment and a 1-region app has no relay targets', () => {
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
          [RUNTIME_ENV.devTokenSecret]: auth.devTokenSecret,
          [RUNTIME_ENV.relayTargets]: '{}',
        }),
      },
    });
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain(RUNTIME_ENV.firehoseStream);
  });

  it('props: a region key that is not in the topology is refused with the known keys', () => {
    expect(
      () => new RegionStack(new App(), 'r', { topology: base(), regionKey: 'paris', code, auth }),
    ).toThrow(/RegionStack: region "paris" is not in the topology \(regions: seoul, tokyo, na\)/);
  });

  it('props: an invalid topology is refused with the field at fault, before anything is built', () => {
    const bad = { ...base(), account: '12' };
    expect(() => new GlobalDataStack(new App(), 'd', { topology: bad, code, auth })).toThrow(/account/);
  });

  it('props: the China proxy refuses a disabled proxy and any region but us-east-1', () => {
    const off = { ...base(), china: { enabled: false, originRegion: 'seoul' } };
    expect(() => new ChinaProxyStack(new App(), 'c', { topology: off })).toThrow(/china.enabled is false/);
    expect(
      () => new ChinaProxyStack(new App(), 'c', { topology: base(), env: { region: 'eu-west-1' } }),
    ).toThrow(/must be in us-east-1/);
  });
});
