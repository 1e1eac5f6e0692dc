/**
 * Route 53 for the sandbox: the REST-XML API (2013-04-01) of the operations chatctl and its stacks use,
 * one public hosted zone with the chat's latency records, health checks with real checkers, and
 * TestDNSAnswer answering as latency routing would for a client location.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { names } from '../../core/names.js';
import type { Topology } from '../../core/topology.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../contracts.js';
import {
  AwsXmlError,
  answer,
  bool,
  decodePathPart,
  parseBool,
  parseIntField,
  xmlResponse,
} from './aws-xml.js';
import { CHECKER_REGION, HealthChecker } from './health-checker.js';
import { ipv4ToNumber, locateClient, regionLatencyMs } from './latency.js';
import {
  child,
  children,
  childText,
  cloneElement,
  elementNodes,
  parseXml,
  renderElement,
  toElement,
  type XmlElement,
  XmlError,
  type XmlNode,
} from './xml.js';

export const ROUTE53_XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const API = '/2013-04-01';

const RECORD_TYPES = new Set([
  'SOA',
  'A',
  'TXT',
  'NS',
  'CNAME',
  'MX',
  'NAPTR',
  'PTR',
  'SRV',
  'SPF',
  'AAAA',
  'CAA',
  'DS',
  'TLSA',
  'SSHFP',
  'SVCB',
  'HTTPS',
]);
const HEALTH_CHECK_TYPES = new Set(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP']);
const NAME_SERVERS = [
  'ns-1.awsdns-00.com',
  'ns-513.awsdns-00.net',
  'ns-1025.awsdns-00.org',
  'ns-1537.awsdns-00.co.uk',
];

export interface Route53Options {
  readonly topology: Topology;
  /** How often the checkers probe (the sandbox's short interval, whatever RequestInterval says). */
  readonly healthCheckIntervalMs: number;
  readonly failureThreshold: number;
  readonly probeTimeoutMs?: number;
}

interface RecordSet {
  readonly element: XmlElement;
  readonly name: string;
  readonly type: string;
  readonly setIdentifier?: string;
  readonly region?: string;
  readonly healthCheckId?: string;
  readonly values: readonly string[];
  readonly aliasDnsName?: string;
}

interface HealthCheckConfig {
  IPAddress?: string;
  Port?: number;
  Type: string;
  ResourcePath?: string;
  FullyQualifiedDomainName?: string;
  SearchString?: string;
  RequestInterval: number;
  FailureThreshold: number;
  MeasureLatency: boolean;
  Inverted: boolean;
  Disabled: boolean;
  EnableSNI?: boolean;
  Regions?: string[];
}

interface HealthCheckEntry {
  readonly id: string;
  readonly callerReference: string;
  readonly config: HealthCheckConfig;
  version: number;
  readonly checker: HealthChecker;
}

interface SandboxRegion {
  readonly info: RegionRuntimeInfo;
  /** The A record's value: a loopback address that stands for this region's gateway. */
  readonly address: string;
  readonly healthCheckId: string;
}

/** Lowercase with one trailing dot, as Route 53 returns names. */
export function normalizeName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith('.') ? trimmed : `${trimmed}.`;
}

/** Route 53 lists record sets by name with its labels reversed (com.example.chat), then type, then identifier. */
function sortKey(record: { name: string; type: string; setIdentifier?: string }): string {
  const reversed = record.name.replace(/\.$/, '').split('.').reverse().join('.');
  return `${reversed}\u0000${record.type}\u0000${record.setIdentifier ?? ''}`;
}

function identity(record: { name: string; type: string; setIdentifier?: string }): string {
  return `${record.name}|${record.type}|${record.setIdentifier ?? ''}`;
}

function describe(record: { name: string; type: string; setIdentifier?: string }): string {
  const set = record.setIdentifier === undefined ? '' : `, set-identifier='${record.setIdentifier}'`;
  return `[name='${record.name}', type='${record.type}'${set}]`;
}

function bad(message: string): never {
  throw new AwsXmlError(400, 'InvalidInput', message);
}

function parseBody(body: Buffer, root: string): XmlElement {
  let element: XmlElement;
  try {
    element = parseXml(body.toString('utf8'));
  } catch (error) {
    if (error instanceof XmlError) bad(`Invalid XML ; ${error.message}`);
    throw error;
  }
  if (element.name !== root) bad(`Invalid request: expected a ${root} document, got <${element.name}>`);
  return element;
}

export class Route53Service {
  readonly hostedZoneId: string;
  private readonly zoneName: string;
  private readonly records = new Map<string, RecordSet>();
  private readonly healthChecks = new Map<string, HealthCheckEntry>();
  private readonly regions = new Map<string, SandboxRegion>();
  private readonly changes = new Map<string, Date>();
  private nextAddress = 2;

