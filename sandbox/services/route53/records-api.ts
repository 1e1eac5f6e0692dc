/**
 * Route 53's record-set operations in the sandbox: ListResourceRecordSets (in Route 53's order, paged),
 * ChangeResourceRecordSets (all or nothing, validated as Route 53 does) and GetChange.
 */
import { randomBytes } from 'node:crypto';
import type { EdgeResponse } from '../../contracts.js';
import { normalizeName } from '../../dns-name.js';
import { bool, parseIntField, xmlResponse } from '../../wire/rest-xml.js';
import { ServiceError } from '../../wire/service-error.js';
import { child, children, childText, elementNodes, renderElement, type XmlNode } from '../../wire/xml.js';
import { ipv4ToNumber } from './latency-routing.js';
import { bad, identity, type RecordSet, type Route53Store, recordFromElement, sortKey } from './store.js';
import { parseRoute53Body, ROUTE53_XMLNS } from './xml.js';

export const RECORD_TYPES = new Set([
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

export function describe(record: { name: string; type: string; setIdentifier?: string }): string {
  const set = record.setIdentifier === undefined ? '' : `, set-identifier='${record.setIdentifier}'`;
  return `[name='${record.name}', type='${record.type}'${set}]`;
}

export function listResourceRecordSets(store: Route53Store, id: string, q: URLSearchParams): EdgeResponse {
  store.requireZone(id);
  const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 300]) ?? 300;
  const startName = q.get('name') ?? undefined;
  const startType = q.get('type') ?? undefined;
  const startId = q.get('identifier') ?? undefined;
  if (startType && !startName) bad('Invalid request: type requires name');
  if (startType && !RECORD_TYPES.has(startType)) bad(`Invalid request: unknown record type ${startType}`);
  let all = store.sortedRecords();
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

export function changeResourceRecordSets(store: Route53Store, id: string, body: Buffer): EdgeResponse {
  store.requireZone(id);
  const root = parseRoute53Body(body, 'ChangeResourceRecordSetsRequest');
  const batch = child(root, 'ChangeBatch') ?? bad('Invalid request: ChangeBatch is required');
  const changes = children(child(batch, 'Changes'), 'Change');
  if (changes.length === 0) bad('Invalid request: ChangeBatch.Changes must have at least one Change');
  const next = new Map(store.records);
  const problems: string[] = [];
  for (const change of changes) {
    const action = childText(change, 'Action');
    if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
      bad(`Invalid request: Action must be CREATE, DELETE or UPSERT (got ${action ?? 'nothing'})`);
    }
    const element =
      child(change, 'ResourceRecordSet') ?? bad('Invalid request: a Change has no ResourceRecordSet');
    const record = recordFromElement(element);
    validateRecord(store, record, action as string);
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
  if (problems.length > 0) throw new ServiceError(400, 'InvalidChangeBatch', `[${problems.join(', ')}]`);
  store.records.clear();
  for (const [key, record] of next) store.records.set(key, record);
  const changeId = `C${randomBytes(10).toString('hex').toUpperCase().slice(0, 19)}`;
  const submittedAt = new Date();
  store.changes.set(changeId, submittedAt);
  return xmlResponse(200, 'ChangeResourceRecordSetsResponse', ROUTE53_XMLNS, [
    ['ChangeInfo', changeInfo(changeId, submittedAt, childText(batch, 'Comment'))],
  ]);
}

function validateRecord(store: Route53Store, record: RecordSet, action: string): void {
  const what = `Change with [Action=${action}, Name=${record.name}, Type=${record.type}${record.setIdentifier === undefined ? '' : `, SetIdentifier=${record.setIdentifier}`}]`;
  if (!RECORD_TYPES.has(record.type)) bad(`Invalid request: unknown record type ${record.type} in ${what}`);
  if (record.name !== store.zoneName && !record.name.endsWith(`.${store.zoneName}`)) {
    throw new ServiceError(
      400,
      'InvalidChangeBatch',
      `[RRSet with DNS name ${record.name} is not permitted in zone ${store.zoneName}]`,
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
    bad(`Invalid request: a SetIdentifier needs a routing policy (Region, Weight, Failover, ...) in ${what}`);
  }
  if (record.type === 'A' && action !== 'DELETE') {
    for (const value of record.values) {
      if (ipv4ToNumber(value) === undefined) {
        throw new ServiceError(
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
    !store.healthChecks.has(record.healthCheckId)
  ) {
    throw new ServiceError(
      404,
      'NoSuchHealthCheck',
      `A health check with id ${record.healthCheckId} does not exist.`,
    );
  }
}

export function getChange(store: Route53Store, id: string): EdgeResponse {
  const bare = id.replace(/^\/?change\//, '');
  const submittedAt = store.changes.get(bare);
  if (!submittedAt)
    throw new ServiceError(
      404,
      'NoSuchChange',
      `A change with the specified change ID does not exist: ${bare}`,
    );
  return xmlResponse(200, 'GetChangeResponse', ROUTE53_XMLNS, [
    ['ChangeInfo', changeInfo(bare, submittedAt)],
  ]);
}

function changeInfo(id: string, submittedAt: Date, comment?: string): XmlNode[] {
  return [
    ['Id', `/change/${id}`],
    ['Status', 'INSYNC'],
    ['SubmittedAt', submittedAt.toISOString()],
    ['Comment', comment],
  ];
}
