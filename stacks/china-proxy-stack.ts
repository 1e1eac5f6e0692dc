/**
 * The China proxy, in us-east-1 (where CloudFront's certificates and WAF web ACLs live): a CloudFront
 * distribution whose origin is the global chat name chat.<domain>, which every region's API Gateway holds (a
 * custom domain in its certificate, mapped to its stage). CloudFront resolves the origin by DNS from its edge,
 * so latency routing and the health checks pick the region, and a drained or failed region loses its China
 * users within the record's TTL as it loses everyone else, with no distribution change. topology.china.
 * originRegion pins the origin to one region's own name instead (which does not follow a drain). WebSocket
 * upgrades pass because every
 * viewer header but Host reaches the origin; nothing is cached; viewers and origin speak TLS 1.2 or newer;
 * access logs go to a bucket; a WAF web ACL limits the request rate per IP and applies AWS's common rules.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDelivery, CfnDeliveryDestination, CfnDeliverySource } from 'aws-cdk-lib/aws-logs';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { names, WEBSOCKET_STAGE } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { StackPropsError, validateTopology } from './validate.js';

export const CHINA_PROXY_REGION = 'us-east-1';
/** Requests per IP per 5 minutes before the web ACL blocks that IP (reconnect storms stay well below). */
export const CHINA_RATE_LIMIT = 2000;

export interface ChinaProxyStackProps extends StackProps {
  readonly topology: Topology;
}

export class ChinaProxyStack extends Stack {
  readonly distribution: Distribution;
  readonly webAcl: CfnWebACL;
  readonly logBucket: Bucket;
  readonly logDelivery: CfnDelivery;
  readonly certificate: Certificate;
  /** The origin: chat.<domain>, or the pinned region's <key>.chat.<domain> (names.chinaOriginDomain). */
  readonly originDomain: string;

  constructor(scope: Construct, id: string, props: ChinaProxyStackProps) {
    const topology = validateTopology('ChinaProxyStack', props.topology);
    if (!topology.china.enabled) {
      throw new StackPropsError(
        'ChinaProxyStack',
        'topology.china.enabled is false: there is no proxy to build',
      );
    }
    if (props.env?.region && props.env.region !== CHINA_PROXY_REGION) {
      throw new StackPropsError(
        'ChinaProxyStack',
        `must be in ${CHINA_PROXY_REGION}, not ${props.env.region}`,
      );
    }
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? names.chinaProxyStack(topology),
      env: { account: topology.account, region: CHINA_PROXY_REGION },
      description: `${topology.app}: CloudFront proxy of the chat for users in China (origin ${names.chinaOriginDomain(topology)})`,
    });
    this.originDomain = names.chinaOriginDomain(topology);

    this.logBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with an ACL, which needs ACLs enabled on the bucket.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'this bucket only receives CloudFront access logs; logging access to the log bucket would log itself',
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `${topology.app}-china-proxy`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: `${topology.app}-china-proxy`,
      },
      rules: [
        {
          name: 'rate-limit-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: CHINA_RATE_LIMIT, aggregateKeyType: 'IP' } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName: 'rate-limit-per-ip',
          },
        },
        {
          name: 'aws-common-rules',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              // Counted, not blocked: WebSocket clients need not send a User-Agent; and only under the
              // compatibility switch auth.tokenInQuery, a token in the query string (a Cognito ID token can pass
              // the rule's 2 KB limit). Tokens travel in Sec-WebSocket-Protocol, which no rule here limits.
              ruleActionOverrides: [
                ...(topology.auth.tokenInQuery
                  ? [{ name: 'SizeRestrictions_QUERYSTRING', actionToUse: { count: {} } }]
                  : []),
                { name: 'NoUserAgent_HEADER', actionToUse: { count: {} } },
              ],
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName: 'aws-common-rules',
          },
        },
      ],
    });

    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: topology.hostedZone.id,
      zoneName: topology.hostedZone.name,
    });
    const domainName = names.chinaProxyDomain(topology);
    this.certificate = new Certificate(this, 'Certificate', {
      domainName,
      validation: CertificateValidation.fromDns(zone),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: names.chinaDistributionComment(topology),
      domainNames: [domainName],
      certificate: this.certificate,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP1_1,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      // Standard logging v2 below, not the legacy logs, which always record the query string (cs-uri-query).
      enableLogging: false,
      webAclId: this.webAcl.attrArn,
      defaultBehavior: {
        origin: new HttpOrigin(this.originDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // CloudFront keeps a WebSocket open until the origin idles for this long (API Gateway: 10 min).
          readTimeout: Duration.seconds(60),
          keepaliveTimeout: Duration.seconds(60),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Sec-WebSocket-Key/Version and the upgrade headers must reach the origin; Host must not: CloudFront
        // then sends the origin's name as Host and SNI, the custom domain API Gateway routes on.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: false,
      },
    });
    this.logDelivery = accessLogDelivery(this, topology, this.distribution, this.logBucket);
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        'access logging is standard logging v2 (AWS::Logs::Delivery to the AccessLogs bucket), whose fields leave out the query string and cookies; cdk-nag reads only the legacy logging setting',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'the proxy exists to serve viewers in China; there is no country to restrict',
    });
    new ARecord(this, 'ProxyRecord', {
      zone,
      recordName: domainName,
      target: RecordTarget.fromAlias(new CloudFrontTarget(this.distribution)),
    });
    // CloudFront answers on IPv6 too (enableIpv6 defaults to true): IPv6 viewers need the AAAA alias.
    new AaaaRecord(this, 'ProxyRecordIpv6', {
      zone,
      recordName: domainName,
      target: RecordTarget.fromAlias(new CloudFrontTarget(this.distribution)),
    });

    new CfnOutput(this, 'DistributionDomainName', { value: this.distribution.distributionDomainName });
    new CfnOutput(this, 'DistributionId', { value: this.distribution.distributionId });
    // The stage is part of the URL: wss://<proxy>/ alone answers 403.
    new CfnOutput(this, 'ProxyUrl', { value: `wss://${domainName}/${WEBSOCKET_STAGE}` });
  }
}

