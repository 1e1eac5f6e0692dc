/**
 * Round-trip latency between AWS regions, for the sandbox's latency-based routing. A few pairs are set
 * from published inter-region measurements; the rest follow the great-circle distance between the
 * regions' cities (light in fibre is ~200 km/ms, and real paths run ~1.6x the straight line).
 */

import { COORDINATES, distanceKm } from '../geography.js';

/** Measured round trips (ms) that the distance model would get noticeably wrong. */
const MEASURED: Readonly<Record<string, number>> = {
  'ap-northeast-1|ap-northeast-2': 33,
  'ap-northeast-1|ap-northeast-3': 9,
  'ap-northeast-2|ap-northeast-3': 25,
  'ap-northeast-1|us-west-2': 120,
  'ap-northeast-2|us-west-2': 128,
  'ap-northeast-1|us-west-1': 110,
  'ap-northeast-2|us-west-1': 135,
  'ap-northeast-1|us-east-1': 160,
  'ap-northeast-2|us-east-1': 185,
  'ap-northeast-1|ap-southeast-1': 70,
  'ap-northeast-2|ap-southeast-1': 75,
  'us-east-1|us-west-2': 65,
  'us-east-1|eu-west-1': 70,
  'eu-central-1|eu-west-1': 25,
};

/** The latency within one region (client to its nearest region). */
const SAME_REGION_MS = 2;
const FALLBACK_MS = 250;

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Round-trip latency in ms between two AWS regions (symmetric). */
export function regionLatencyMs(from: string, to: string): number {
  if (from === to) return SAME_REGION_MS;
  const measured = MEASURED[pairKey(from, to)];
  if (measured !== undefined) return measured;
  const a = COORDINATES[from];
  const b = COORDINATES[to];
  if (!a || !b) return FALLBACK_MS;
  return Math.round(5 + (2 * distanceKm(a, b) * 1.6) / 200);
}

/** An IPv4 address as a 32-bit unsigned number, or undefined if it is not one. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [ip, bits] = cidr.split('/');
  const base = ipv4ToNumber(ip ?? '');
  const n = Number(bits ?? 32);
  if (base === undefined || !Number.isInteger(n) || n < 0 || n > 32) return undefined;
  return { base, bits: n };
}

function commonPrefixBits(a: number, b: number): number {
  let bits = 0;
  for (let i = 31; i >= 0; i--) {
    if ((Math.floor(a / 2 ** i) & 1) !== (Math.floor(b / 2 ** i) & 1)) break;
    bits++;
  }
  return bits;
}

export interface Location {
  readonly subnet: string;
  readonly awsRegion: string;
}

/**
 * Where a client address is: the location whose subnet contains it, else the one sharing the longest
 * address prefix with it (at least /8), else undefined.
 */
export function locateClient(ip: string, locations: readonly Location[]): Location | undefined {
  const address = ipv4ToNumber(ip);
  if (address === undefined) return undefined;
  let best: { location: Location; bits: number } | undefined;
  for (const location of locations) {
    const cidr = parseCidr(location.subnet);
    if (!cidr) continue;
    const shared = commonPrefixBits(address, cidr.base);
    if (shared >= cidr.bits) return location;
    if (shared >= 8 && (!best || shared > best.bits)) best = { location, bits: shared };
  }
  return best?.location;
}
