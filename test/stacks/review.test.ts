/**
 * What an AWS review of the synthesized templates asked for (issue 27), on one synth of a 3-region app with every
 * option on (Cognito pool made by the stacks, analytics, China proxy) and callback URLs in the topology, plus one
 * without callback URLs: the app client's OAuth, the API Gateway account's dependency, logical ids, the routing
 * health that strangers cannot throttle, judged from other regions and failing closed, and where tokens travel.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../cli/ops/deploy/assembly.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { addChatStacks, type ChatStacks } from '../../stacks/app.js';
import { chatClientOAuth } from '../../stacks/auth-stack.js';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };

let topology: Topology;
let stacks: ChatStacks;
let assembly: ReturnType<App['synth']>;

beforeAll(() => {
  topology = {
    ...defaultTopology({ target: 'aws' }),
    account: '123456789012',
    analytics: { enabled: true },
    auth: { mode: 'cognito', callbackUrls: ['https://chat.example.com/signed-in'] },
  };
  const app = new App({ context: cdkJsonContext() });
  stacks = addChatStacks(app, topology, { code: { kind: 'placeholder' } });
  assembly = app.synth();
}, 300_000);

const resources = (stackName: string) =>
  assembly.getStackByName(stackName).template.Resources as Record<string, Resource>;
const ofType = (stackName: string, type: string) =>
  Object.entries(resources(stackName)).filter(([, r]) => r.Type === type);

describe('stacks: the review of the synthesized templates', { timeout: 120_000 }, () => {
  it('auth: the chat app client allows the authorization code grant only, to the callback URLs of the topology, with the openid scope', () => {
    const clients = ofType('chat-auth', 'AWS::Cognito::UserPoolClient').map(([, r]) => r.Properties!);
    const chat = clients.find((c) => c.ClientName === 'chat-chat')!;
    expect(chat.AllowedOAuthFlows).toEqual(['code']);
    expect(chat.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(chat.AllowedOAuthScopes).toEqual(['openid']);
    expect(chat.CallbackURLs).toEqual(['https://chat.example.com/signed-in']);
    expect(chat.GenerateSecret).toBe(false);
    // No client anywhere keeps CDK's defaults.
    for (const client of clients) {
      expect(client.AllowedOAuthFlows ?? []).not.toContain('implicit');
      expect(JSON.stringify(client)).not.toContain('https://example.com');
      expect(client.AllowedOAuthScopes ?? []).not.toContain('aws.cognito.signin.user.admin');
    }
  });

  it('auth: without callback URLs the chat app client has no OAuth at all', () => {
    const none = chatClientOAuth({ ...topology, auth: { mode: 'cognito' } });
    expect(none).toEqual({ disableOAuth: true });
  });

  it('region: the API Gateway account setting waits for resources made after its role (IAM propagation), then the stage for it', () => {
    for (const key of ['seoul', 'tokyo', 'na']) {
      const name = `chat-region-${key}`;
      const all = resources(name);
      const [accountId, account] = ofType(name, 'AWS::ApiGateway::Account')[0];
      const [roleId] = ofType(name, 'AWS::IAM::Role').find(([id]) => id.startsWith('ApiGatewayLogsRole'))!;
      expect(JSON.stringify(account.Properties)).toContain(roleId);
      const waits = account.DependsOn ?? [];
      const functions = waits.filter((id) => all[id]?.Type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      // Each of them starts only after a role of its own exists: the account is set well after its role.
      for (const id of functions) expect(JSON.stringify(all[id])).toMatch(/ServiceRole|Role/);
      const [, stage] = ofType(name, 'AWS::ApiGatewayV2::Stage').find(([id]) => id.startsWith('ChatStage'))!;
      expect(stage.DependsOn ?? []).toContain(accountId);
    }
  });

  it('routing health: every check a latency record depends on is a CloudWatch alarm check, none probes an endpoint that strangers can throttle', () => {
    for (const key of ['seoul', 'tokyo', 'na']) {
      const name = `chat-region-${key}`;
      const all = resources(name);
      const checks = new Map(ofType(name, 'AWS::Route53::HealthCheck'));
      const [, record] = ofType(name, 'AWS::Route53::RecordSet').find(
        ([, r]) => r.Properties?.SetIdentifier === key,
      )!;
      // Walk the record's check down to its leaves.
      const leaves: Resource[] = [];
      const walk = (ref: unknown) => {
        const id = (ref as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const check = checks.get(id)!;
        const config = check.Properties!.HealthCheckConfig as Record<string, unknown>;
        if (config.Type === 'CALCULATED')
          for (const child of config.ChildHealthChecks as unknown[]) walk(child);
        else leaves.push(check);
      };
      walk(record.Properties!.HealthCheckId);
      expect(leaves.length).toBe(3);
      for (const leaf of leaves) {
        const config = leaf.Properties!.HealthCheckConfig as Record<string, unknown>;
        expect(config.Type).toBe('CLOUDWATCH_METRIC');
        // Probes that stop reporting count as a failure: never the last known status.
        expect(config.InsufficientDataHealthStatus).toBe('Unhealthy');
        const alarmId = ((config.AlarmIdentifier as { Name: { Ref: string } }).Name as { Ref: string }).Ref;
        expect(all[alarmId].Properties!.TreatMissingData).toBe('breaching');
      }
    }
  });

  it('routing health: each region is judged by itself and the next two regions, whose canaries publish into its CloudWatch', () => {
    const seoul = stacks.regions.get('seoul')!;
    const env = (
      ofType('chat-region-seoul', 'AWS::Lambda::Function').find(
        ([, r]) => r.Properties?.FunctionName === 'chat-seoul-canary',
      )![1].Properties!.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(JSON.parse(env.CHAT_CANARY_JUDGED as string)).toEqual({
      tokyo: { url: 'wss://tokyo.chat.example.com/prod', awsRegion: 'ap-northeast-1' },
      na: { url: 'wss://na.chat.example.com/prod', awsRegion: 'us-west-2' },
    });
    // Its own region through the global name, at this region's own chat.<domain> target (not wherever DNS says).
    expect(env.CHAT_CANARY_GLOBAL_URL).toBe('wss://chat.example.com/prod');
    expect(JSON.stringify(seoul.resolve(env.CHAT_CANARY_GLOBAL_ADDRESS))).toContain('GlobalChatDomain');
    const alarmNames = seoul.canary.judgements.map(
      (j) =>
        (
          resources('chat-region-seoul')[seoul.getLogicalId(j.alarm.node.defaultChild as never)]
            .Properties as { AlarmName: string }
        ).AlarmName,
    );
    expect(alarmNames).toEqual([
      'chat-seoul-canary',
      'chat-seoul-canary-from-tokyo',
      'chat-seoul-canary-from-na',
    ]);
  });

  it('tokens: the China proxy logs by standard logging v2 without the query string, cookies or referer, and has no legacy logging', () => {
    const proxy = resources('chat-china-proxy');
    const distribution = ofType('chat-china-proxy', 'AWS::CloudFront::Distribution')[0][1].Properties!;
    // The legacy standard logs always record cs-uri-query: the distribution has none.
    expect((distribution.DistributionConfig as Record<string, unknown>).Logging).toBeUndefined();
    const [[, delivery]] = ofType('chat-china-proxy', 'AWS::Logs::Delivery');
    const fields = delivery.Properties!.RecordFields as string[];
    expect(fields).toContain('cs-uri-stem');
    expect(fields).toContain('sc-status');
    for (const field of ['cs-uri-query', 'cs(Cookie)', 'cs(Referer)']) expect(fields).not.toContain(field);
    const [[sourceId, source]] = ofType('chat-china-proxy', 'AWS::Logs::DeliverySource');
    expect(source.Properties).toMatchObject({ LogType: 'ACCESS_LOGS' });
    expect(JSON.stringify(source.Properties!.ResourceArn)).toContain('distribution/');
    expect(delivery.Properties!.DeliverySourceName).toEqual({ Ref: sourceId });
    const [[, destination]] = ofType('chat-china-proxy', 'AWS::Logs::DeliveryDestination');
    const bucketId = Object.entries(proxy).find(([, r]) => r.Type === 'AWS::S3::Bucket')![0];
    expect(destination.Properties!.DestinationResourceArn).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
  });

  it('tokens: no function reads ?token= and the WAF counts no long query string unless the compatibility switch auth.tokenInQuery is on', () => {
    const env = (stack: string) =>
      ofType(stack, 'AWS::Lambda::Function').map(
        ([, r]) => (r.Properties!.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {},
      );
    expect(env('chat-region-seoul').some((v) => 'CHAT_TOKEN_IN_QUERY' in v)).toBe(false);
    expect(JSON.stringify(ofType('chat-china-proxy', 'AWS::WAFv2::WebACL'))).not.toContain(
      'SizeRestrictions_QUERYSTRING',
    );
    const compat = { ...topology, auth: { ...topology.auth, tokenInQuery: true } };
    const app = new App({ context: cdkJsonContext() });
    const on = addChatStacks(app, compat, { code: { kind: 'placeholder' } });
    const connect = Template.fromStack(on.regions.get('seoul')!).findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'chat-seoul-connect' },
    });
    expect(Object.values(connect)[0].Properties.Environment.Variables.CHAT_TOKEN_IN_QUERY).toBe('true');
    expect(JSON.stringify(Template.fromStack(on.chinaProxy!).findResources('AWS::WAFv2::WebACL'))).toContain(
      '{"ActionToUse":{"Count":{}},"Name":"SizeRestrictions_QUERYSTRING"}',
    );
  });

  it('auth: with auth.replicaRegion every canary may sign in at the replica, which it is told of', () => {
    const replicated = { ...topology, auth: { ...topology.auth, replicaRegion: 'tokyo' } };
    const app = new App({ context: cdkJsonContext() });
    const on = addChatStacks(app, replicated, { code: { kind: 'placeholder' } });
    for (const key of ['seoul', 'na']) {
      const t = Template.fromStack(on.regions.get(key)!);
      const canary = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `chat-${key}-canary` } }),
      )[0];
      expect(canary.Properties.Environment.Variables.CHAT_USER_POOL_REPLICA_REGION).toBe('ap-northeast-1');
      const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
      for (const region of ['ap-northeast-2', 'ap-northeast-1']) {
        expect(policies).toContain(`:cognito-idp:${region}:`);
      }
    }
    // Without it, no canary hears of a replica.
    expect(JSON.stringify(resources('chat-region-na'))).not.toContain('CHAT_USER_POOL_REPLICA_REGION');
  });

  it('every template: no logical id contains "undefined", "Token" or "null"', () => {
    const bad: string[] = [];
    for (const stack of assembly.stacks) {
      for (const id of Object.keys(stack.template.Resources ?? {})) {
        if (/undefined|Token|null/i.test(id)) bad.push(`${stack.stackName} ${id}`);
      }
    }
    expect(bad).toEqual([]);
    const mapping = Template.fromStack(stacks.regions.get('seoul')!).findResources(
      'AWS::ApiGatewayV2::ApiMapping',
    );
    expect(Object.keys(mapping).some((id) => id.startsWith('HealthMapping'))).toBe(true);
  });
});