  constructor(private readonly options: Route53Options) {
    this.hostedZoneId = options.topology.hostedZone.id;
    this.zoneName = normalizeName(options.topology.hostedZone.name);
    const soa = `${NAME_SERVERS[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`;
    this.putRecord(
      this.recordFromNodes(
        this.zoneName,
        'NS',
        undefined,
        172800,
        NAME_SERVERS.map((ns) => `${ns}.`),
      ),
    );
    this.putRecord(this.recordFromNodes(this.zoneName, 'SOA', undefined, 900, [soa]));
  }

  /** Creates the region's health check (found by its CallerReference), its latency record, and starts checking. */
  addRegion(info: RegionRuntimeInfo): void {
    if (this.regions.has(info.key)) this.removeRegion(info.key);
    const topology = this.options.topology;
    const reference = names.healthCheckReference(topology, info.key);
    const existing = [...this.healthChecks.values()].find((h) => h.callerReference === reference);
    if (existing) this.deleteHealthCheck(existing.id);
    const check = this.createHealthCheckEntry(reference, {
      IPAddress: '127.0.0.1',
      Port: info.gatewayPort,
      Type: 'HTTP',
      ResourcePath: new URL(info.healthUrl).pathname,
      FullyQualifiedDomainName: names.regionalHealthDomain(topology, info.key),
      RequestInterval: 10,
      FailureThreshold: this.options.failureThreshold,
      MeasureLatency: false,
      Inverted: false,
      Disabled: false,
      EnableSNI: false,
    });
    const address = `127.0.0.${this.nextAddress++}`;
    this.regions.set(info.key, { info, address, healthCheckId: check.id });
    const record = this.recordFromNodes(
      normalizeName(names.chatRecord(topology)),
      'A',
      info.key,
      60,
      [address],
      {
        region: info.awsRegion,
        healthCheckId: check.id,
      },
    );
    this.putRecord(record);
  }

  removeRegion(key: string): void {
    const region = this.regions.get(key);
    if (!region) return;
    this.regions.delete(key);
    for (const [id, record] of this.records) {
      if (record.healthCheckId === region.healthCheckId || (record.setIdentifier === key && record.region)) {
        this.records.delete(id);
      }
    }
    this.deleteHealthCheck(region.healthCheckId);
  }

