/**
 * Route 53's health-check operations in the sandbox: create (idempotent by CallerReference), list, get,
 * update (HealthCheckVersion as Route 53 checks it), delete (refused while a record uses it) and the
 * checkers' status. Each check has a real checker (./health-checker.ts).
 */
import type { EdgeResponse } from '../../contracts.js';
import { bool, parseBool, parseIntField, xmlResponse } from '../../wire/rest-xml.js';
import { ServiceError } from '../../wire/service-error.js';
import { child, children, childText, type XmlElement, type XmlNode } from '../../wire/xml.js';
import type { InsufficientDataHealthStatus } from './derived-checks.js';
import { CHECKER_REGION } from './health-checker.js';
import { ipv4ToNumber } from './latency-routing.js';
import { describe } from './records-api.js';
import { bad, type HealthCheckConfig, type HealthCheckEntry, type Route53Store } from './store.js';
import { API, parseRoute53Body, ROUTE53_XMLNS } from './xml.js';

const HEALTH_CHECK_TYPES = new Set(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP']);
const DERIVED_TYPES = new Set(['CLOUDWATCH_METRIC', 'CALCULATED']);

function alarmIdentifier(element: XmlElement | undefined): { Region: string; Name: string } {
  const region = childText(element, 'Region')?.trim();
  const name = childText(element, 'Name')?.trim();
  if (!region || !name) bad("Invalid request: AlarmIdentifier needs 'Region' and 'Name'");
  return { Region: region as string, Name: name as string };
}

function insufficientStatus(value: string | undefined): InsufficientDataHealthStatus {
  const v = value?.trim() ?? 'LastKnownStatus';
  if (v !== 'Healthy' && v !== 'Unhealthy' && v !== 'LastKnownStatus') {
    bad(
      `Invalid value for InsufficientDataHealthStatus: ${v}; it must be Healthy, Unhealthy or LastKnownStatus`,
    );
  }
  return v as InsufficientDataHealthStatus;
}

function childIds(store: Route53Store, element: XmlElement): string[] {
  const ids = children(element, 'ChildHealthCheck').map((c) => c.text.trim());
  if (ids.length > 256) bad('Invalid request: a calculated health check has at most 256 children');
  for (const id of ids) store.healthCheck(id);
  return ids;
}

/** CLOUDWATCH_METRIC and CALCULATED checks probe nothing: no endpoint, their own fields. */
function parseDerivedConfig(store: Route53Store, element: XmlElement, type: string): HealthCheckConfig {
  const text = (name: string) => childText(element, name)?.trim();
  const base = {
    Type: type,
    RequestInterval: 30,
    FailureThreshold: 3,
    MeasureLatency: false,
    Inverted: parseBool(text('Inverted'), 'Inverted') ?? false,
    Disabled: parseBool(text('Disabled'), 'Disabled') ?? false,
  };
  if (type === 'CLOUDWATCH_METRIC') {
    return {
      ...base,
      AlarmIdentifier: alarmIdentifier(
        child(element, 'AlarmIdentifier') ?? bad("Invalid request: Missing field 'AlarmIdentifier'"),
      ),
      InsufficientDataHealthStatus: insufficientStatus(text('InsufficientDataHealthStatus')),
    };
  }
  const childChecks = childIds(
    store,
    child(element, 'ChildHealthChecks') ?? bad("Invalid request: Missing field 'ChildHealthChecks'"),
  );
  const threshold = parseIntField(text('HealthThreshold'), 'HealthThreshold', [0, 256]) ?? childChecks.length;
  return { ...base, ChildHealthChecks: childChecks, HealthThreshold: threshold };
}

function healthCheckNodes(entry: HealthCheckEntry): XmlNode[] {
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
        ['HealthThreshold', c.HealthThreshold],
        ['ChildHealthChecks', c.ChildHealthChecks?.map((id) => ['ChildHealthCheck', id] as XmlNode)],
        ['EnableSNI', c.EnableSNI === undefined ? undefined : bool(c.EnableSNI)],
        ['Regions', c.Regions?.map((r) => ['Region', r] as XmlNode)],
        [
          'AlarmIdentifier',
          c.AlarmIdentifier && [
            ['Region', c.AlarmIdentifier.Region],
            ['Name', c.AlarmIdentifier.Name],
          ],
        ],
        ['InsufficientDataHealthStatus', c.InsufficientDataHealthStatus],
      ],
    ],
    ['HealthCheckVersion', entry.version],
  ];
}