/**
 * CloudFront's access-log fields the proxy keeps (standard logging v2 field names): every field but the query
 * string, the cookies and the referer, which can carry a token or a sign-in code. A client on the old URL form
 * (auth.tokenInQuery) would put its token in cs-uri-query; no log of the proxy records it either way.
 */
export const CHINA_LOG_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(User-Agent)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
] as const;

/** Standard logging v2 of the distribution into `bucket` (CloudWatch vended logs), with CHINA_LOG_FIELDS only. */
function accessLogDelivery(
  scope: Stack,
  topology: Topology,
  distribution: Distribution,
  bucket: Bucket,
): CfnDelivery {
  const name = `${topology.app}-china-proxy`;
  const source = new CfnDeliverySource(scope, 'AccessLogSource', {
    name,
    logType: 'ACCESS_LOGS',
    resourceArn: scope.formatArn({
      service: 'cloudfront',
      region: '',
      resource: 'distribution',
      resourceName: distribution.distributionId,
    }),
  });
  const destination = new CfnDeliveryDestination(scope, 'AccessLogDestination', {
    name,
    destinationResourceArn: bucket.bucketArn,
    outputFormat: 'w3c',
  });
  // What CloudWatch Logs' delivery service needs to write into the bucket, for this account's sources only.
  const policy = bucket.addToResourcePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${scope.account}/*`)],
      conditions: {
        StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': scope.account },
        ArnLike: {
          'aws:SourceArn': scope.formatArn({
            service: 'logs',
            resource: 'delivery-source',
            resourceName: name,
          }),
        },
      },
    }),
  );
  const delivery = new CfnDelivery(scope, 'AccessLogDelivery', {
    deliverySourceName: source.ref,
    deliveryDestinationArn: destination.attrArn,
    recordFields: [...CHINA_LOG_FIELDS],
  });
  if (policy.policyDependable) delivery.node.addDependency(policy.policyDependable);
  return delivery;
}