  /** The status Route 53 routes on for a region's health check (undefined for an unknown region). */
  regionHealthy(key: string): boolean | undefined {
    const region = this.regions.get(key);
    return region ? this.healthChecks.get(region.healthCheckId)?.checker.healthy : undefined;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.healthChecks.values()].map((h) => h.checker.stop()));
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> => answer(ROUTE53_XMLNS, () => this.route(request));

  private route(request: EdgeRequest): EdgeResponse {
    const path = request.path.replace(/\/+$/, '');
    if (!path.startsWith(`${API}/`)) {
      throw new AwsXmlError(
        400,
        'InvalidAction',
        `The action or operation requested is invalid: ${request.method} ${request.path}`,
      );
    }
    const parts = path
      .slice(API.length + 1)
      .split('/')
      .map((p) => decodePathPart(p));
    const [resource, id, sub] = parts;
    const method = request.method.toUpperCase();
    const q = request.query;
    if (resource === 'hostedzone') {
      if (parts.length === 1 && method === 'GET') return this.listHostedZones(q);
      if (parts.length === 2 && method === 'GET') return this.getHostedZone(id);
      if (parts.length === 3 && sub === 'rrset' && method === 'GET')
        return this.listResourceRecordSets(id, q);
      if (parts.length === 3 && sub === 'rrset' && method === 'POST') {
        return this.changeResourceRecordSets(id, request.body);
      }
    }
    if (resource === 'hostedzonesbyname' && parts.length === 1 && method === 'GET') {
      return this.listHostedZonesByName(q);
    }
    if (resource === 'healthcheck') {
      if (parts.length === 1 && method === 'GET') return this.listHealthChecks(q);
      if (parts.length === 1 && method === 'POST') return this.createHealthCheck(request.body);
      if (parts.length === 2 && method === 'GET') return this.getHealthCheck(id);
      if (parts.length === 2 && method === 'POST') return this.updateHealthCheck(id, request.body);
      if (parts.length === 2 && method === 'DELETE') return this.deleteHealthCheckOperation(id);
      if (parts.length === 3 && sub === 'status' && method === 'GET') return this.getHealthCheckStatus(id);
    }
    if (resource === 'change' && parts.length === 2 && method === 'GET') return this.getChange(id);
    if (resource === 'testdnsanswer' && parts.length === 1 && method === 'GET') return this.testDnsAnswer(q);
    throw new AwsXmlError(
      400,
      'InvalidAction',
      `The action or operation requested is invalid (the sandbox's Route 53 does not serve ${request.method} ${request.path})`,
    );
  }

  // ---- hosted zones ----

  private zone(id: string): void {
    const bare = id.replace(/^\/?hostedzone\//, '');
    if (bare !== this.hostedZoneId)
      throw new AwsXmlError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${bare}`);
  }

  private hostedZoneNodes(): XmlNode[] {
    return [
      ['Id', `/hostedzone/${this.hostedZoneId}`],
      ['Name', this.zoneName],
      ['CallerReference', `${this.options.topology.app}-hosted-zone`],
      [
        'Config',
        [
          ['Comment', `${this.options.topology.app} public hosted zone (sandbox)`],
          ['PrivateZone', 'false'],
        ],
      ],
      ['ResourceRecordSetCount', this.records.size],
    ];
  }

  private listHostedZones(q: URLSearchParams): EdgeResponse {
    const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 100]) ?? 100;
    const marker = q.get('marker') ?? undefined;
    const zones =
      marker && marker > this.hostedZoneId ? [] : [['HostedZone', this.hostedZoneNodes()] as XmlNode];
    return xmlResponse(200, 'ListHostedZonesResponse', ROUTE53_XMLNS, [
      ['HostedZones', zones],
      ['Marker', marker],
      ['IsTruncated', 'false'],
      ['MaxItems', maxItems],
    ]);
  }

  private listHostedZonesByName(q: URLSearchParams): EdgeResponse {
    const dnsName = q.get('dnsname') ?? undefined;
    const zoneId = q.get('hostedzoneid') ?? undefined;
    if (zoneId && !dnsName) bad('Invalid request: hostedzoneid requires dnsname');
    const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 100]) ?? 100;
    const from = dnsName ? normalizeName(dnsName) : undefined;
    const include =
      !from || from.split('.').reverse().join('.') <= this.zoneName.split('.').reverse().join('.');
    return xmlResponse(200, 'ListHostedZonesByNameResponse', ROUTE53_XMLNS, [
      ['HostedZones', include ? [['HostedZone', this.hostedZoneNodes()]] : []],
      ['DNSName', dnsName],
      ['HostedZoneId', zoneId],
      ['IsTruncated', 'false'],
      ['MaxItems', maxItems],
    ]);
  }

  private getHostedZone(id: string): EdgeResponse {
    this.zone(id);
    return xmlResponse(200, 'GetHostedZoneResponse', ROUTE53_XMLNS, [
      ['HostedZone', this.hostedZoneNodes()],
      ['DelegationSet', [['NameServers', NAME_SERVERS.map((ns) => ['NameServer', ns] as XmlNode)]]],
    ]);
  }

  // ---- record sets ----

  private recordFromNodes(
    name: string,
    type: string,
    setIdentifier: string | undefined,
    ttl: number,
    values: string[],
    extra: { region?: string; healthCheckId?: string } = {},
  ): RecordSet {
    const element = toElement('ResourceRecordSet', [
      ['Name', name],
      ['Type', type],
      ['SetIdentifier', setIdentifier],
      ['Region', extra.region],
      ['TTL', ttl],
      ['ResourceRecords', values.map((v) => ['ResourceRecord', [['Value', v]]] as XmlNode)],
      ['HealthCheckId', extra.healthCheckId],
    ]);
    return this.recordFromElement(element);
  }

  private recordFromElement(element: XmlElement): RecordSet {
    const name = childText(element, 'Name');
    const type = childText(element, 'Type');
    if (!name) bad('Invalid request: a ResourceRecordSet has no Name');
    if (!type) bad('Invalid request: a ResourceRecordSet has no Type');
    const stored = cloneElement(element);
    const nameElement = child(stored, 'Name');
    if (nameElement) nameElement.text = normalizeName(name as string);
    return {
      element: stored,
      name: normalizeName(name as string),
      type: (type as string).trim(),
      setIdentifier: childText(element, 'SetIdentifier'),
      region: childText(element, 'Region'),
      healthCheckId: childText(element, 'HealthCheckId'),
      values: children(child(element, 'ResourceRecords'), 'ResourceRecord').map(
        (r) => childText(r, 'Value') ?? '',
      ),
      aliasDnsName: childText(element, 'AliasTarget', 'DNSName'),
    };
  }

  private putRecord(record: RecordSet): void {
    this.records.set(identity(record), record);
  }

  private sortedRecords(): RecordSet[] {
    return [...this.records.values()].sort((a, b) =>
      sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
  }

  private listResourceRecordSets(id: string, q: URLSearchParams): EdgeResponse {
    this.zone(id);
    const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 300]) ?? 300;
    const startName = q.get('name') ?? undefined;
    const startType = q.get('type') ?? undefined;
    const startId = q.get('identifier') ?? undefined;
    if (startType && !startName) bad('Invalid request: type requires name');
    if (startType && !RECORD_TYPES.has(startType)) bad(`Invalid request: unknown record type ${startType}`);
    let all = this.sortedRecords();
    if (startName) {
      const start = sortKey({
        name: normalizeName(startName),
        type: startType ?? '',
        setIdentifier: startId,
      });
      all = all.filter((r) => sortKey(r) >= start);
    }
    const page = all.slice(0, maxItems);
    const next = all[maxItems];
    return xmlResponse(200, 'ListResourceRecordSetsResponse', ROUTE53_XMLNS, [
      ['ResourceRecordSets', page.map((r) => ['ResourceRecordSet', elementNodes(r.element)] as XmlNode)],
      ['IsTruncated', bool(next !== undefined)],
      ['NextRecordName', next?.name],
      ['NextRecordType', next?.type],
      ['NextRecordIdentifier', next?.setIdentifier],
      ['MaxItems', maxItems],
    ]);
  }

  private changeResourceRecordSets(id: string, body: Buffer): EdgeResponse {
    this.zone(id);
    const root = parseBody(body, 'ChangeResourceRecordSetsRequest');
    const batch = child(root, 'ChangeBatch') ?? bad('Invalid request: ChangeBatch is required');
    const changes = children(child(batch, 'Changes'), 'Change');
    if (changes.length === 0) bad('Invalid request: ChangeBatch.Changes must have at least one Change');
    const next = new Map(this.records);
    const problems: string[] = [];
    for (const change of changes) {
      const action = childText(change, 'Action');
      if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
        bad(`Invalid request: Action must be CREATE, DELETE or UPSERT (got ${action ?? 'nothing'})`);
      }
      const element =
        child(change, 'ResourceRecordSet') ?? bad('Invalid request: a Change has no ResourceRecordSet');
      const record = this.recordFromElement(element);
      this.validateRecord(record, action as string);
      const key = identity(record);
      const current = next.get(key);
      if (action === 'CREATE' && current) {
        problems.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      } else if (action === 'DELETE') {
        if (!current)
          problems.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
        else if (current.values.join('\n') !== record.values.join('\n')) {
          problems.push(
            `Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`,
          );
        } else next.delete(key);
      } else {
        next.set(key, record);
      }
    }
    if (problems.length > 0) throw new AwsXmlError(400, 'InvalidChangeBatch', `[${problems.join(', ')}]`);
    this.records.clear();
    for (const [key, record] of next) this.records.set(key, record);
    const changeId = `C${randomBytes(10).toString('hex').toUpperCase().slice(0, 19)}`;
    const submittedAt = new Date();
    this.changes.set(changeId, submittedAt);
    return xmlResponse(200, 'ChangeResourceRecordSetsResponse', ROUTE53_XMLNS, [
      ['ChangeInfo', changeInfo(changeId, submittedAt, childText(batch, 'Comment'))],
    ]);
  }

  private validateRecord(record: RecordSet, action: string): void {
    const what = `Change with [Action=${action}, Name=${record.name}, Type=${record.type}${record.setIdentifier === undefined ? '' : `, SetIdentifier=${record.setIdentifier}`}]`;
    if (!RECORD_TYPES.has(record.type)) bad(`Invalid request: unknown record type ${record.type} in ${what}`);
    if (record.name !== this.zoneName && !record.name.endsWith(`.${this.zoneName}`)) {
      throw new AwsXmlError(
        400,
        'InvalidChangeBatch',
        `[RRSet with DNS name ${record.name} is not permitted in zone ${this.zoneName}]`,
      );
    }
    const hasRecords = child(record.element, 'ResourceRecords') !== undefined;
    const hasTtl = child(record.element, 'TTL') !== undefined;
    const hasAlias = child(record.element, 'AliasTarget') !== undefined;
    if (hasAlias === (hasRecords || hasTtl) || (!hasAlias && !(hasRecords && hasTtl))) {
      bad(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]], but found ${hasAlias ? 'both' : 'none'} in ${what}`,
      );
    }
    if (hasTtl) parseIntField(childText(record.element, 'TTL'), 'TTL', [0, 2147483647]);
    if (record.region !== undefined && record.setIdentifier === undefined) {
      bad(`Invalid request: Missing field 'SetIdentifier' in ${what}`);
    }
    if (
      record.setIdentifier !== undefined &&
      record.region === undefined &&
      !/<(Weight|Failover|GeoLocation|MultiValueAnswer|CidrRoutingConfig|GeoProximityLocation)>/.test(
        renderElement(record.element),
      )
    ) {
      bad(
        `Invalid request: a SetIdentifier needs a routing policy (Region, Weight, Failover, ...) in ${what}`,
      );
    }
    if (record.type === 'A' && action !== 'DELETE') {
      for (const value of record.values) {
        if (ipv4ToNumber(value) === undefined) {
          throw new AwsXmlError(
            400,
            'InvalidChangeBatch',
            `[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}'']`,
          );
        }
      }
    }
    if (
      record.healthCheckId !== undefined &&
      action !== 'DELETE' &&
      !this.healthChecks.has(record.healthCheckId)
    ) {
      throw new AwsXmlError(
        404,
        'NoSuchHealthCheck',
        `A health check with id ${record.healthCheckId} does not exist.`,
      );
    }
  }

  private getChange(id: string): EdgeResponse {
    const bare = id.replace(/^\/?change\//, '');
    const submittedAt = this.changes.get(bare);
    if (!submittedAt)
      throw new AwsXmlError(
        404,
        'NoSuchChange',
        `A change with the specified change ID does not exist: ${bare}`,
      );
    return xmlResponse(200, 'GetChangeResponse', ROUTE53_XMLNS, [
      ['ChangeInfo', changeInfo(bare, submittedAt)],
    ]);
  }

  // ---- health checks ----

  private createHealthCheckEntry(callerReference: string, config: HealthCheckConfig): HealthCheckEntry {
    const id = randomUUID();
    const checker = new HealthChecker({
      intervalMs: this.options.healthCheckIntervalMs,
      timeoutMs: this.options.probeTimeoutMs,
      target: () => this.probeTarget(config),
      settings: () => ({
        failureThreshold: config.FailureThreshold,
        inverted: config.Inverted,
        disabled: config.Disabled,
      }),
    });
    const entry: HealthCheckEntry = { id, callerReference, config, version: 1, checker };
    this.healthChecks.set(id, entry);
    checker.start();
    return entry;
  }

  private deleteHealthCheck(id: string): void {
    const entry = this.healthChecks.get(id);
    if (!entry) return;
    this.healthChecks.delete(id);
    void entry.checker.stop();
  }

  /**
   * Where a check's endpoint is on this machine: each region's domains and record address stand for its
   * gateway; 127.0.0.1 is probed at the configured Port; anything else cannot be reached from the sandbox.
   */
  private probeTarget(config: HealthCheckConfig): { url?: string; ipAddress: string; unresolved?: string } {
    const path = config.ResourcePath ?? '/';
    const byHost = (host: string | undefined) => {
      if (!host) return undefined;
      const h = normalizeName(host);
      for (const region of this.regions.values()) {
        const domains = [
          names.regionalDomain(this.options.topology, region.info.key),
          names.regionalHealthDomain(this.options.topology, region.info.key),
        ].map(normalizeName);
        if (domains.includes(h) || host === region.address) return region.info.gatewayPort;
      }
      return undefined;
    };
    if (config.IPAddress) {
      if (config.IPAddress === '127.0.0.1') {
        const port = config.Port ?? (config.Type.startsWith('HTTPS') ? 443 : 80);
        return { url: `http://127.0.0.1:${port}${path}`, ipAddress: '127.0.0.1' };
      }
      const port = byHost(config.IPAddress);
      if (port !== undefined) return { url: `http://127.0.0.1:${port}${path}`, ipAddress: config.IPAddress };
      return {
        ipAddress: config.IPAddress,
        unresolved:
          'Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
      };
    }
    const port = byHost(config.FullyQualifiedDomainName);
    if (port !== undefined) return { url: `http://127.0.0.1:${port}${path}`, ipAddress: '127.0.0.1' };
    return {
      ipAddress: '0.0.0.0',
      unresolved: `Resolved IP: none. ${config.FullyQualifiedDomainName ?? ''} does not resolve in the sandbox.`,
    };
  }

  private healthCheckNodes(entry: HealthCheckEntry): XmlNode[] {
    const c = entry.config;
    return [
      ['Id', entry.id],
      ['CallerReference', entry.callerReference],
      [
        'HealthCheckConfig',
        [
          ['IPAddress', c.IPAddress],
          ['Port', c.Port],
          ['Type', c.Type],
          ['ResourcePath', c.ResourcePath],
          ['FullyQualifiedDomainName', c.FullyQualifiedDomainName],
          ['SearchString', c.SearchString],
          ['RequestInterval', c.RequestInterval],
          ['FailureThreshold', c.FailureThreshold],
          ['MeasureLatency', bool(c.MeasureLatency)],
          ['Inverted', bool(c.Inverted)],
          ['Disabled', bool(c.Disabled)],
          ['EnableSNI', c.EnableSNI === undefined ? undefined : bool(c.EnableSNI)],
          ['Regions', c.Regions?.map((r) => ['Region', r] as XmlNode)],
        ],
      ],
      ['HealthCheckVersion', entry.version],
    ];
  }

  private healthCheck(id: string): HealthCheckEntry {
    const entry = this.healthChecks.get(id);
    if (!entry)
      throw new AwsXmlError(404, 'NoSuchHealthCheck', `A health check with id ${id} does not exist.`);
    return entry;
  }

  private createHealthCheck(body: Buffer): EdgeResponse {
    const root = parseBody(body, 'CreateHealthCheckRequest');
    const callerReference = childText(root, 'CallerReference')?.trim();
    if (!callerReference) bad("Invalid request: Missing field 'CallerReference'");
    const configElement =
      child(root, 'HealthCheckConfig') ?? bad("Invalid request: Missing field 'HealthCheckConfig'");
    const config = parseHealthCheckConfig(configElement);
    const existing = [...this.healthChecks.values()].find((h) => h.callerReference === callerReference);
    if (existing) {
      if (JSON.stringify(existing.config) === JSON.stringify(config) && existing.version === 1) {
        return xmlResponse(
          201,
          'CreateHealthCheckResponse',
          ROUTE53_XMLNS,
          [['HealthCheck', this.healthCheckNodes(existing)]],
          {
            location: `https://route53.amazonaws.com${API}/healthcheck/${existing.id}`,
          },
        );
      }
      throw new AwsXmlError(
        409,
        'HealthCheckAlreadyExists',
        `A health check with the CallerReference ${callerReference} already exists with a different configuration.`,
      );
    }
    const entry = this.createHealthCheckEntry(callerReference as string, config);
    return xmlResponse(
      201,
      'CreateHealthCheckResponse',
      ROUTE53_XMLNS,
      [['HealthCheck', this.healthCheckNodes(entry)]],
      {
        location: `https://route53.amazonaws.com${API}/healthcheck/${entry.id}`,
      },
    );
  }

  private listHealthChecks(q: URLSearchParams): EdgeResponse {
    const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 1000]) ?? 100;
    const marker = q.get('marker') ?? undefined;
    let all = [...this.healthChecks.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (marker) all = all.filter((h) => h.id >= marker);
    const page = all.slice(0, maxItems);
    const next = all[maxItems];
    return xmlResponse(200, 'ListHealthChecksResponse', ROUTE53_XMLNS, [
      ['HealthChecks', page.map((h) => ['HealthCheck', this.healthCheckNodes(h)] as XmlNode)],
      ['Marker', marker ?? ''],
      ['IsTruncated', bool(next !== undefined)],
      ['NextMarker', next?.id],
      ['MaxItems', maxItems],
    ]);
  }

  private getHealthCheck(id: string): EdgeResponse {
    return xmlResponse(200, 'GetHealthCheckResponse', ROUTE53_XMLNS, [
      ['HealthCheck', this.healthCheckNodes(this.healthCheck(id))],
    ]);
  }

  private deleteHealthCheckOperation(id: string): EdgeResponse {
    this.healthCheck(id);
    const user = [...this.records.values()].find((r) => r.healthCheckId === id);
    if (user) {
      throw new AwsXmlError(
        400,
        'HealthCheckInUse',
        `The health check ${id} is still referenced by the record set ${describe(user)}.`,
      );
    }
    this.deleteHealthCheck(id);
    return xmlResponse(200, 'DeleteHealthCheckResponse', ROUTE53_XMLNS, []);
  }

  private getHealthCheckStatus(id: string): EdgeResponse {
    const entry = this.healthCheck(id);
    const report = entry.checker.statusReport();
    const target = this.probeTarget(entry.config);
    const observations: XmlNode[] = report
      ? [
          [
            'HealthCheckObservation',
            [
              ['Region', CHECKER_REGION],
              ['IPAddress', target.url ? '127.0.0.1' : target.ipAddress],
              [
                'StatusReport',
                [
                  ['Status', report.status],
                  ['CheckedTime', report.checkedTime.toISOString()],
                ],
              ],
            ],
          ],
        ]
      : [];
    return xmlResponse(200, 'GetHealthCheckStatusResponse', ROUTE53_XMLNS, [
      ['HealthCheckObservations', observations],
    ]);
  }

  private updateHealthCheck(id: string, body: Buffer): EdgeResponse {
    const entry = this.healthCheck(id);
    const root = parseBody(body, 'UpdateHealthCheckRequest');
    const version = parseIntField(childText(root, 'HealthCheckVersion'), 'HealthCheckVersion', [
      1,
      Number.MAX_SAFE_INTEGER,
    ]);
    if (version !== undefined && version !== entry.version) {
      throw new AwsXmlError(
        409,
        'HealthCheckVersionMismatch',
        `The value of HealthCheckVersion in the request (${version}) does not match the current version (${entry.version}); get the health check and try again.`,
      );
    }
    const c = entry.config;
    const next: HealthCheckConfig = { ...c };
    const text = (name: string) => childText(root, name);
    if (text('IPAddress') !== undefined) {
      const ip = (text('IPAddress') as string).trim();
      if (ipv4ToNumber(ip) === undefined) bad(`Invalid value for IPAddress: "${ip}"`);
      next.IPAddress = ip;
    }
    next.Port = parseIntField(text('Port'), 'Port', [1, 65535]) ?? next.Port;
    if (text('ResourcePath') !== undefined) next.ResourcePath = text('ResourcePath');
    if (text('FullyQualifiedDomainName') !== undefined)
      next.FullyQualifiedDomainName = text('FullyQualifiedDomainName');
    if (text('SearchString') !== undefined) next.SearchString = text('SearchString');
    next.FailureThreshold =
      parseIntField(text('FailureThreshold'), 'FailureThreshold', [1, 10]) ?? next.FailureThreshold;
    next.Inverted = parseBool(text('Inverted'), 'Inverted') ?? next.Inverted;
    next.Disabled = parseBool(text('Disabled'), 'Disabled') ?? next.Disabled;
    next.EnableSNI = parseBool(text('EnableSNI'), 'EnableSNI') ?? next.EnableSNI;
    const regions = child(root, 'Regions');
    if (regions) next.Regions = children(regions, 'Region').map((r) => r.text);
    for (const reset of children(child(root, 'ResetElements'), 'ResettableElementName')) {
      if (reset.text === 'FullyQualifiedDomainName') next.FullyQualifiedDomainName = undefined;
      else if (reset.text === 'Regions') next.Regions = undefined;
      else if (reset.text === 'ResourcePath') next.ResourcePath = undefined;
      else if (reset.text !== 'ChildHealthChecks')
        bad(`Invalid value for ResettableElementName: ${reset.text}`);
    }
    Object.assign(c, next);
    entry.version++;
    entry.checker.settingsChanged();
    return xmlResponse(200, 'UpdateHealthCheckResponse', ROUTE53_XMLNS, [
      ['HealthCheck', this.healthCheckNodes(entry)],
    ]);
  }

  // ---- TestDNSAnswer ----

  private isRecordHealthy(record: RecordSet): boolean {
    if (!record.healthCheckId) return true;
    const check = this.healthChecks.get(record.healthCheckId);
    return check ? check.checker.healthy : true;
  }

  private testDnsAnswer(q: URLSearchParams): EdgeResponse {
    const zoneId = q.get('hostedzoneid');
    const recordName = q.get('recordname');
    const recordType = q.get('recordtype');
    if (!zoneId) bad("Invalid request: Missing field 'hostedzoneid'");
    if (!recordName) bad("Invalid request: Missing field 'recordname'");
    if (!recordType) bad("Invalid request: Missing field 'recordtype'");
    if (!RECORD_TYPES.has(recordType as string)) bad(`Invalid request: unknown record type ${recordType}`);
    this.zone(zoneId as string);
    const resolverIp = q.get('resolverip') ?? undefined;
    const subnetIp = q.get('edns0clientsubnetip') ?? undefined;
    for (const [field, value] of [
      ['resolverip', resolverIp],
      ['edns0clientsubnetip', subnetIp],
    ] as const) {
      if (value !== undefined && ipv4ToNumber(value) === undefined)
        bad(`Invalid value for ${field}: "${value}"`);
    }
    const mask = parseIntField(q.get('edns0clientsubnetmask') ?? undefined, 'edns0clientsubnetmask', [0, 32]);
    if (mask !== undefined && !subnetIp)
      bad('Invalid request: edns0clientsubnetmask requires edns0clientsubnetip');
    const name = normalizeName(recordName as string);
    const inZone = name === this.zoneName || name.endsWith(`.${this.zoneName}`);
    const sameName = [...this.records.values()].filter((r) => r.name === name);
    const matching = sameName.filter((r) => r.type === recordType);
    let chosen: RecordSet[] = [];
    if (matching.length > 0) {
      const latency = matching.filter((r) => r.region !== undefined);
      if (latency.length === 0) {
        chosen = [matching[0]];
      } else {
        const healthy = latency.filter((r) => this.isRecordHealthy(r));
        const candidates = healthy.length > 0 ? healthy : latency;
        const from = this.clientRegion(subnetIp ?? resolverIp);
        let best = candidates[0];
        for (const candidate of candidates) {
          if (
            regionLatencyMs(from, candidate.region as string) < regionLatencyMs(from, best.region as string)
          ) {
            best = candidate;
          }
        }
        chosen = [best];
      }
    }
    const data = chosen.flatMap((r) =>
      r.values.length > 0 ? r.values : r.aliasDnsName ? [r.aliasDnsName] : [],
    );
    const responseCode = !inZone
      ? 'REFUSED'
      : sameName.length === 0 && !this.hasDescendant(name)
        ? 'NXDOMAIN'
        : 'NOERROR';
    return xmlResponse(200, 'TestDNSAnswerResponse', ROUTE53_XMLNS, [
      ['Nameserver', NAME_SERVERS[0]],
      ['RecordName', recordName],
      ['RecordType', recordType],
      ['RecordData', data.map((d) => ['RecordDataEntry', d] as XmlNode)],
      ['ResponseCode', responseCode],
      ['Protocol', 'UDP'],
    ]);
  }

  private hasDescendant(name: string): boolean {
    return [...this.records.values()].some((r) => r.name.endsWith(`.${name}`));
  }

  /** The AWS region a client address is in: a region's probe subnet, else the nearest one, else the first region. */
  private clientRegion(ip: string | undefined): string {
    const locations = [...this.regions.values()].map((r) => {
      const spec = this.options.topology.regions.find((s) => s.key === r.info.key);
      return { subnet: spec?.probeSubnet ?? '', awsRegion: r.info.awsRegion };
    });
    const first = locations[0]?.awsRegion ?? this.options.topology.regions[0]?.awsRegion ?? 'us-east-1';
    if (!ip) return first;
    return locateClient(ip, locations)?.awsRegion ?? first;
  }
}

