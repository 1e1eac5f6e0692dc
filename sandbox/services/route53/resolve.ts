/**
 * How Route 53 answers a DNS query for the hosted zone: the one rule TestDNSAnswer (./api.ts) and the
 * sandbox's DNS server (../dns/) both answer by. Of latency records, the nearest healthy one to the client
 * (the EDNS0 client subnet when given, else the resolver's address); a name outside the zone is REFUSED; a
 * name with no records of its own and none below it is NXDOMAIN; a name that exists without the asked type
 * is NOERROR with no data (NODATA). Each answer carries its record's TTL; NXDOMAIN and NODATA carry the SOA,
 * whose TTL negative answers are cached for (RFC 2308: the lower of the SOA's TTL and its minimum field).
 */
import { childText } from '../../wire/xml.js';
import { clientRegion, nearestRecord } from './latency-routing.js';
import type { RecordSet, Route53Store } from './store.js';

export type ResponseCode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface ResolvedRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: readonly string[];
  /** The latency record's SetIdentifier (a region key in the chat record). */
  readonly setIdentifier?: string;
}

export interface Resolution {
  readonly responseCode: ResponseCode;
  readonly answers: readonly ResolvedRecord[];
  /** The zone's SOA, for NXDOMAIN and NODATA. */
  readonly soa?: ResolvedRecord;
}

/** Where a resolver is, when its address does not say (the China proxy's edge: an AWS region). */
export interface ResolveFrom {
  readonly fromAwsRegion?: string;
}

/**
 * Answers `type` for `name` (normalized, with its trailing dot) for a client at `clientIp`, or in
 * `from.fromAwsRegion` when given.
 */
export function resolveRecord(
  store: Route53Store,
  name: string,
  type: string,
  clientIp: string | undefined,
  from: ResolveFrom = {},
): Resolution {
  const zone = store.zoneName;
  if (name !== zone && !name.endsWith(`.${zone}`)) return { responseCode: 'REFUSED', answers: [] };
  const all = [...store.records.values()];
  const sameName = all.filter((r) => r.name === name);
  const chosen = answerRecord(
    store,
    sameName.filter((r) => r.type === type),
    clientIp,
    from,
  );
  if (chosen) {
    const data = chosen.values.length > 0 ? chosen.values : chosen.aliasDnsName ? [chosen.aliasDnsName] : [];
    return { responseCode: 'NOERROR', answers: [resolved(chosen, data)] };
  }
  const soaRecord = all.find((r) => r.name === zone && r.type === 'SOA');
  const soa = soaRecord ? negativeSoa(soaRecord) : undefined;
  const exists = sameName.length > 0 || all.some((r) => r.name.endsWith(`.${name}`));
  return { responseCode: exists ? 'NOERROR' : 'NXDOMAIN', answers: [], ...(soa ? { soa } : {}) };
}

/**
 * The record a resolver gets: a simple record as it is; of latency records the nearest healthy one to the
 * client's region (its probe subnet, else the nearest by prefix, else the first region's).
 */
function answerRecord(
  store: Route53Store,
  matching: RecordSet[],
  clientIp: string | undefined,
  from: ResolveFrom,
) {
  if (matching.length === 0) return undefined;
  const latency = matching.filter((r): r is RecordSet & { region: string } => r.region !== undefined);
  if (latency.length === 0) return matching[0];
  const locations = store.locations();
  const fallback = locations[0]?.awsRegion ?? store.topology.regions[0]?.awsRegion ?? 'us-east-1';
  const where = from.fromAwsRegion ?? clientRegion(clientIp, locations, fallback);
  return nearestRecord(latency, (r) => store.isRecordHealthy(r), where);
}

/** An alias record has no TTL of its own: Route 53 gives it its target's (60 s for the AWS targets here). */
const ALIAS_TTL = 60;

function resolved(record: RecordSet, data: readonly string[]): ResolvedRecord {
  const ttl = Number(childText(record.element, 'TTL') ?? ALIAS_TTL);
  return {
    name: record.name,
    type: record.type,
    ttl: Number.isFinite(ttl) ? ttl : ALIAS_TTL,
    data,
    ...(record.setIdentifier ? { setIdentifier: record.setIdentifier } : {}),
  };
}

function negativeSoa(record: RecordSet): ResolvedRecord {
  const soa = resolved(record, record.values);
  const minimum = Number((record.values[0] ?? '').trim().split(/\s+/)[6]);
  return Number.isFinite(minimum) ? { ...soa, ttl: Math.min(soa.ttl, minimum) } : soa;
}