export function createHealthCheck(store: Route53Store, body: Buffer): EdgeResponse {
  const root = parseRoute53Body(body, 'CreateHealthCheckRequest');
  const callerReference = childText(root, 'CallerReference')?.trim();
  if (!callerReference) bad("Invalid request: Missing field 'CallerReference'");
  const configElement =
    child(root, 'HealthCheckConfig') ?? bad("Invalid request: Missing field 'HealthCheckConfig'");
  const type = childText(configElement, 'Type')?.trim() ?? '';
  const config = DERIVED_TYPES.has(type)
    ? parseDerivedConfig(store, configElement, type)
    : parseHealthCheckConfig(configElement);
  const existing = [...store.healthChecks.values()].find((h) => h.callerReference === callerReference);
  if (existing) {
    if (JSON.stringify(existing.config) === JSON.stringify(config) && existing.version === 1) {
      return xmlResponse(
        201,
        'CreateHealthCheckResponse',
        ROUTE53_XMLNS,
        [['HealthCheck', healthCheckNodes(existing)]],
        {
          location: `https://route53.amazonaws.com${API}/healthcheck/${existing.id}`,
        },
      );
    }
    throw new ServiceError(
      409,
      'HealthCheckAlreadyExists',
      `A health check with the CallerReference ${callerReference} already exists with a different configuration.`,
    );
  }
  const entry = store.createHealthCheck(callerReference as string, config);
  return xmlResponse(
    201,
    'CreateHealthCheckResponse',
    ROUTE53_XMLNS,
    [['HealthCheck', healthCheckNodes(entry)]],
    {
      location: `https://route53.amazonaws.com${API}/healthcheck/${entry.id}`,
    },
  );
}

export function listHealthChecks(store: Route53Store, q: URLSearchParams): EdgeResponse {
  const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 1000]) ?? 100;
  const marker = q.get('marker') ?? undefined;
  let all = [...store.healthChecks.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (marker) all = all.filter((h) => h.id >= marker);
  const page = all.slice(0, maxItems);
  const next = all[maxItems];
  return xmlResponse(200, 'ListHealthChecksResponse', ROUTE53_XMLNS, [
    ['HealthChecks', page.map((h) => ['HealthCheck', healthCheckNodes(h)] as XmlNode)],
    ['Marker', marker ?? ''],
    ['IsTruncated', bool(next !== undefined)],
    ['NextMarker', next?.id],
    ['MaxItems', maxItems],
  ]);
}

export function getHealthCheck(store: Route53Store, id: string): EdgeResponse {
  return xmlResponse(200, 'GetHealthCheckResponse', ROUTE53_XMLNS, [
    ['HealthCheck', healthCheckNodes(store.healthCheck(id))],
  ]);
}

export function deleteHealthCheck(store: Route53Store, id: string): EdgeResponse {
  store.healthCheck(id);
  const user = [...store.records.values()].find((r) => r.healthCheckId === id);
  if (user) {
    throw new ServiceError(
      400,
      'HealthCheckInUse',
      `The health check ${id} is still referenced by the record set ${describe(user)}.`,
    );
  }
  store.deleteHealthCheck(id);
  return xmlResponse(200, 'DeleteHealthCheckResponse', ROUTE53_XMLNS, []);
}

