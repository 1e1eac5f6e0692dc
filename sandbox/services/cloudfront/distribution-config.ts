/**
 * The China proxy's distribution as the stacks create it: one custom origin (the global chat name, or a
 * pinned region's own name: names.chinaOriginDomain; HTTPS only), caching disabled and every viewer header but Host forwarded (what a WebSocket
 * origin needs), the chat's comment by which chatctl finds it.
 * defaultDistributionConfig is over 100 lines because it is one literal: CloudFront's whole
 * DistributionConfig document, in the order CloudFront returns it.
 */
import { names } from '../../../core/names.js';
import type { Topology } from '../../../core/topology.js';
import { toElement, type XmlElement, type XmlNode } from '../../wire/xml.js';

/** Managed policies CloudFront documents: CachingDisabled and AllViewerExceptHostHeader (what a WebSocket origin needs). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

/** CloudFront's list shape: Quantity, then Items when there are any. */
function quantity(items: XmlNode[], quantityFirst = true): XmlNode[] {
  const list: XmlNode[] = [['Quantity', items.length]];
  if (items.length > 0) list.push(['Items', items]);
  return quantityFirst ? list : list.reverse();
}

export function defaultDistributionConfig(topology: Topology): XmlElement {
  const originDomain = names.chinaOriginDomain(topology);
  return toElement('DistributionConfig', [
    ['CallerReference', `${topology.app}-china-proxy`],
    ['Aliases', quantity([])],
    ['DefaultRootObject', ''],
    [
      'Origins',
      quantity([
        [
          'Origin',
          [
            ['Id', 'chat-api'],
            ['DomainName', originDomain],
            ['OriginPath', ''],
            ['CustomHeaders', quantity([])],
            [
              'CustomOriginConfig',
              [
                ['HTTPPort', 80],
                ['HTTPSPort', 443],
                ['OriginProtocolPolicy', 'https-only'],
                ['OriginSslProtocols', quantity([['SslProtocol', 'TLSv1.2']])],
                ['OriginReadTimeout', 30],
                ['OriginKeepaliveTimeout', 5],
              ],
            ],
            ['ConnectionAttempts', 3],
            ['ConnectionTimeout', 10],
            ['OriginShield', [['Enabled', 'false']]],
            ['OriginAccessControlId', ''],
          ],
        ],
      ]),
    ],
    ['OriginGroups', quantity([])],
    [
      'DefaultCacheBehavior',
      [
        ['TargetOriginId', 'chat-api'],
        [
          'TrustedSigners',
          [
            ['Enabled', 'false'],
            ['Quantity', 0],
          ],
        ],
        [
          'TrustedKeyGroups',
          [
            ['Enabled', 'false'],
            ['Quantity', 0],
          ],
        ],
        ['ViewerProtocolPolicy', 'https-only'],
        [
          'AllowedMethods',
          [
            ...quantity(
              ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'].map(
                (m) => ['Method', m] as XmlNode,
              ),
            ),
            [
              'CachedMethods',
              quantity([
                ['Method', 'GET'],
                ['Method', 'HEAD'],
              ]),
            ],
          ],
        ],
        ['SmoothStreaming', 'false'],
        ['Compress', 'false'],
        ['LambdaFunctionAssociations', quantity([])],
        ['FunctionAssociations', quantity([])],
        ['FieldLevelEncryptionId', ''],
        ['CachePolicyId', CACHING_DISABLED],
        ['OriginRequestPolicyId', ALL_VIEWER_EXCEPT_HOST],
      ],
    ],
    ['CacheBehaviors', quantity([])],
    ['CustomErrorResponses', quantity([])],
    ['Comment', names.chinaDistributionComment(topology)],
    [
      'Logging',
      [
        ['Enabled', 'false'],
        ['IncludeCookies', 'false'],
        ['Bucket', ''],
        ['Prefix', ''],
      ],
    ],
    ['PriceClass', 'PriceClass_All'],
    ['Enabled', 'true'],
    [
      'ViewerCertificate',
      [
        ['CloudFrontDefaultCertificate', 'true'],
        ['SSLSupportMethod', 'vip'],
        ['MinimumProtocolVersion', 'TLSv1'],
        ['CertificateSource', 'cloudfront'],
      ],
    ],
    [
      'Restrictions',
      [
        [
          'GeoRestriction',
          [
            ['RestrictionType', 'none'],
            ['Quantity', 0],
          ],
        ],
      ],
    ],
    ['WebACLId', ''],
    ['HttpVersion', 'http2'],
    ['IsIPV6Enabled', 'true'],
    ['Staging', 'false'],
  ]);
}
