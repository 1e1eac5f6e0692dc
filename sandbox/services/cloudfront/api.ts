/**
 * CloudFront's REST-XML API (2020-05-31) in the sandbox: the China proxy's one distribution, with
 * ListDistributions, GetDistribution, GetDistributionConfig and UpdateDistribution (ETag / If-Match as
 * AWS does). The distribution's default cache behaviour's origin decides where the China proxy forwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Topology } from '../../../core/topology.js';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { hostName } from '../../dns-name.js';
import { answer, decodePathPart, parseRequestDocument, xmlResponse } from '../../wire/rest-xml.js';
import { ServiceError } from '../../wire/service-error.js';
import {
  child,
  children,
  childText,
  cloneElement,
  elementNodes,
  type XmlElement,
  type XmlNode,
} from '../../wire/xml.js';
import { defaultDistributionConfig } from './distribution-config.js';

export const CLOUDFRONT_XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const API = '/2020-05-31';

export interface CloudFrontOptions {
  /** The distribution starts with the origin the stacks give it (names.chinaOriginDomain). */
  readonly topology: Topology;
  readonly account: string;
}

interface Distribution {
  readonly id: string;
  readonly domainName: string;
  config: XmlElement;
  etag: string;
  lastModified: Date;
}

function newEtag(): string {
  return `E${randomBytes(10).toString('hex').toUpperCase().slice(0, 13)}`;
}

function invalid(message: string): never {
  throw new ServiceError(400, 'InvalidArgument', message);
}

export class CloudFrontApi {
  private readonly distribution: Distribution;

  constructor(private readonly options: CloudFrontOptions) {
    const hash = createHash('sha256').update(`${options.topology.app}|${options.account}`).digest('hex');
    const id = `E${BigInt(`0x${hash.slice(0, 16)}`)
      .toString(36)
      .toUpperCase()
      .padStart(13, '0')
      .slice(0, 13)}`;
    const config = defaultDistributionConfig(options.topology);
    this.distribution = {
      id,
      domainName: `d${hash.slice(16, 29)}.cloudfront.net`,
      config,
      etag: newEtag(),
      lastModified: new Date(),
    };
  }

  get distributionId(): string {
    return this.distribution.id;
  }