export function getHealthCheckStatus(store: Route53Store, id: string): EdgeResponse {
  const entry = store.healthCheck(id);
  if (entry.config.Type === 'CALCULATED') {
    bad(`GetHealthCheckStatus doesn't support calculated health checks (health check ${id}).`);
  }
  const report = entry.checker.statusReport();
  const target =
    entry.config.Type === 'CLOUDWATCH_METRIC'
      ? { url: undefined, ipAddress: undefined }
      : store.probeTarget(entry.config);
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

export function updateHealthCheck(store: Route53Store, id: string, body: Buffer): EdgeResponse {
  const entry = store.healthCheck(id);
  const root = parseRoute53Body(body, 'UpdateHealthCheckRequest');
  const version = parseIntField(childText(root, 'HealthCheckVersion'), 'HealthCheckVersion', [
    1,
    Number.MAX_SAFE_INTEGER,
  ]);
  if (version !== undefined && version !== entry.version) {
    throw new ServiceError(
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
  next.HealthThreshold =
    parseIntField(text('HealthThreshold'), 'HealthThreshold', [0, 256]) ?? next.HealthThreshold;
  const childChecks = child(root, 'ChildHealthChecks');
  if (childChecks) next.ChildHealthChecks = childIds(store, childChecks);
  if (child(root, 'AlarmIdentifier')) next.AlarmIdentifier = alarmIdentifier(child(root, 'AlarmIdentifier'));
  if (text('InsufficientDataHealthStatus') !== undefined) {
    next.InsufficientDataHealthStatus = insufficientStatus(text('InsufficientDataHealthStatus'));
  }
  for (const reset of children(child(root, 'ResetElements'), 'ResettableElementName')) {
    if (reset.text === 'FullyQualifiedDomainName') next.FullyQualifiedDomainName = undefined;
    else if (reset.text === 'Regions') next.Regions = undefined;
    else if (reset.text === 'ResourcePath') next.ResourcePath = undefined;
    else if (reset.text === 'ChildHealthChecks') next.ChildHealthChecks = [];
    else bad(`Invalid value for ResettableElementName: ${reset.text}`);
  }
  Object.assign(c, next);
  entry.version++;
  entry.checker.settingsChanged();
  return xmlResponse(200, 'UpdateHealthCheckResponse', ROUTE53_XMLNS, [
    ['HealthCheck', healthCheckNodes(entry)],
  ]);
}

function parseHealthCheckConfig(element: XmlElement): HealthCheckConfig {
  const text = (name: string) => childText(element, name)?.trim();
  const type = text('Type');
  if (!type) bad("Invalid request: Missing field 'Type' in HealthCheckConfig");
  if (!HEALTH_CHECK_TYPES.has(type as string)) {
    bad(
      `Invalid value for Type: ${type}; the sandbox checks HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH and TCP endpoints, CLOUDWATCH_METRIC alarms and CALCULATED checks`,
    );
  }
  const search = text('SearchString');
  if ((type as string).endsWith('_STR_MATCH') && !search) {
    bad(`Invalid request: SearchString is required for a ${type} health check`);
  }
  if (search !== undefined && search.length > 255)
    bad('Invalid value for SearchString: at most 255 characters');
  if (type === 'TCP' && text('ResourcePath') !== undefined) {
    bad('Invalid request: a TCP health check takes no ResourcePath');
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
    SearchString: search,
    RequestInterval: interval,
    FailureThreshold: parseIntField(text('FailureThreshold'), 'FailureThreshold', [1, 10]) ?? 3,
    MeasureLatency: parseBool(text('MeasureLatency'), 'MeasureLatency') ?? false,
    Inverted: parseBool(text('Inverted'), 'Inverted') ?? false,
    Disabled: parseBool(text('Disabled'), 'Disabled') ?? false,
    EnableSNI: parseBool(text('EnableSNI'), 'EnableSNI'),
    Regions: regions ? children(regions, 'Region').map((r) => r.text) : undefined,
  };
}
