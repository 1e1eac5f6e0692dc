/**
 * Over 400 lines because it wires one region's resources in one place; each construct it uses lives in a file
 * of its own.
 *
 * One region of the chat: the WebSocket API and its per-route functions (each with its concurrency lane), the
 * relay function (its queued invocations bounded), the HTTP /health API, the region's custom domains and certificate, its Route 53 health check
 * and its latency record for the chat name. The table is referenced by name (its replica lives in this region).
 *
 * Users connect to the global name chat.<domain>: latency routing sends them to one region, whose API Gateway
 * must then hold a custom domain of that very name (TLS and Host), so every region has one, mapped to its own
 * stage (AWS's pattern for latency-based failover of API Gateway). <key>.chat.<domain> reaches one region.
 */
import {
  ArnFormat,
  CfnOutput,
  type CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, CfnHealthCheck, HealthCheck, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { regionHealthChecks, regionRecords } from '../core/deployment/route53.js';
import { names, WEBSOCKET_STAGE } from '../core/names.js';
import type { Route } from '../core/protocol.js';
import { stageThrottles } from '../core/routing-health.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatCanary } from './canary.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { ChatEvents } from './events.js';
import { RegionObservability } from './observability.js';
import { RelayAsync } from './relay-async.js';
import { healthCheckProps } from './route53-model.js';
import { runtimeEnvironment, type StackAuth } from './runtime-environment.js';
import { grantSecretReplicaRead } from './secret-grant.js';
import { SurgeController } from './surge-controller.js';
import { StackPropsError, validateRegionKey, validateTopology } from './validate.js';

/** The routes served by the WebSocket API, with their API Gateway route keys. */
export const WEBSOCKET_ROUTES = [
  ['connect', '$connect'],
  ['disconnect', '$disconnect'],
  ['default', '$default'],
  ['join', 'join'],
  ['leave', 'leave'],
  ['send', 'send'],
  ['history', 'history'],
  ['react', 'react'],
  ['notice', 'notice'],
  ['ping', 'ping'],
] as const satisfies readonly (readonly [Route, string])[];
export type WebSocketRoute = (typeof WEBSOCKET_ROUTES)[number][0];

/** Stage throttling (steady requests per second and burst) for the WebSocket and health APIs (the sandbox's too). */
export { HEALTH_THROTTLE, STAGE_THROTTLE } from '../core/routing-health.js';

/** The data-plane actions the handlers use; never `dynamodb:*`. */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

export interface RegionStackProps extends StackProps {
  readonly topology: Topology;
  readonly regionKey: string;
  readonly code: HandlerCode;
  readonly auth: StackAuth;
}

export class RegionStack extends Stack {
  readonly spec: RegionSpec;
  readonly functions: Readonly<Record<WebSocketRoute | 'relay' | 'health', ChatFunction>>;
  /** The relay's queued invocations: their age and retry limits, and the queue of those given up. */
  readonly relayAsync: RelayAsync;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;
  readonly healthApi: HttpApi;
  readonly certificate: Certificate;
  readonly webSocketDomain: DomainName;
  /** The global name chat.<domain>, mapped to this region's stage: the target of the latency record. */
  readonly globalDomain: DomainName;
  readonly healthDomain: DomainName;
  readonly healthCheck: CfnHealthCheck;
  /** The check the latency record carries (and drain inverts): the canary's CALCULATED check. */
  readonly routingCheck: CfnHealthCheck;
  readonly observability: RegionObservability;
  readonly canary: ChatCanary;
  readonly surge: SurgeController;
  readonly latencyRecord: ARecord;
  readonly tableArn: string;
  /** The chat event feed (topology.events.enabled): pipe, bus and archive, dead-letter queue and alarm. */
  readonly events?: ChatEvents;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    const topology = validateTopology('RegionStack', props.topology);
    validateRegionKey('RegionStack', topology, props.regionKey);
    const spec = topology.regions.find((r) => r.key === props.regionKey)!;
    if (props.env?.region && props.env.region !== spec.awsRegion) {
      throw new StackPropsError('RegionStack', `env.region ${props.env.region} is not ${spec.awsRegion}`);
    }
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? names.regionStack(topology, spec.key),
      env: { account: topology.account, region: spec.awsRegion },
      description: `${topology.app}: chat region ${spec.key} (${spec.awsRegion})`,
    });
    this.spec = spec;
    const key = spec.key;
    const environment = runtimeEnvironment(topology, key, props.auth);

    // The table's replica in this region, by name: no cross-region reference to the global data stack.
    this.tableArn = this.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: names.table(topology),
    });
    const tableStatement = () =>
      new PolicyStatement({
        actions: [...TABLE_ACTIONS],
        // The table has no secondary indexes (core/datamodel.ts): every read is a Query or GetItem on the table.
        resources: [this.tableArn],
      });

    const make = (route: Route, timeout: Duration, description: string, memoryMiB?: number) =>
      new ChatFunction(this, `Fn-${route}`, {
        functionName: names.function(topology, key, route),
        route,
        code: props.code,
        environment,
        reservedConcurrency: topology.lanes[route],
        timeout,
        memoryMiB,
        description: `${topology.app} ${key}: ${description}`,
      });
    const functions = {} as Record<WebSocketRoute | 'relay' | 'health', ChatFunction>;
    for (const [route, routeKey] of WEBSOCKET_ROUTES) {
      // API Gateway's integration timeout is 29 s; a handler that runs longer answers nobody.
      functions[route] = make(
        route,
        Duration.seconds(29),
        `WebSocket route ${routeKey}`,
        route === 'send' ? 512 : 256,
      );
    }
    functions.relay = new ChatFunction(this, 'Fn-relay', {
      functionName: names.relayFunction(topology, key),
      route: 'relay',
      code: props.code,
      environment,
      reservedConcurrency: topology.lanes.relay,
      timeout: Duration.seconds(30),
      memoryMiB: 512,
      description: `${topology.app} ${key}: relay, posts other regions' messages to this region's connections`,
    });
    functions.health = make('health', Duration.seconds(10), 'GET /health');
    this.functions = functions;
    this.relayAsync = new RelayAsync(this, 'RelayAsync', {
      relay: functions.relay.function,
      queueName: names.relayFailureQueue(topology, key),
    });

    // WebSocket API: route selection on the body's action, one function per route.
    this.webSocketApi = new WebSocketApi(this, 'ChatApi', {
      apiName: `${topology.app}-${key}-chat`,
      description: `${topology.app} chat WebSocket API (${key})`,
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('connect', functions.connect.function),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('disconnect', functions.disconnect.function),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('default', functions.default.function),
      },
    });
    for (const [route, routeKey] of WEBSOCKET_ROUTES) {
      if (routeKey.startsWith('$')) continue;
      this.webSocketApi.addRoute(routeKey, {
        integration: new WebSocketLambdaIntegration(route, functions[route].function),
      });
    }

    this.certificate = new Certificate(this, 'Certificate', {
      domainName: names.regionalDomain(topology, key),
      subjectAlternativeNames: [names.regionalHealthDomain(topology, key), names.chatRecord(topology)],
      validation: CertificateValidation.fromDns(
        HostedZone.fromHostedZoneAttributes(this, 'ZoneForValidation', {
          hostedZoneId: topology.hostedZone.id,
          zoneName: topology.hostedZone.name,
        }),
      ),
    });
    this.webSocketDomain = new DomainName(this, 'ChatDomain', {
      domainName: names.regionalDomain(topology, key),
      certificate: this.certificate,
    });
    this.globalDomain = new DomainName(this, 'GlobalChatDomain', {
      domainName: names.chatRecord(topology),
      certificate: this.certificate,
    });
    this.healthDomain = new DomainName(this, 'HealthDomain', {
      domainName: names.regionalHealthDomain(topology, key),
      certificate: this.certificate,
    });

    const accessLogs = new LogGroup(this, 'ChatApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // WebSocket stages log to CloudWatch through API Gateway's logging role, one setting per account and region:
    // this stack (the only chat stack in its region) sets it, replacing whatever role another app of the account
    // had set there, which keeps working (same AWS managed policy). docs/deploying.md tells the operator.
    const apiGatewayLogsRole = new Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    Validations.of(apiGatewayLogsRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "AWS's own service-role policy for API Gateway's account-level logging role, the documented way to let WebSocket stages write access logs",
    });
    const apiGatewayAccount = new CfnAccount(this, 'ApiGatewayAccount', {
      cloudWatchRoleArn: apiGatewayLogsRole.roleArn,
    });
    // API Gateway checks the role the moment the setting is made, and IAM takes seconds to propagate a new role:
    // the GetAtt alone lets CloudFormation set it right after the role exists (the known failure "The role ARN
    // does not have required permissions"). Waiting for the chat functions, whose creation starts only after
    // their own roles and policies and takes longer, gives the role that time without a custom resource.
    apiGatewayAccount.node.addDependency(functions.connect.function, functions.health.function);
    this.webSocketStage = new WebSocketStage(this, 'ChatStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: { ...stageThrottles(topology).stage },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
      // Mapped under the stage's name, so the URL is the same with or without the custom domain: wss://<domain>/prod.
      domainMapping: { domainName: this.webSocketDomain, mappingKey: WEBSOCKET_STAGE },
    });

    this.webSocketStage.node.addDependency(apiGatewayAccount);
    new ApiMapping(this, 'GlobalChatMapping', {
      api: this.webSocketApi,
      domainName: this.globalDomain,
      stage: this.webSocketStage,
      apiMappingKey: WEBSOCKET_STAGE,
    });

    // HTTP API for GET /health (a custom domain cannot map a WebSocket and an HTTP API together).
    this.healthApi = new HttpApi(this, 'HealthApi', {
      apiName: `${topology.app}-${key}-health`,
      description: `${topology.app} health API (${key}), probed by Route 53`,
      createDefaultStage: false,
    });
    this.healthApi.addRoutes({
      path: '/health',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('health', functions.health.function),
    });
    const healthLogs = new LogGroup(this, 'HealthApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.healthApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /health is probed by Route 53 health checkers, which cannot sign requests; it returns status only, no chat data, and its stage is throttled',
    });
    const healthStage = new HttpStage(this, 'HealthStage', {
      httpApi: this.healthApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...stageThrottles(topology).health },
      accessLogSettings: { destination: new LogGroupLogDestination(healthLogs) },
    });
    // A mapping of its own with a fixed id: the stage's domainMapping option names it after the mapping key,
    // which is empty here (an id with "undefined" in it, replaced if the key ever changed).
    new ApiMapping(this, 'HealthMapping', {
      api: this.healthApi,
      domainName: this.healthDomain,
      stage: healthStage,
    });

    // Least privilege. Every chat function: the table's replica in this region (it has no indexes).
    for (const fn of Object.values(functions)) fn.role.addToPolicy(tableStatement());
    // The routes that answer or fan out, and the relay, post to this API's connections only ($connect and
    // $disconnect never post).
    const manageConnections = new PolicyStatement({
      actions: ['execute-api:ManageConnections'],
      resources: [
        this.formatArn({
          service: 'execute-api',
          resource: this.webSocketApi.apiId,
          resourceName: `${WEBSOCKET_STAGE}/*/@connections/*`,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
    });
    for (const [route] of WEBSOCKET_ROUTES) {
      if (route === 'connect' || route === 'disconnect') continue;
      functions[route].role.addToPolicy(manageConnections);
    }
    functions.relay.role.addToPolicy(manageConnections);
    // Auth mode "dev": the functions that need the token secret read this region's replica at run time.
    const readDevSecret = (role: Role) => {
      if (props.auth.mode === 'dev') grantSecretReplicaRead(role, props.auth.secretName);
    };
    // $connect verifies tokens (the canary, below, signs its own or signs in).
    readDevSecret(functions.connect.role);
    const apiLogicalId = this.resolve((this.webSocketApi.node.defaultChild as CfnResource).logicalId);
    // The partition is a literal ("aws") where the stack's region names it (feature flag enablePartitionLiterals).
    for (const partition of ['<AWS::Partition>', 'aws']) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:execute-api:${spec.awsRegion}:${topology.account}:<${apiLogicalId}>/${WEBSOCKET_STAGE}/*/@connections/*]`,
        reason:
          "connection ids are only known at run time: the grant is this API's own stage and its @connections path (POST, GET, DELETE), nothing else",
      });
    }
    for (const [, routeKey] of WEBSOCKET_ROUTES) {
      const route = this.webSocketApi.node.findChild(`${routeKey}-Route`);
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          routeKey === '$connect'
            ? 'the $connect handler verifies the token in the query string (Cognito JWT or dev token) and refuses the upgrade without it'
            : 'reachable only on a connection whose $connect was authorized; the identity comes from the connection record, never from the body',
      });
    }
    // Route functions invoke the other regions' relays, by exact ARN.
    const relayArn = (r: RegionSpec) =>
      this.formatArn({
        service: 'lambda',
        region: r.awsRegion,
        resource: 'function',
        resourceName: names.relayFunction(topology, r.key),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const otherRelays = topology.regions.filter((r) => r.key !== key).map(relayArn);
    if (otherRelays.length > 0) {
      const invokeRelays = new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: otherRelays,
      });
      for (const [route] of WEBSOCKET_ROUTES) {
        if (route === 'connect' || route === 'disconnect') continue;
        functions[route].role.addToPolicy(invokeRelays);
      }
    }

    // DNS: the region's own names, its health check, and its latency record for the chat name.
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: topology.hostedZone.id,
      zoneName: topology.hostedZone.name,
    });
    const wsTarget = RecordTarget.fromAlias(
      new ApiGatewayv2DomainProperties(
        this.webSocketDomain.regionalDomainName,
        this.webSocketDomain.regionalHostedZoneId,
      ),
    );
    new ARecord(this, 'RegionalRecord', {
      zone,
      recordName: names.regionalDomain(topology, key),
      target: wsTarget,
    });
    new ARecord(this, 'HealthRecord', {
      zone,
      recordName: names.regionalHealthDomain(topology, key),
      target: RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(
          this.healthDomain.regionalDomainName,
          this.healthDomain.regionalHostedZoneId,
        ),
      ),
    });
    // From the deployed system's model (core/deployment/route53.ts), which the sandbox seeds too. /health is
    // not a child of the routing check (core/routing-health.ts): anyone can exhaust the health API's stage
    // throttle, so it is watched, never routed on. CloudFormation does not let a stack set a health check's
    // caller reference: the ops code finds the routing check by the latency record or the stack output below,
    // and every check carries its model reference as its Name tag.
    const checks = regionHealthChecks(topology, key, { canary: true });
    this.healthCheck = new CfnHealthCheck(
      this,
      'HealthCheck',
      healthCheckProps(checks.find((c) => c.role === 'endpoint')!),
    );
    // Alarms, paging and dashboard; the canary and its calculated check; the surge controller.
    this.observability = new RegionObservability(this, 'Observability', {
      topology,
      spec,
      webSocketApiId: this.webSocketApi.apiId,
      stageName: WEBSOCKET_STAGE,
      routes: Object.keys(functions) as Route[],
      tableName: names.table(topology),
    });
    const ops = { topology, spec, code: props.code, environment, topic: this.observability.topic };
    const regionUrl = (k: string) => `wss://${names.regionalDomain(topology, k)}/${WEBSOCKET_STAGE}`;
    this.canary = new ChatCanary(this, 'Canary', {
      ...ops,
      checks,
      auth: props.auth,
      url: regionUrl(key),
      globalUrl: `wss://${names.chatRecord(topology)}/${WEBSOCKET_STAGE}`,
      globalAddress: this.globalDomain.regionalDomainName,
      regionUrl,
    });
    readDevSecret(this.canary.function.role);
    this.routingCheck = this.canary.routingCheck;
    this.surge = new SurgeController(this, 'Surge', { ...ops, tableArn: this.tableArn });
    if (topology.events?.enabled) {
      this.events = new ChatEvents(this, 'Events', {
        topology,
        spec,
        code: props.code,
        tableArn: this.tableArn,
        observability: this.observability,
      });
    }
    const latency = regionRecords(topology, key, { canary: true }).find((r) => r.setIdentifier)!;
    this.latencyRecord = new ARecord(this, 'LatencyRecord', {
      zone,
      recordName: latency.name,
      // This region's chat.<domain> custom domain: the name the client asked for is the one API Gateway holds.
      target: RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(
          this.globalDomain.regionalDomainName,
          this.globalDomain.regionalHostedZoneId,
        ),
      ),
      region: latency.region,
      setIdentifier: latency.setIdentifier,
      healthCheck: HealthCheck.fromHealthCheckId(this, 'HealthCheckRef', this.routingCheck.attrHealthCheckId),
    });
    if (latency.healthCheckReference !== this.canary.routingReference) {
      throw new StackPropsError(
        'RegionStack',
        `the latency record's check is not the canary's routing check`,
      );
    }

    new CfnOutput(this, 'HealthCheckId', { value: this.routingCheck.attrHealthCheckId });
    new CfnOutput(this, 'WebSocketUrl', {
      value: `wss://${names.regionalDomain(topology, key)}/${WEBSOCKET_STAGE}`,
    });
    new CfnOutput(this, 'GlobalWebSocketUrl', {
      value: `wss://${names.chatRecord(topology)}/${WEBSOCKET_STAGE}`,
    });
    new CfnOutput(this, 'HealthUrl', {
      value: `https://${names.regionalHealthDomain(topology, key)}/health`,
    });
    new CfnOutput(this, 'WebSocketApiId', { value: this.webSocketApi.apiId });
  }
}