function changeInfo(id: string, submittedAt: Date, comment?: string): XmlNode[] {
  return [
    ['Id', `/change/${id}`],
    ['Status', 'INSYNC'],
    ['SubmittedAt', submittedAt.toISOString()],
    ['Comment', comment],
  ];
}

function parseHealthCheckConfig(element: XmlElement): HealthCheckConfig {
  const text = (name: string) => childText(element, name)?.trim();
  const type = text('Type');
  if (!type) bad("Invalid request: Missing field 'Type' in HealthCheckConfig");
  if (!HEALTH_CHECK_TYPES.has(type as string)) {
    bad(
      `Invalid value for Type: ${type}; the sandbox checks HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH and TCP endpoints`,
    );
  }
  const ip = text('IPAddress');
  if (ip !== undefined && ipv4ToNumber(ip) === undefined) bad(`Invalid value for IPAddress: "${ip}"`);
  const fqdn = text('FullyQualifiedDomainName');
  if (!ip && !fqdn) bad('Invalid request: a health check needs IPAddress or FullyQualifiedDomainName');
  const interval = parseIntField(text('RequestInterval'), 'RequestInterval', [10, 30]) ?? 30;
  if (interval !== 10 && interval !== 30) bad('Invalid value for RequestInterval: it must be 10 or 30');
  const regions = child(element, 'Regions');
  return {
    IPAddress: ip,
    Port:
      parseIntField(text('Port'), 'Port', [1, 65535]) ?? ((type as string).startsWith('HTTPS') ? 443 : 80),
    Type: type as string,
    ResourcePath: text('ResourcePath'),
    FullyQualifiedDomainName: fqdn,
    SearchString: text('SearchString'),
    RequestInterval: interval,
    FailureThreshold: parseIntField(text('FailureThreshold'), 'FailureThreshold', [1, 10]) ?? 3,
    MeasureLatency: parseBool(text('MeasureLatency'), 'MeasureLatency') ?? false,
    Inverted: parseBool(text('Inverted'), 'Inverted') ?? false,
    Disabled: parseBool(text('Disabled'), 'Disabled') ?? false,
    EnableSNI: parseBool(text('EnableSNI'), 'EnableSNI'),
    Regions: regions ? children(regions, 'Region').map((r) => r.text) : undefined,
  };
}