  /** The domain of the origin the default cache behaviour targets (where the China proxy forwards). */
  originDomain(): string | undefined {
    const config = this.distribution.config;
    const target = childText(config, 'DefaultCacheBehavior', 'TargetOriginId');
    const origin = children(child(child(config, 'Origins'), 'Items'), 'Origin').find(
      (o) => childText(o, 'Id') === target,
    );
    const domain = childText(origin, 'DomainName');
    return domain ? hostName(domain) : undefined;
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> =>
    answer(CLOUDFRONT_XMLNS, () => this.route(request));

  private route(request: EdgeRequest): EdgeResponse {
    const path = request.path.replace(/\/+$/, '');
    const method = request.method.toUpperCase();
    if (path.startsWith(`${API}/distribution`)) {
      const parts = path
        .slice(API.length + 1)
        .split('/')
        .map((p) => decodePathPart(p));
      if (parts.length === 1 && method === 'GET') return this.listDistributions(request.query);
      if (parts.length === 2 && method === 'GET') return this.getDistribution(parts[1]);
      if (parts.length === 3 && parts[2] === 'config' && method === 'GET')
        return this.getDistributionConfig(parts[1]);
      if (parts.length === 3 && parts[2] === 'config' && method === 'PUT') {
        return this.updateDistribution(parts[1], request.headers['if-match'], request.body);
      }
    }
    throw new ServiceError(
      400,
      'InvalidAction',
      `The action or operation requested is invalid (the sandbox's CloudFront does not serve ${request.method} ${request.path})`,
    );
  }

  private find(id: string): Distribution {
    if (id !== this.distribution.id) {
      throw new ServiceError(404, 'NoSuchDistribution', 'The specified distribution does not exist.');
    }
    return this.distribution;
  }

  private arn(d: Distribution): string {
    return `arn:aws:cloudfront::${this.options.account}:distribution/${d.id}`;
  }

  private distributionNodes(d: Distribution): XmlNode[] {
    return [
      ['Id', d.id],
      ['ARN', this.arn(d)],
      ['Status', 'Deployed'],
      ['LastModifiedTime', d.lastModified.toISOString()],
      ['InProgressInvalidationBatches', 0],
      ['DomainName', d.domainName],
      [
        'ActiveTrustedSigners',
        [
          ['Enabled', 'false'],
          ['Quantity', 0],
        ],
      ],
      [
        'ActiveTrustedKeyGroups',
        [
          ['Enabled', 'false'],
          ['Quantity', 0],
        ],
      ],
      ['DistributionConfig', elementNodes(d.config)],
    ];
  }

  private summaryNodes(d: Distribution): XmlNode[] {
    const pick = (name: string): XmlNode => {
      const element = child(d.config, name);
      return [
        name,
        element ? (element.children.length > 0 ? elementNodes(element) : element.text) : undefined,
      ];
    };
    return [
      ['Id', d.id],
      ['ARN', this.arn(d)],
      ['ETag', d.etag],
      ['Status', 'Deployed'],
      ['LastModifiedTime', d.lastModified.toISOString()],
      ['DomainName', d.domainName],
      pick('Aliases'),
      pick('Origins'),
      pick('OriginGroups'),
      pick('DefaultCacheBehavior'),
      pick('CacheBehaviors'),
      pick('CustomErrorResponses'),
      pick('Comment'),
      pick('PriceClass'),
      pick('Enabled'),
      pick('ViewerCertificate'),
      pick('Restrictions'),
      pick('WebACLId'),
      pick('HttpVersion'),
      pick('IsIPV6Enabled'),
      pick('Staging'),
    ];
  }

  private listDistributions(q: URLSearchParams): EdgeResponse {
    const maxItemsText = q.get('MaxItems');
    const maxItems = maxItemsText === null ? 100 : Number(maxItemsText);
    if (!Number.isInteger(maxItems) || maxItems < 0)
      invalid(`MaxItems must be a non-negative integer (got ${maxItemsText})`);
    const marker = q.get('Marker') ?? '';
    const items = marker && marker >= this.distribution.id ? [] : [this.distribution];
    const page = items.slice(0, maxItems);
    return xmlResponse(200, 'DistributionList', CLOUDFRONT_XMLNS, [
      ['Marker', marker],
      ['NextMarker', items.length > page.length ? page.at(-1)?.id : undefined],
      ['MaxItems', maxItems],
      ['IsTruncated', items.length > page.length ? 'true' : 'false'],
      ['Quantity', page.length],
      [
        'Items',
        page.length > 0
          ? page.map((d) => ['DistributionSummary', this.summaryNodes(d)] as XmlNode)
          : undefined,
      ],
    ]);
  }

  private getDistribution(id: string): EdgeResponse {
    const d = this.find(id);
    return xmlResponse(200, 'Distribution', CLOUDFRONT_XMLNS, this.distributionNodes(d), { etag: d.etag });
  }

  private getDistributionConfig(id: string): EdgeResponse {
    const d = this.find(id);
    return xmlResponse(200, 'DistributionConfig', CLOUDFRONT_XMLNS, elementNodes(d.config), { etag: d.etag });
  }

  private updateDistribution(id: string, ifMatch: string | string[] | undefined, body: Buffer): EdgeResponse {
    const d = this.find(id);
    const match = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
    if (!match) {
      throw new ServiceError(
        400,
        'InvalidIfMatchVersion',
        'The If-Match version is missing or not valid for the resource.',
      );
    }
    if (match !== d.etag) {
      throw new ServiceError(
        412,
        'PreconditionFailed',
        'The precondition given in one or more of the request-header fields evaluated to false.',
      );
    }
    const config = parseRequestDocument(body, 'DistributionConfig', {
      code: 'InvalidArgument',
      malformed: (problem) => `The XML document you provided was not well-formed: ${problem}`,
      wrongRoot: (found) => `Expected a DistributionConfig document, got <${found}>`,
    });
    validateConfig(config, d.config);
    d.config = cloneElement(config);
    d.etag = newEtag();
    d.lastModified = new Date();
    return xmlResponse(200, 'Distribution', CLOUDFRONT_XMLNS, this.distributionNodes(d), { etag: d.etag });
  }
}

function validateConfig(config: XmlElement, current: XmlElement): void {
  for (const required of ['CallerReference', 'Origins', 'DefaultCacheBehavior', 'Comment', 'Enabled']) {
    if (!child(config, required))
      invalid(
        `1 validation error detected: Value null at '${required}' failed to satisfy constraint: Member must not be null`,
      );
  }
  if (childText(config, 'CallerReference') !== childText(current, 'CallerReference')) {
    throw new ServiceError(400, 'IllegalUpdate', 'The CallerReference of a distribution cannot be changed.');
  }
  const origins = child(config, 'Origins');
  const items = children(child(origins, 'Items'), 'Origin');
  const declared = Number(childText(origins, 'Quantity'));
  if (items.length === 0) invalid('A distribution needs at least one origin: Origins.Items is empty.');
  if (declared !== items.length) {
    invalid(
      `The parameter Origins.Quantity (${childText(origins, 'Quantity')}) does not match the number of Origins.Items (${items.length}).`,
    );
  }
  const ids = new Set<string>();
  for (const origin of items) {
    const id = childText(origin, 'Id');
    const domain = childText(origin, 'DomainName');
    if (!id) invalid('Every origin needs an Id.');
    if (!domain || !/^[a-z0-9.-]+$/i.test(domain)) {
      throw new ServiceError(
        400,
        'InvalidOrigin',
        `The specified origin server does not exist or is not valid: ${domain ?? '(none)'}.`,
      );
    }
    if (ids.has(id as string)) invalid(`The origin Id ${id} is used by more than one origin.`);
    ids.add(id as string);
  }
  const target = childText(config, 'DefaultCacheBehavior', 'TargetOriginId');
  if (!target || !ids.has(target)) {
    throw new ServiceError(
      404,
      'NoSuchOrigin',
      `One or more of your origins or origin groups do not exist: ${target ?? '(none)'}.`,
    );
  }
  const enabled = childText(config, 'Enabled');
  if (enabled !== 'true' && enabled !== 'false') invalid('Enabled must be true or false.');
}
