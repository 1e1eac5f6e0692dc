/**
 * Route 53's REST-XML API (2013-04-01) in the sandbox, for the operations chatctl and its stacks use: the
 * router, the hosted-zone operations and TestDNSAnswer (answered as latency routing would for a client
 * location). Record sets and health checks have modules of their own; the state is in ./store.ts.
 */
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { normalizeName } from '../../dns-name.js';
import { decodePathPart, parseIntField, xmlResponse } from '../../wire/rest-xml.js';
import { ServiceError } from '../../wire/service-error.js';
import type { XmlNode } from '../../wire/xml.js';
import {
  createHealthCheck,
  deleteHealthCheck,
  getHealthCheck,
  getHealthCheckStatus,
  listHealthChecks,
  updateHealthCheck,
} from './health-checks-api.js';
import { ipv4ToNumber } from './latency-routing.js';
import { changeResourceRecordSets, getChange, listResourceRecordSets, RECORD_TYPES } from './records-api.js';
import { resolveRecord } from './resolve.js';
import { bad, NAME_SERVERS, type Route53Store } from './store.js';
import { API, ROUTE53_XMLNS } from './xml.js';

export function route(store: Route53Store, request: EdgeRequest): EdgeResponse {
  const path = request.path.replace(/\/+$/, '');
  if (!path.startsWith(`${API}/`)) {
    throw new ServiceError(
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
    if (parts.length === 1 && method === 'GET') return listHostedZones(store, q);
    if (parts.length === 2 && method === 'GET') return getHostedZone(store, id);
    if (parts.length === 3 && sub === 'rrset' && method === 'GET')
      return listResourceRecordSets(store, id, q);
    if (parts.length === 3 && sub === 'rrset' && method === 'POST') {
      return changeResourceRecordSets(store, id, request.body);
    }
  }
  if (resource === 'hostedzonesbyname' && parts.length === 1 && method === 'GET') {
    return listHostedZonesByName(store, q);
  }
  if (resource === 'healthcheck') {
    if (parts.length === 1 && method === 'GET') return listHealthChecks(store, q);
    if (parts.length === 1 && method === 'POST') return createHealthCheck(store, request.body);
    if (parts.length === 2 && method === 'GET') return getHealthCheck(store, id);
    if (parts.length === 2 && method === 'POST') return updateHealthCheck(store, id, request.body);
    if (parts.length === 2 && method === 'DELETE') return deleteHealthCheck(store, id);
    if (parts.length === 3 && sub === 'status' && method === 'GET') return getHealthCheckStatus(store, id);
  }
  if (resource === 'change' && parts.length === 2 && method === 'GET') return getChange(store, id);
  if (resource === 'testdnsanswer' && parts.length === 1 && method === 'GET') return testDnsAnswer(store, q);
  throw new ServiceError(
    400,
    'InvalidAction',
    `The action or operation requested is invalid (the sandbox's Route 53 does not serve ${request.method} ${request.path})`,
  );
}

function hostedZoneNodes(store: Route53Store): XmlNode[] {
  return [
    ['Id', `/hostedzone/${store.hostedZoneId}`],
    ['Name', store.zoneName],
    ['CallerReference', `${store.topology.app}-hosted-zone`],
    [
      'Config',
      [
        ['Comment', `${store.topology.app} public hosted zone (sandbox)`],
        ['PrivateZone', 'false'],
      ],
    ],
    ['ResourceRecordSetCount', store.records.size],
  ];
}

function listHostedZones(store: Route53Store, q: URLSearchParams): EdgeResponse {
  const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 100]) ?? 100;
  const marker = q.get('marker') ?? undefined;
  const zones =
    marker && marker > store.hostedZoneId ? [] : [['HostedZone', hostedZoneNodes(store)] as XmlNode];
  return xmlResponse(200, 'ListHostedZonesResponse', ROUTE53_XMLNS, [
    ['HostedZones', zones],
    ['Marker', marker],
    ['IsTruncated', 'false'],
    ['MaxItems', maxItems],
  ]);
}

function listHostedZonesByName(store: Route53Store, q: URLSearchParams): EdgeResponse {
  const dnsName = q.get('dnsname') ?? undefined;
  const zoneId = q.get('hostedzoneid') ?? undefined;
  if (zoneId && !dnsName) bad('Invalid request: hostedzoneid requires dnsname');
  const maxItems = parseIntField(q.get('maxitems') ?? undefined, 'maxitems', [1, 100]) ?? 100;
  const from = dnsName ? normalizeName(dnsName) : undefined;
  const include =
    !from || from.split('.').reverse().join('.') <= store.zoneName.split('.').reverse().join('.');
  return xmlResponse(200, 'ListHostedZonesByNameResponse', ROUTE53_XMLNS, [
    ['HostedZones', include ? [['HostedZone', hostedZoneNodes(store)]] : []],
    ['DNSName', dnsName],
    ['HostedZoneId', zoneId],
    ['IsTruncated', 'false'],
    ['MaxItems', maxItems],
  ]);
}

function getHostedZone(store: Route53Store, id: string): EdgeResponse {
  store.requireZone(id);
  return xmlResponse(200, 'GetHostedZoneResponse', ROUTE53_XMLNS, [
    ['HostedZone', hostedZoneNodes(store)],
    ['DelegationSet', [['NameServers', NAME_SERVERS.map((ns) => ['NameServer', ns] as XmlNode)]]],
  ]);
}

function testDnsAnswer(store: Route53Store, q: URLSearchParams): EdgeResponse {
  const zoneId = q.get('hostedzoneid');
  const recordName = q.get('recordname');
  const recordType = q.get('recordtype');
  if (!zoneId) bad("Invalid request: Missing field 'hostedzoneid'");
  if (!recordName) bad("Invalid request: Missing field 'recordname'");
  if (!recordType) bad("Invalid request: Missing field 'recordtype'");
  if (!RECORD_TYPES.has(recordType as string)) bad(`Invalid request: unknown record type ${recordType}`);
  store.requireZone(zoneId as string);
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
  const resolution = resolveRecord(
    store,
    normalizeName(recordName as string),
    recordType as string,
    subnetIp ?? resolverIp,
  );
  const data = resolution.answers.flatMap((a) => a.data);
  const responseCode = resolution.responseCode;
  return xmlResponse(200, 'TestDNSAnswerResponse', ROUTE53_XMLNS, [
    ['Nameserver', NAME_SERVERS[0]],
    ['RecordName', recordName],
    ['RecordType', recordType],
    ['RecordData', data.map((d) => ['RecordDataEntry', d] as XmlNode)],
    ['ResponseCode', responseCode],
    ['Protocol', 'UDP'],
  ]);
}
